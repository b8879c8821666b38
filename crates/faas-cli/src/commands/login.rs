//! `faas login`: check the credentials with GET /system/functions, then store them in the
//! config file (docs/api.md §15.2, §15.3).

use super::{optional_stack, read_stdin, ExitStatus};
use crate::cli::LoginArgs;
use crate::config::Credentials;
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

/// Runs `faas login`.
pub async fn login(ctx: &Context, args: &LoginArgs) -> Result<ExitStatus, Error> {
    let password = match (&args.password, args.password_stdin) {
        (Some(_), true) => {
            return Err(Error::usage(
                "--password and --password-stdin are mutually exclusive",
            ))
        }
        (Some(password), false) => {
            output::warning("using --password is insecure, consider: cat ~/faas_pass.txt | faas login -u user --password-stdin");
            password.clone()
        }
        (None, true) => String::from_utf8_lossy(&read_stdin().await?)
            .trim()
            .to_owned(),
        (None, false) => {
            return Err(Error::usage(
                "give the password with --password-stdin (or -p)",
            ))
        }
    };
    if password.is_empty() {
        return Err(Error::usage("the password is empty"));
    }
    if args.username.trim().is_empty() {
        return Err(Error::usage("the username is empty"));
    }
    let stack = optional_stack(ctx, args.yaml.as_deref()).await?;
    let mut gateway = ctx.gateway(&args.gateway, stack.as_ref())?;
    let credentials = Credentials::basic(args.username.trim(), &password);
    gateway.credentials = None;
    let client = GatewayClient::new(&gateway);
    tracing::info!(gateway = %gateway.url, "validating the credentials");
    client
        .check_login(&credentials)
        .await
        .during(|| format!("logging in to {}", gateway.url))?;
    let Credentials::Basic(token) = credentials else {
        unreachable!("basic credentials were just built")
    };
    let path = ctx.config_path()?;
    let mut config = ctx.config()?;
    config.set_basic(&gateway.url, token);
    config
        .write(&path)
        .during(|| "saving the credentials".to_owned())?;
    output::line(format!(
        "credentials saved for {} {}",
        args.username.trim(),
        gateway.url
    ));
    Ok(ExitStatus::Success)
}

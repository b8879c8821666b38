//! `faas logout`: remove the gateway's entry from the config file.

use super::{optional_stack, ExitStatus};
use crate::cli::LogoutArgs;
use crate::error::{During as _, Error};
use crate::output;
use crate::settings::Context;

/// Runs `faas logout`.
pub async fn logout(ctx: &Context, args: &LogoutArgs) -> Result<ExitStatus, Error> {
    let stack = optional_stack(ctx, args.yaml.as_deref()).await?;
    let gateway = ctx.gateway(&args.gateway, stack.as_ref())?;
    let path = ctx.config_path()?;
    let mut config = ctx.config()?;
    if !config.remove(&gateway.url) {
        return Err(Error::usage(format!(
            "no credentials are stored for {}",
            gateway.url
        )));
    }
    config
        .write(&path)
        .during(|| "saving the config file".to_owned())?;
    output::line(format!("credentials removed for {}", gateway.url));
    Ok(ExitStatus::Success)
}

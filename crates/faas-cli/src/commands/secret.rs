//! `faas secret create|update|list|remove` (docs/api.md §6, §15.10).

use base64::Engine as _;
use faas_core::Secret;

use super::{read_stdin, ExitStatus};
use crate::cli::{GatewayArgs, SecretValueArgs};
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

fn check_name(name: &str) -> Result<(), Error> {
    if faas_core::name::is_dns1123_subdomain(name) {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "secret name {name:?} is not valid: use lower-case letters, digits, '-' and '.'"
        )))
    }
}

/// `secret create` (`update` = false) or `secret update`.
pub async fn save(
    ctx: &Context,
    args: &SecretValueArgs,
    update: bool,
) -> Result<ExitStatus, Error> {
    check_name(&args.name)?;
    let mut secret = Secret {
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        ..Secret::default()
    };
    let trim = |s: String| if args.no_trim { s } else { s.trim().to_owned() };
    match (&args.from_literal, &args.from_file) {
        (Some(literal), None) => secret.value = Some(literal.clone()),
        (None, Some(file)) => {
            let bytes = std::fs::read(file).map_err(|e| Error::io("read", file, e))?;
            secret.value = Some(String::from_utf8_lossy(&bytes).trim().to_owned());
            secret.raw_value = Some(base64::engine::general_purpose::STANDARD.encode(&bytes));
        }
        _ => {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                output::progress("Reading from STDIN - hit (Control + D) to stop.");
            }
            let bytes = read_stdin().await?;
            secret.value = Some(trim(String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    if secret.value.as_deref().is_some_and(str::is_empty) && secret.raw_value.is_none() {
        return Err(Error::usage(format!(
            "secret {} has an empty value",
            args.name
        )));
    }
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, None)?);
    let verb = if update { "Updating" } else { "Creating" };
    output::line(format!("{verb} secret: {}.", args.name));
    client
        .save_secret(&secret, update)
        .await
        .during(|| format!("{} secret {}", verb.to_lowercase(), args.name))?;
    output::line(if update { "Updated." } else { "Created." });
    Ok(ExitStatus::Success)
}

/// `secret list`.
pub async fn list(
    ctx: &Context,
    gateway: &GatewayArgs,
    namespace: Option<&str>,
) -> Result<ExitStatus, Error> {
    let client = GatewayClient::new(&ctx.gateway(gateway, None)?);
    let mut secrets = client
        .list_secrets(namespace)
        .await
        .during(|| format!("listing secrets on {}", client.url()))?;
    secrets.sort();
    if secrets.is_empty() {
        output::progress("No secrets found.");
        return Ok(ExitStatus::Success);
    }
    let mut rows = vec![vec!["NAME".to_owned()]];
    rows.extend(secrets.into_iter().map(|s| vec![s.name]));
    for line in output::table(&rows, 2) {
        output::line(line);
    }
    Ok(ExitStatus::Success)
}

/// `secret remove NAME`.
pub async fn remove(
    ctx: &Context,
    name: &str,
    gateway: &GatewayArgs,
    namespace: Option<&str>,
) -> Result<ExitStatus, Error> {
    check_name(name)?;
    let client = GatewayClient::new(&ctx.gateway(gateway, None)?);
    client
        .remove_secret(name, namespace)
        .await
        .during(|| format!("removing secret {name}"))?;
    output::line(format!("Removed: {name}."));
    Ok(ExitStatus::Success)
}

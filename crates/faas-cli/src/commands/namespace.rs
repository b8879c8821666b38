//! `faas namespace list|create|remove` (docs/api.md §7).

use super::ExitStatus;
use crate::cli::GatewayArgs;
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

/// `namespace list`.
pub async fn list(ctx: &Context, gateway: &GatewayArgs) -> Result<ExitStatus, Error> {
    let client = GatewayClient::new(&ctx.gateway(gateway, None)?);
    let mut namespaces = client
        .list_namespaces()
        .await
        .during(|| format!("listing namespaces on {}", client.url()))?;
    namespaces.sort();
    output::line("Namespaces:");
    for ns in namespaces {
        output::line(format!(" - {ns}"));
    }
    Ok(ExitStatus::Success)
}

/// `namespace create NAME`.
pub async fn create(ctx: &Context, name: &str, gateway: &GatewayArgs) -> Result<ExitStatus, Error> {
    if !faas_core::name::is_dns1123_label(name) {
        return Err(Error::usage(format!(
            "namespace {name:?} is not valid: use lower-case letters, digits and '-'"
        )));
    }
    let client = GatewayClient::new(&ctx.gateway(gateway, None)?);
    client
        .create_namespace(name)
        .await
        .during(|| format!("creating namespace {name}"))?;
    output::line(format!("Namespace created: {name}"));
    Ok(ExitStatus::Success)
}

/// `namespace remove NAME`.
pub async fn remove(ctx: &Context, name: &str, gateway: &GatewayArgs) -> Result<ExitStatus, Error> {
    let client = GatewayClient::new(&ctx.gateway(gateway, None)?);
    client
        .remove_namespace(name)
        .await
        .during(|| format!("removing namespace {name}"))?;
    output::line(format!("Namespace removed: {name}"));
    Ok(ExitStatus::Success)
}

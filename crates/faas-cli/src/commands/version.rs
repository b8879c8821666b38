//! `faas version`: the client's version, then the gateway's and its provider's (/system/info).

use super::{optional_stack, ExitStatus};
use crate::cli::VersionArgs;
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

/// Runs `faas version`.
pub async fn version(ctx: &Context, args: &VersionArgs) -> Result<ExitStatus, Error> {
    if args.short_version {
        output::line(crate::VERSION);
        return Ok(ExitStatus::Success);
    }
    output::line("CLI:");
    output::line(format!(" version: {}", crate::VERSION));
    let stack = optional_stack(ctx, args.yaml.as_deref()).await?;
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, stack.as_ref())?);
    let info = client
        .info()
        .await
        .during(|| format!("reading the gateway version from {}", client.url()))?;
    output::line("");
    output::line("Gateway");
    output::line(format!(" uri:     {}", client.url()));
    output::line(format!(" version: {}", info.version.release));
    output::line(format!(" sha:     {}", info.version.sha));
    output::line("");
    output::line("Provider");
    output::line(format!(" name:          {}", info.provider.provider));
    output::line(format!(" orchestration: {}", info.provider.orchestration));
    output::line(format!(" version:       {}", info.provider.version.release));
    output::line(format!(" sha:           {}", info.provider.version.sha));
    if !info.arch.is_empty() {
        output::line(format!(" arch:          {}", info.arch));
    }
    Ok(ExitStatus::Success)
}

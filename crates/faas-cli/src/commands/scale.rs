//! `faas scale NAME --replicas N` (ours): POST /system/scale-function/{name}.

use super::ExitStatus;
use crate::cli::ScaleArgs;
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

/// Runs `faas scale`.
pub async fn scale(ctx: &Context, args: &ScaleArgs) -> Result<ExitStatus, Error> {
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, None)?);
    client
        .scale(&args.name, args.namespace.as_deref(), args.replicas)
        .await
        .during(|| format!("scaling {}", args.name))?;
    output::line(format!(
        "Scaled {} to {} replica(s).",
        args.name, args.replicas
    ));
    Ok(ExitStatus::Success)
}

//! `faas list`: `Function  Invocations  Replicas`, laid out like faas-cli (docs/api.md §15.6).

use super::{optional_stack, ExitStatus};
use crate::cli::ListArgs;
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

/// Runs `faas list`.
pub async fn list(ctx: &Context, args: &ListArgs) -> Result<ExitStatus, Error> {
    let stack = optional_stack(ctx, args.yaml.as_deref()).await?;
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, stack.as_ref())?);
    let mut functions = client
        .list_functions(args.namespace.as_deref())
        .await
        .during(|| format!("listing functions on {}", client.url()))?;
    match args.sort.as_str() {
        "invocations" => functions.sort_by_key(|f| std::cmp::Reverse(f.invocation_count)),
        _ => functions.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    if args.quiet {
        for f in &functions {
            output::line(&f.name);
        }
    } else if args.verbose {
        output::line(output::expand_tabs(&format!(
            "{:<30}\t{:<30}\t{:<15}\t{:<5}\t{}",
            "Function", "Image", "Invocations", "Replicas", "CreatedAt"
        )));
        for f in &functions {
            output::line(output::expand_tabs(&format!(
                "{:<30}\t{:<30}\t{:<15}\t{:<5}\t{}",
                f.name, f.image, f.invocation_count, f.replicas, f.created_at
            )));
        }
    } else {
        output::line(output::expand_tabs(&format!(
            "{:<30}\t{:<15}\t{:<5}",
            "Function", "Invocations", "Replicas"
        )));
        for f in &functions {
            output::line(output::expand_tabs(&format!(
                "{:<30}\t{:<15}\t{:<5}",
                f.name, f.invocation_count, f.replicas
            )));
        }
    }
    Ok(ExitStatus::Success)
}

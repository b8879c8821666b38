//! `faas describe NAME`: one function's status, as faas-cli lays it out.

use super::{optional_stack, ExitStatus};
use crate::cli::DescribeArgs;
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

/// Runs `faas describe`.
pub async fn describe(ctx: &Context, args: &DescribeArgs) -> Result<ExitStatus, Error> {
    let stack = optional_stack(ctx, args.yaml.as_deref()).await?;
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, stack.as_ref())?);
    let status = client
        .function_status(&args.name, args.namespace.as_deref())
        .await
        .during(|| format!("describing {}", args.name))?
        .ok_or_else(|| Error::usage(format!("no such function: {}", args.name)))?;
    let ready = if status.available_replicas > 0 {
        "Ready"
    } else {
        "Not Ready"
    };
    let segment = match args.namespace.as_deref() {
        Some(ns) => format!("{}.{ns}", status.name),
        None => status.name.clone(),
    };
    let map = |m: &std::collections::BTreeMap<String, String>| {
        if m.is_empty() {
            "<none>".to_owned()
        } else {
            m.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut rows = vec![
        ("Name:", status.name.clone()),
        ("Namespace:", status.namespace.clone()),
        ("Status:", ready.to_owned()),
        ("Replicas:", status.replicas.to_string()),
        ("Available Replicas:", status.available_replicas.to_string()),
        ("Invocations:", status.invocation_count.to_string()),
        ("Image:", status.image.clone()),
        (
            "Function Process:",
            status
                .env_process
                .clone()
                .unwrap_or_else(|| "<default>".to_owned()),
        ),
        ("URL:", format!("{}/function/{segment}", client.url())),
        (
            "Async URL:",
            format!("{}/async-function/{segment}", client.url()),
        ),
        ("Labels:", map(&status.labels)),
        ("Annotations:", map(&status.annotations)),
        ("Created:", status.created_at.to_string()),
    ];
    if let Some(usage) = status.usage {
        rows.push((
            "RAM:",
            format!("{:.2} MB", usage.total_memory_bytes / 1024.0 / 1024.0),
        ));
        rows.push(("CPU:", format!("{:.0} Mi", usage.cpu * 1000.0)));
    }
    for (label, value) in rows {
        output::line(format!("{label:<20} {value}"));
    }
    Ok(ExitStatus::Success)
}

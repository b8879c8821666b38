//! `faas describe NAME`: one function's status, as faas-cli lays it out.

use super::{optional_stack, ExitStatus};
use crate::cli::DescribeArgs;
use crate::error::{During as _, Error};
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;
use faas_core::FunctionStatus;

/// Runs `faas describe`.
pub async fn describe(ctx: &Context, args: &DescribeArgs) -> Result<ExitStatus, Error> {
    let stack = optional_stack(ctx, args.yaml.as_deref()).await?;
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, stack.as_ref())?);
    let status = client
        .function_status(&args.name, args.namespace.as_deref())
        .await
        .during(|| format!("describing {}", args.name))?
        .ok_or_else(|| Error::usage(format!("no such function: {}", args.name)))?;
    for line in render(&status, client.url(), args.namespace.as_deref()) {
        output::line(line);
    }
    Ok(ExitStatus::Success)
}

/// The lines `faas describe` prints for `status` on gateway `url` (`namespace` as given on the
/// command line). Measured usage follows faas-cli: `Usage:`, then RAM in MB and CPU in
/// millicores (`Mi`).
pub fn render(status: &FunctionStatus, url: &str, namespace: Option<&str>) -> Vec<String> {
    let ready = if status.available_replicas > 0 {
        "Ready"
    } else {
        "Not Ready"
    };
    let segment = match namespace {
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
    let rows = [
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
        ("URL:", format!("{url}/function/{segment}")),
        ("Async URL:", format!("{url}/async-function/{segment}")),
        ("Labels:", map(&status.labels)),
        ("Annotations:", map(&status.annotations)),
        ("Created:", status.created_at.to_string()),
    ];
    let mut lines: Vec<String> = rows
        .iter()
        .map(|(label, value)| format!("{label:<20} {value}"))
        .collect();
    if let Some(usage) = status.usage {
        lines.push("Usage:".to_owned());
        lines.push(format!(
            "  RAM:  {:.2} MB",
            usage.total_memory_bytes / 1024.0 / 1024.0
        ));
        lines.push(format!("  CPU:  {:.0} Mi", usage.cpu.max(0.0)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use faas_core::{FunctionDeployment, FunctionUsage};

    fn status() -> FunctionStatus {
        let mut s = FunctionStatus::from_deployment(
            &FunctionDeployment {
                service: "figlet".into(),
                image: "ghcr.io/openfaas/figlet:latest".into(),
                ..Default::default()
            },
            jiff::Timestamp::UNIX_EPOCH,
        );
        s.replicas = 2;
        s.available_replicas = 2;
        s
    }

    #[test]
    fn usage_is_shown_as_faas_cli_does() {
        let mut s = status();
        s.usage = Some(FunctionUsage {
            cpu: 12.6,
            total_memory_bytes: 7_340_032.0,
        });
        let lines = render(&s, "http://127.0.0.1:8080", None);
        let tail: Vec<&str> = lines
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(String::as_str)
            .collect();
        assert_eq!(tail, ["Usage:", "  RAM:  7.00 MB", "  CPU:  13 Mi"]);
        assert!(
            lines.contains(&"Status:              Ready".to_owned()),
            "{lines:#?}"
        );
        assert!(
            lines
                .contains(&"URL:                 http://127.0.0.1:8080/function/figlet".to_owned()),
            "{lines:#?}"
        );
    }

    #[test]
    fn unknown_usage_prints_no_usage_lines() {
        let lines = render(&status(), "http://gw", Some("dev"));
        assert!(
            !lines
                .iter()
                .any(|l| l.contains("Usage") || l.contains("RAM")),
            "{lines:#?}"
        );
        assert!(
            lines.contains(&"Async URL:           http://gw/async-function/figlet.dev".to_owned())
        );
    }
}

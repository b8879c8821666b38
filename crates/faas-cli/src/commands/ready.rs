//! `faas ready [NAME]`: wait for /healthz to answer 200, or for a function to have a ready
//! replica (docs/api.md §15.6).

use super::{optional_stack, ExitStatus};
use crate::cli::ReadyArgs;
use crate::error::Error;
use crate::gateway_client::GatewayClient;
use crate::output;
use crate::settings::Context;

/// Runs `faas ready`.
pub async fn ready(ctx: &Context, args: &ReadyArgs) -> Result<ExitStatus, Error> {
    let interval = faas_core::timeout::parse_duration(&args.interval)
        .map_err(|e| Error::usage(format!("--interval: {e}")))?;
    let stack = optional_stack(ctx, args.yaml.as_deref()).await?;
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, stack.as_ref())?);
    let what = match &args.name {
        Some(name) => format!("function {name}"),
        None => format!("the gateway at {}", client.url()),
    };
    let mut last_problem = String::from("not ready");
    for attempt in 1..=args.attempts.max(1) {
        let outcome = match &args.name {
            Some(name) => client
                .function_status(name, args.namespace.as_deref())
                .await
                .map(|s| match s {
                    Some(s) if s.available_replicas > 0 => Ok(()),
                    Some(_) => Err("no replica is ready yet".to_owned()),
                    None => Err("it is not deployed".to_owned()),
                }),
            None => client.healthy().await.map(|ok| {
                if ok {
                    Ok(())
                } else {
                    Err("/healthz did not answer 200".to_owned())
                }
            }),
        };
        match outcome {
            Ok(Ok(())) => {
                output::line(format!("{} is ready", capitalise(&what)));
                return Ok(ExitStatus::Success);
            }
            Ok(Err(problem)) => last_problem = problem,
            Err(Error::Unauthorized) => return Err(Error::Unauthorized),
            Err(e) => last_problem = e.chain(),
        }
        tracing::debug!(attempt, problem = %last_problem, "not ready");
        if attempt < args.attempts {
            tokio::time::sleep(interval).await;
        }
    }
    Err(Error::usage(format!(
        "{what} was not ready after {} attempts: {last_problem}",
        args.attempts
    )))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

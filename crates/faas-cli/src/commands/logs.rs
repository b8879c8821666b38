//! `faas logs NAME`: the NDJSON stream of GET /system/logs, one line per message as
//! `<timestamp> <name> (<instance>) <text>` (docs/api.md §9, §15.9).

use bytes::{Buf as _, BytesMut};
use faas_core::LogMessage;
use http_body_util::BodyExt as _;

use super::{optional_stack, ExitStatus};
use crate::cli::LogsArgs;
use crate::error::{During as _, Error};
use crate::gateway_client::{GatewayClient, LogQuery};
use crate::output;
use crate::settings::Context;

/// Runs `faas logs`.
pub async fn logs(ctx: &Context, args: &LogsArgs) -> Result<ExitStatus, Error> {
    let stack = optional_stack(ctx, args.yaml.as_deref()).await?;
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, stack.as_ref())?);
    let since = match (&args.since, &args.since_time) {
        (Some(_), Some(_)) => return Err(Error::usage("pass --since or --since-time, not both")),
        (Some(duration), None) => {
            let d = faas_core::timeout::parse_duration(duration)
                .map_err(|e| Error::usage(format!("--since: {e}")))?;
            let d = jiff::SignedDuration::try_from(d)
                .map_err(|e| Error::usage(format!("--since {duration}: {e}")))?;
            let start = jiff::Timestamp::now()
                .checked_sub(d)
                .map_err(|e| Error::usage(format!("--since {duration}: {e}")))?;
            Some(start.to_string())
        }
        (None, Some(time)) => {
            let t: jiff::Timestamp = time.parse().map_err(|e| {
                Error::usage(format!(
                    "--since-time {time:?} is not an RFC 3339 time: {e}"
                ))
            })?;
            Some(t.to_string())
        }
        (None, None) => None,
    };
    let query = LogQuery {
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        instance: args.instance.clone(),
        tail: args.tail,
        since,
        follow: args.follow,
    };
    let response = client
        .logs(&query)
        .await
        .during(|| format!("reading the logs of {}", args.name))?;
    let mut body = response.into_body();
    let mut pending = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::Http {
            url: format!("{}/system/logs", client.url()),
            source: Box::new(e),
        })?;
        if let Ok(data) = frame.into_data() {
            pending.extend_from_slice(&data);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let line = pending.split_to(end + 1);
                print_line(&line[..end], &args.output);
            }
        }
    }
    if pending.has_remaining() {
        print_line(&pending, &args.output);
    }
    Ok(ExitStatus::Success)
}

fn print_line(line: &[u8], format: &str) {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    match serde_json::from_str::<LogMessage>(text) {
        Ok(message) => output::line(format_message(&message, format)),
        Err(e) => {
            tracing::debug!(error = %e, "log line is not a LogMessage");
            output::line(text);
        }
    }
}

/// One message in the chosen format.
pub fn format_message(message: &LogMessage, format: &str) -> String {
    match format {
        "json" => serde_json::to_string(message).unwrap_or_default(),
        "text" => message.text.clone(),
        _ => format!(
            "{} {} ({}) {}",
            message.timestamp, message.name, message.instance, message.text
        ),
    }
}

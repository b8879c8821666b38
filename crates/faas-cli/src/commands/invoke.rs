//! `faas invoke NAME`: stdin as the body of `/function/<name>.<ns>` (or `/async-function/…`),
//! the response body to stdout unchanged (docs/api.md §15.5). No credentials are sent.

use std::io::IsTerminal as _;

use bytes::Bytes;
use hmac::{Hmac, Mac as _};
use http::{Method, StatusCode};

use super::{optional_stack, read_stdin, ExitStatus};
use crate::cli::InvokeArgs;
use crate::error::{During as _, Error};
use crate::gateway_client::{encode_query, GatewayClient};
use crate::output;
use crate::settings::Context;

/// Runs `faas invoke`.
pub async fn invoke(ctx: &Context, args: &InvokeArgs) -> Result<ExitStatus, Error> {
    let stack = optional_stack(ctx, args.yaml.as_deref()).await?;
    let namespace = args
        .namespace
        .clone()
        .or_else(|| stack.as_ref()?.function(&args.name)?.namespace.clone())
        .unwrap_or_else(|| faas_core::DEFAULT_NAMESPACE.to_owned());
    let client = GatewayClient::new(&ctx.gateway(&args.gateway, stack.as_ref())?);
    let method = Method::from_bytes(args.method.trim().to_uppercase().as_bytes())
        .map_err(|_| Error::usage(format!("--method {:?} is not an HTTP method", args.method)))?;

    let mut headers = vec![("Content-Type".to_owned(), args.content_type.clone())];
    for header in &args.header {
        let (k, v) = header
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("-H {header:?}: expected KEY=VALUE")))?;
        headers.push((k.trim().to_owned(), v.to_owned()));
    }
    let mut query = Vec::new();
    for pair in &args.query {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("--query {pair:?}: expected KEY=VALUE")))?;
        query.push((k, v));
    }

    if std::io::stdin().is_terminal() {
        output::progress("Reading from STDIN - hit (Control + D) to stop.");
    }
    let body = read_stdin().await?;
    match (&args.sign, &args.key) {
        (Some(header), Some(key)) => headers.push((
            header.clone(),
            format!("sha1={}", hmac_sha1_hex(key, &body)),
        )),
        (None, None) => {}
        _ => return Err(Error::usage("--sign and --key go together")),
    }

    let route = if args.is_async {
        "async-function"
    } else {
        "function"
    };
    let mut path = format!("/{route}/{}.{namespace}", args.name);
    if !query.is_empty() {
        path = format!("{path}?{}", encode_query(query));
    }
    let method = if args.is_async { Method::POST } else { method };
    let reply = client
        .invoke(method, &path, &headers, Bytes::from(body))
        .await
        .during(|| format!("invoking {}", args.name))?;
    if args.is_async {
        if reply.status == StatusCode::ACCEPTED {
            output::progress("Function submitted asynchronously.");
            if let Some(id) = reply.headers.get("X-Call-Id").and_then(|v| v.to_str().ok()) {
                output::progress(format!("Call id: {id}"));
            }
            return Ok(ExitStatus::Success);
        }
    } else if reply.status.is_success() {
        output::raw(&reply.body);
        return Ok(ExitStatus::Success);
    }
    Err(Error::During {
        action: format!("invoking {}", args.name),
        source: Box::new(Error::Status {
            status: reply.status,
            body: reply.text(),
        }),
    })
}

/// Lower-case hex HMAC-SHA1 of `body` with `key`.
fn hmac_sha1_hex(key: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_2202() {
        assert_eq!(
            hmac_sha1_hex("key", b"The quick brown fox jumps over the lazy dog"),
            "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
        );
    }
}

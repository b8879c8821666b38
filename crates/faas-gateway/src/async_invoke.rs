//! `POST /async-function/NAME[.NS][/rest]` (docs/api.md §11.1): check the function exists and the
//! callback URL parses, read the body (bounded), hand a [`QueuedInvocation`] to the queue and
//! answer 202 once it is stored.
//!
//! Without a configured queue the route answers 404 `async invocations are not configured on
//! this gateway`: as upstream without NATS, the route does not exist, and the message says why.

use std::net::SocketAddr;

use faas_core::{FunctionRef, QueuedInvocation};
use http::header::HeaderValue;
use http::request::Parts;
use http::{Response, StatusCode, Uri};
use hyper::body::Incoming;

use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::gateway::Shared;
use crate::proxy_headers::{
    call_id, prepare_upstream_request, unix_nanos, X_CALLBACK_URL, X_CALL_ID, X_START_TIME,
};
use crate::request_body::read_limited;
use crate::rescue::empty;
use crate::route::Target;

/// Queues one asynchronous invocation.
pub(crate) async fn accept(
    shared: &Shared,
    target: Target<'_>,
    peer: Option<SocketAddr>,
    parts: &Parts,
    body: Incoming,
) -> Result<Response<GatewayBody>, GatewayError> {
    let Some(queue) = &shared.config.queue else {
        return Err(GatewayError::AsyncNotConfigured);
    };
    let function = FunctionRef::parse_segment_in(target.segment, &shared.config.default_namespace);
    if let Err(e) = shared.provider.resolve(&function) {
        return Err(if e.is_not_found() {
            GatewayError::FunctionNotFound(function)
        } else {
            e.into()
        });
    }
    let callback_url = match parts.headers.get(X_CALLBACK_URL) {
        Some(value) => Some(callback_url(value)?),
        None => None,
    };
    let body = read_limited(body, &parts.headers, shared.config.async_body_limit).await?;

    let mut headers = parts.headers.clone();
    prepare_upstream_request(&mut headers, parts.uri.authority(), peer.map(|p| p.ip()));
    let id = call_id(&headers);
    let start_time_ns = unix_nanos();
    let start = HeaderValue::from(start_time_ns);
    headers.insert(X_CALL_ID, id.clone());
    headers.insert(X_START_TIME, start.clone());

    let path = parts.uri.path();
    let rest = path.get(target.rest_start..).filter(|r| !r.is_empty());
    let invocation = QueuedInvocation {
        segment: target.segment.to_owned(),
        method: parts.method.as_str().to_owned(),
        path: rest.unwrap_or("/").to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect(),
        body: body.to_vec(),
        call_id: String::from_utf8_lossy(id.as_bytes()).into_owned(),
        start_time_ns,
        callback_url,
        function,
    };
    tracing::debug!(?invocation, "queuing invocation");
    queue.enqueue(invocation).await?;

    let mut response = empty(StatusCode::ACCEPTED);
    response.headers_mut().insert(X_CALL_ID, id);
    response.headers_mut().insert(X_START_TIME, start);
    Ok(response)
}

/// An `X-Callback-Url` that is an absolute `http` or `https` URL, else 400 saying why.
fn callback_url(value: &HeaderValue) -> Result<String, GatewayError> {
    let text = value
        .to_str()
        .map_err(|_| GatewayError::bad_request("X-Callback-Url is not valid text"))?;
    let invalid =
        |why: String| GatewayError::bad_request(format!("invalid X-Callback-Url {text:?}: {why}"));
    let uri: Uri = text.parse().map_err(|e| invalid(format!("{e}")))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http" | "https"), Some(a)) if !a.host().is_empty() => Ok(text.to_owned()),
        _ => Err(invalid("use an absolute http or https URL".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls() {
        let ok = |s: &str| callback_url(&HeaderValue::from_str(s).unwrap());
        assert_eq!(
            ok("http://127.0.0.1:9999/cb?x=1").unwrap(),
            "http://127.0.0.1:9999/cb?x=1"
        );
        assert!(ok("https://example.com").is_ok());
        for bad in [
            "http://[bad",
            "/relative",
            "ftp://host/x",
            "not a url",
            "http://",
        ] {
            let err = ok(bad).unwrap_err();
            assert!(
                err.to_string().contains("invalid X-Callback-Url"),
                "{bad}: {err}"
            );
        }
    }
}

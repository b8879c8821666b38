//! The innermost service of the invocation stack: pick a ready replica and forward the call with
//! a pooled keep-alive client. Bodies stream both ways as hyper's `Incoming`, never buffered;
//! the client's `Content-Length` is kept; redirects are passed back, not followed.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use faas_core::FunctionRef;
use http::{HeaderValue, Request, Response, Uri, Version};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::gateway::Shared;
use crate::invoke::Routed;
use crate::proxy_headers::{prepare_upstream_request, remove_hop_by_hop, X_SERVED_BY};

/// How long an idle pooled connection to a replica is kept.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per replica (upstream `max_idle_conns_per_host`).
const POOL_MAX_IDLE_PER_HOST: usize = 1024;

/// Forwards a routed invocation to one of its function's ready replicas.
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    client: Client<HttpConnector, Incoming>,
    served_by: HeaderValue,
}

impl Forward {
    /// A forwarder with its own connection pool.
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
            .build(connector);
        let served_by =
            HeaderValue::from_str(&format!("faas-gateway/{}", shared.config.version.release))
                .unwrap_or_else(|_| HeaderValue::from_static("faas-gateway"));
        Self { client, served_by }
    }
}

impl tower::Service<Routed> for Forward {
    type Response = Response<GatewayBody>;
    type Error = GatewayError;
    type Future = ForwardFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        // The pooled client is always ready; it queues internally.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, routed: Routed) -> ForwardFuture {
        let Routed {
            invocation,
            resolved,
            ..
        } = routed;
        let function = invocation.function;
        let Some(addr) = resolved.endpoints.pick() else {
            return ForwardFuture::failed(GatewayError::NoReplica(function));
        };
        let (mut parts, body) = invocation.request.into_parts();
        let uri = match upstream_uri(
            addr,
            parts.uri.path(),
            invocation.rest_start,
            parts.uri.query(),
        ) {
            Ok(uri) => uri,
            Err(e) => return ForwardFuture::failed(e),
        };
        prepare_upstream_request(&mut parts.headers, parts.uri.authority(), invocation.peer);
        parts.uri = uri;
        parts.version = Version::HTTP_11;
        ForwardFuture {
            state: State::Sent(self.client.request(Request::from_parts(parts, body))),
            function: Some(function),
            served_by: self.served_by.clone(),
        }
    }
}

/// `http://ADDR/REST?QUERY`: the path after the function segment and the raw query, byte for
/// byte (docs/api.md §10.1); `/` when there is no rest.
fn upstream_uri(
    addr: SocketAddr,
    path: &str,
    rest_start: usize,
    query: Option<&str>,
) -> Result<Uri, GatewayError> {
    use std::fmt::Write as _;
    let rest = path
        .get(rest_start..)
        .filter(|r| !r.is_empty())
        .unwrap_or("/");
    let mut text = String::with_capacity(32 + rest.len() + query.map_or(0, str::len));
    let _ = write!(text, "http://{addr}{rest}");
    if let Some(q) = query {
        text.push('?');
        text.push_str(q);
    }
    Uri::try_from(text).map_err(|e| GatewayError::bad_request(format!("invalid path: {e}")))
}

/// The future of [`Forward`].
#[derive(Debug)]
pub(crate) struct ForwardFuture {
    state: State,
    function: Option<FunctionRef>,
    served_by: HeaderValue,
}

#[derive(Debug)]
enum State {
    Sent(ResponseFuture),
    Failed(Option<GatewayError>),
}

impl ForwardFuture {
    fn failed(err: GatewayError) -> Self {
        Self {
            state: State::Failed(Some(err)),
            function: None,
            served_by: HeaderValue::from_static(""),
        }
    }
}

impl Future for ForwardFuture {
    type Output = Result<Response<GatewayBody>, GatewayError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let result = match &mut this.state {
            State::Failed(err) => {
                return Poll::Ready(Err(err
                    .take()
                    .unwrap_or_else(|| GatewayError::bad_request("polled after completion"))))
            }
            State::Sent(sent) => match Pin::new(sent).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(r) => r,
            },
        };
        let function = this
            .function
            .take()
            .unwrap_or_else(|| FunctionRef::new("unknown", None));
        Poll::Ready(match result {
            Ok(response) => {
                let (mut parts, body) = response.into_parts();
                remove_hop_by_hop(&mut parts.headers);
                parts.headers.insert(X_SERVED_BY, this.served_by.clone());
                Ok(Response::from_parts(parts, GatewayBody::incoming(body)))
            }
            Err(e) if e.is_connect() => Err(GatewayError::UpstreamConnect {
                function,
                source: Box::new(e),
            }),
            Err(e) => Err(GatewayError::UpstreamFailed {
                function,
                source: Box::new(e),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_uri_keeps_rest_and_raw_query() {
        let addr: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        let path = "/function/echo.dev/a/b%20c";
        let uri =
            upstream_uri(addr, path, "/function/echo.dev".len(), Some("x=1&y=%2F+z")).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:9000/a/b%20c?x=1&y=%2F+z");
        let uri = upstream_uri(addr, "/function/echo", 14, None).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:9000/");
        let uri = upstream_uri(addr, "/function/echo/", 14, Some("")).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:9000/?");
    }
}

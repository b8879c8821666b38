//! The two HTTP requests a worker sends for a queued invocation, built without sending them:
//! the replay of the original call through the gateway, and the callback with its result.

use std::time::Duration;

use bytes::Bytes;
use faas_core::QueuedInvocation;
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, HOST, USER_AGENT};
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::Full;

/// The `User-Agent` of every request the worker sends.
pub const WORKER_USER_AGENT: &str = "faas-queue-worker";

/// The header marking a response made by a platform component, not the function.
pub const X_OPENFAAS_INTERNAL: &str = "x-openfaas-internal";

/// Why a request could not be built. The message is complete; the invocation cannot run (it goes
/// to the dead-letter stream).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidRequest(String);

/// What the function answered, read completely.
#[derive(Debug, Clone)]
pub struct FunctionResponse {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
}

impl FunctionResponse {
    /// Whether a platform component made this response (`X-OpenFaaS-Internal` present).
    pub fn is_platform_error(&self) -> bool {
        self.headers.contains_key(X_OPENFAAS_INTERNAL)
    }
}

/// The outcome of invoking the function once.
#[derive(Debug, Clone)]
pub enum InvocationResult {
    /// The gateway answered (the function's answer or a platform error).
    Response(FunctionResponse),
    /// No answer: connection refused or reset, or the worker's own deadline passed. The text says
    /// what happened (for logs and dead letters, never sent to the callback).
    TransportFailed(String),
}

impl InvocationResult {
    /// The status reported as `X-Function-Status`: the function's, or 503 for a transport failure.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Response(r) => r.status,
            Self::TransportFailed(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// The replay of `inv` through the gateway at `gateway` (e.g. `http://127.0.0.1:8080`):
/// `<method> <gateway>/function/<name>.<namespace><path>[?<query>]` with the stored headers and
/// body. Changes to the stored headers: `Host` and `Content-Length` are left to the HTTP client,
/// `User-Agent` becomes [`WORKER_USER_AGENT`], and `X-Call-Id` and `X-Start-Time` are set to the
/// call's id and acceptance time, exactly one value each. Header entries that are not valid HTTP
/// are skipped.
pub fn function_request(
    gateway: &Uri,
    inv: &QueuedInvocation,
) -> Result<Request<Full<Bytes>>, InvalidRequest> {
    let method = Method::from_bytes(inv.method.as_bytes())
        .map_err(|_| InvalidRequest(format!("invalid method {:?}", inv.method)))?;
    let base = gateway.to_string();
    let base = base.trim_end_matches('/');
    let path = if inv.path.starts_with('/') {
        inv.path.clone()
    } else {
        format!("/{}", inv.path)
    };
    let query = if inv.query.is_empty() {
        String::new()
    } else {
        format!("?{}", inv.query)
    };
    let url = format!(
        "{base}/function/{}.{}{path}{query}",
        inv.function.name, inv.function.namespace
    );
    let uri: Uri = url
        .parse()
        .map_err(|e| InvalidRequest(format!("invalid function url {url:?}: {e}")))?;

    let mut headers = stored_headers(inv);
    for name in [HOST, CONTENT_LENGTH] {
        headers.remove(name);
    }
    headers.insert(USER_AGENT, HeaderValue::from_static(WORKER_USER_AGENT));
    set_call_headers(&mut headers, inv);

    let mut request = Request::new(Full::new(Bytes::from(inv.body.clone())));
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(request)
}

/// The callback for `inv` with `result`, `elapsed` after the worker received the message:
/// `POST <callback url>` with the function's response headers and body (empty on a transport
/// failure), plus `X-Call-Id`, `X-Function-Status`, `X-Function-Name` (the segment as invoked) and
/// `X-Duration-Seconds` (`%f`: six decimals). `None` when the call has no callback URL.
pub fn callback_request(
    inv: &QueuedInvocation,
    result: &InvocationResult,
    elapsed: Duration,
) -> Result<Option<Request<Full<Bytes>>>, InvalidRequest> {
    let Some(url) = &inv.callback_url else {
        return Ok(None);
    };
    let uri: Uri = url
        .parse()
        .map_err(|e| InvalidRequest(format!("invalid callback url {url:?}: {e}")))?;
    let (mut headers, body) = match result {
        InvocationResult::Response(r) => (r.headers.clone(), r.body.clone()),
        InvocationResult::TransportFailed(_) => (HeaderMap::new(), Bytes::new()),
    };
    for name in HOP_BY_HOP.iter().chain(&[HOST, CONTENT_LENGTH]) {
        headers.remove(name);
    }
    headers.insert(USER_AGENT, HeaderValue::from_static(WORKER_USER_AGENT));
    headers.insert(X_CALL_ID, header_value(&inv.call_id));
    headers.insert(
        X_FUNCTION_STATUS,
        HeaderValue::from(result.status().as_u16()),
    );
    headers.insert(X_FUNCTION_NAME, header_value(&inv.segment));
    headers.insert(
        X_DURATION_SECONDS,
        header_value(&format!("{:.6}", elapsed.as_secs_f64())),
    );

    let mut request = Request::new(Full::new(body));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    Ok(Some(request))
}

const X_CALL_ID: HeaderName = HeaderName::from_static("x-call-id");
const X_START_TIME: HeaderName = HeaderName::from_static("x-start-time");
const X_FUNCTION_STATUS: HeaderName = HeaderName::from_static("x-function-status");
const X_FUNCTION_NAME: HeaderName = HeaderName::from_static("x-function-name");
const X_DURATION_SECONDS: HeaderName = HeaderName::from_static("x-duration-seconds");

/// Headers that describe one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [HeaderName; 8] = [
    http::header::CONNECTION,
    HeaderName::from_static("proxy-connection"),
    HeaderName::from_static("keep-alive"),
    http::header::PROXY_AUTHENTICATE,
    http::header::PROXY_AUTHORIZATION,
    http::header::TE,
    http::header::TRAILER,
    http::header::TRANSFER_ENCODING,
];

fn stored_headers(inv: &QueuedInvocation) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(inv.headers.len() + 3);
    for (name, value) in &inv.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) else {
            tracing::debug!(call_id = %inv.call_id, header = %name, "skipping an invalid stored header");
            continue;
        };
        headers.append(name, value);
    }
    headers
}

fn set_call_headers(headers: &mut HeaderMap, inv: &QueuedInvocation) {
    headers.insert(X_CALL_ID, header_value(&inv.call_id));
    headers.insert(X_START_TIME, HeaderValue::from(inv.start_time_ns));
}

/// `text` as a header value; characters a header cannot hold become `_`.
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| {
        let cleaned: String = text
            .chars()
            .map(|c| {
                if c == '\t' || (' '..='~').contains(&c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        HeaderValue::from_str(&cleaned).expect("printable ASCII is a valid header value")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faas_core::FunctionRef;

    fn invocation() -> QueuedInvocation {
        QueuedInvocation {
            function: FunctionRef::new("echo", None),
            segment: "echo".into(),
            method: "PUT".into(),
            path: "/sub/path".into(),
            query: "q=1&r=%20".into(),
            headers: vec![
                ("content-type".into(), b"text/plain".to_vec()),
                ("host".into(), b"gateway:8080".to_vec()),
                ("content-length".into(), b"5".to_vec()),
                ("user-agent".into(), b"curl/8".to_vec()),
                ("x-start-time".into(), b"1".to_vec()),
                ("x-start-time".into(), b"2".to_vec()),
                ("x-custom".into(), b"a".to_vec()),
                ("x-custom".into(), b"b".to_vec()),
                ("bad header".into(), b"x".to_vec()),
                (
                    "x-callback-url".into(),
                    b"http://127.0.0.1:9/cb?x=1".to_vec(),
                ),
            ],
            body: b"hello".to_vec(),
            call_id: "id-1".into(),
            start_time_ns: 1_795_612_939_501_807_547,
            callback_url: Some("http://127.0.0.1:9/cb?x=1".into()),
        }
    }

    fn gateway() -> Uri {
        "http://127.0.0.1:8080".parse().unwrap()
    }

    fn body_of(r: Request<Full<Bytes>>) -> Bytes {
        use futures_util::FutureExt as _;
        use http_body_util::BodyExt as _;
        r.into_body()
            .collect()
            .now_or_never()
            .expect("a full body is ready")
            .expect("infallible")
            .to_bytes()
    }

    fn values<'a>(h: &'a HeaderMap, name: &str) -> Vec<&'a [u8]> {
        h.get_all(name).iter().map(HeaderValue::as_bytes).collect()
    }

    #[test]
    fn function_request_replays_the_call() {
        let r = function_request(&gateway(), &invocation()).unwrap();
        assert_eq!(r.method(), Method::PUT);
        assert_eq!(
            r.uri().to_string(),
            "http://127.0.0.1:8080/function/echo.openfaas-fn/sub/path?q=1&r=%20"
        );
        let h = r.headers();
        assert_eq!(values(h, "x-start-time"), [b"1795612939501807547"]);
        assert_eq!(values(h, "user-agent"), [b"faas-queue-worker"]);
        assert_eq!(values(h, "x-call-id"), [b"id-1"]);
        assert_eq!(values(h, "x-custom"), [b"a", b"b"]);
        assert_eq!(values(h, "x-callback-url"), [b"http://127.0.0.1:9/cb?x=1"]);
        assert!(h.get("host").is_none() && h.get("content-length").is_none());
        assert_eq!(h.len(), 7, "{h:?}");
    }

    #[test]
    fn function_request_paths() {
        let gw_slash: Uri = "http://gw:8080/".parse().unwrap();
        let mut inv = invocation();
        inv.path = "/".into();
        inv.query.clear();
        let r = function_request(&gw_slash, &inv).unwrap();
        assert_eq!(
            r.uri().to_string(),
            "http://gw:8080/function/echo.openfaas-fn/"
        );
        inv.path = "x".into();
        inv.function = FunctionRef::new("f", Some("team"));
        let r = function_request(&gateway(), &inv).unwrap();
        assert_eq!(r.uri().path(), "/function/f.team/x");
        inv.method = "BAD METHOD".into();
        assert!(function_request(&gateway(), &inv).is_err());
    }

    fn response() -> InvocationResult {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers.insert("x-served-by", HeaderValue::from_static("fn"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert("content-length", HeaderValue::from_static("3"));
        InvocationResult::Response(FunctionResponse {
            status: StatusCode::CREATED,
            headers,
            body: Bytes::from_static(b"out"),
        })
    }

    #[test]
    fn callback_carries_the_result() {
        let elapsed = Duration::from_micros(6_031_875);
        let r = callback_request(&invocation(), &response(), elapsed)
            .unwrap()
            .unwrap();
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.uri().to_string(), "http://127.0.0.1:9/cb?x=1");
        let h = r.headers();
        assert_eq!(values(h, "x-call-id"), [b"id-1"]);
        assert_eq!(values(h, "x-function-status"), [b"201"]);
        assert_eq!(values(h, "x-function-name"), [b"echo"]);
        assert_eq!(values(h, "x-duration-seconds"), [b"6.031875"]);
        assert_eq!(values(h, "content-type"), [b"text/plain; charset=utf-8"]);
        assert_eq!(values(h, "x-served-by"), [b"fn"]);
        assert!(h.get("transfer-encoding").is_none() && h.get("content-length").is_none());
        assert_eq!(body_of(r), &b"out"[..]);
    }

    #[test]
    fn callback_after_transport_failure_is_503_and_empty() {
        let failed = InvocationResult::TransportFailed("connection refused".into());
        let r = callback_request(&invocation(), &failed, Duration::from_millis(4))
            .unwrap()
            .unwrap();
        assert_eq!(values(r.headers(), "x-function-status"), [b"503"]);
        assert_eq!(values(r.headers(), "x-duration-seconds"), [b"0.004000"]);
        assert!(r.headers().get("content-type").is_none());
        assert_eq!(body_of(r), &b""[..]);
    }

    #[test]
    fn no_callback_without_url_and_bad_url_is_an_error() {
        let mut inv = invocation();
        inv.callback_url = None;
        assert!(callback_request(&inv, &response(), Duration::ZERO)
            .unwrap()
            .is_none());
        inv.callback_url = Some("http://[bad".into());
        assert!(callback_request(&inv, &response(), Duration::ZERO).is_err());
    }

    #[test]
    fn header_values_are_sanitised() {
        assert_eq!(header_value("a\u{e9}b\nc").as_bytes(), b"a_b_c");
    }
}

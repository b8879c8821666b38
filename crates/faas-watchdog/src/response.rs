//! Responses the watchdog makes itself, as opposed to the function's (docs/watchdog.md §3, §5, §6).
//!
//! Error responses generated here carry `X-OpenFaaS-Internal` so a gateway can tell them from a
//! function's own 500s, with the values the upstream watchdogs use.

use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};

use crate::body::{self, ResponseBody};

/// The header that marks watchdog-made responses.
pub(crate) const INTERNAL_HEADER: &str = "x-openfaas-internal";

/// A `text/plain` response with the given status and body.
pub(crate) fn text(status: StatusCode, message: impl Into<bytes::Bytes>) -> Response<ResponseBody> {
    let mut response = Response::new(body::full(message));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A response with no body.
pub(crate) fn empty(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(body::empty());
    *response.status_mut() = status;
    response
}

/// A watchdog-made error (`X-OpenFaaS-Internal: of-watchdog`) with a one-line message.
pub(crate) fn internal_error(
    status: StatusCode,
    message: impl Into<bytes::Bytes>,
) -> Response<ResponseBody> {
    let mut response = text(status, message);
    response
        .headers_mut()
        .insert(INTERNAL_HEADER, HeaderValue::from_static("of-watchdog"));
    response
}

/// 405 for methods a route does not serve.
pub(crate) fn method_not_allowed() -> Response<ResponseBody> {
    text(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed\n")
}

/// 429 with the exact body both upstream watchdogs send (docs/watchdog.md §6).
pub(crate) fn too_many_requests(limit: usize) -> Response<ResponseBody> {
    let mut response = text(
        StatusCode::TOO_MANY_REQUESTS,
        format!("Concurrent request limit exceeded. Max concurrent requests: {limit}\n"),
    );
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    headers.insert(INTERNAL_HEADER, HeaderValue::from_static("faas-middleware"));
    response
}

/// 504 after a function ran past its deadline.
pub(crate) fn gateway_timeout(limit: std::time::Duration) -> Response<ResponseBody> {
    internal_error(
        StatusCode::GATEWAY_TIMEOUT,
        format!("function exceeded its deadline of {limit:?} and was killed\n"),
    )
}

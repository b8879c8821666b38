//! Errors become HTTP here, and only here.
//!
//! [`error_response`] maps a [`GatewayError`] (and through it a provider's
//! [`faas_core::ErrorKind`]) to a status and a one-line `text/plain` body ending in `\n`, marked
//! `X-OpenFaaS-Internal: gateway` so callers (and the async worker) can tell platform errors from
//! a function's own. [`RescueLayer`] applies it to the invocation stack; the management routes
//! call [`error_response`] directly. Responses a function made never pass through here.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use faas_core::ErrorKind;
use http::header::{HeaderValue, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use serde::Serialize;

use crate::body::GatewayBody;
use crate::error::GatewayError;

/// Header marking a response the platform made rather than the function.
pub(crate) const INTERNAL_HEADER: &str = "x-openfaas-internal";
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// The status a [`GatewayError`] is answered with.
pub(crate) fn status_of(err: &GatewayError) -> StatusCode {
    use GatewayError as E;
    match err {
        E::Provider(p) => match p.kind() {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::AlreadyExists | ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Invalid => StatusCode::BAD_REQUEST,
            ErrorKind::NotReady | ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Unsupported => StatusCode::NOT_IMPLEMENTED,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        },
        E::RouteNotFound | E::FunctionNotFound(_) | E::AsyncNotConfigured => StatusCode::NOT_FOUND,
        E::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        E::Unauthorized => StatusCode::UNAUTHORIZED,
        E::Forbidden(_) => StatusCode::FORBIDDEN,
        E::ReadBody(_) | E::BadJson { .. } | E::BadRequest(_) => StatusCode::BAD_REQUEST,
        E::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        E::BadLogQuery(_) => StatusCode::UNPROCESSABLE_ENTITY,
        E::NotReady { .. } | E::NoReplica(_) => StatusCode::SERVICE_UNAVAILABLE,
        E::UpstreamConnect { .. } | E::UpstreamFailed { .. } => StatusCode::BAD_GATEWAY,
        E::UpstreamTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        E::ReadSecret { .. } | E::Accept(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The response for `err`: its status, its cause chain as one line, the internal marker.
pub(crate) fn error_response(err: &GatewayError) -> Response<GatewayBody> {
    let status = status_of(err);
    let message = err.chain();
    if status.is_server_error() {
        tracing::warn!(status = status.as_u16(), error = %message, "request failed");
    } else {
        tracing::debug!(status = status.as_u16(), error = %message, "request refused");
    }
    let mut response = text(status, &message);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Restricted\""),
        );
    }
    response
}

/// A platform-made `text/plain` response: `message` on one line, ending in `\n`.
pub(crate) fn text(status: StatusCode, message: &str) -> Response<GatewayBody> {
    let mut line = message.replace(['\r', '\n'], " ");
    if line.trim().is_empty() {
        line = status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase();
    }
    line.push('\n');
    let mut response = Response::new(GatewayBody::full(line));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN));
    headers.insert(INTERNAL_HEADER, HeaderValue::from_static("gateway"));
    response
}

/// A JSON response of `value`.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<GatewayBody> {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = Response::new(GatewayBody::full(bytes));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("encoding the response: {e}"),
        ),
    }
}

/// An empty response with this status.
pub(crate) fn empty(status: StatusCode) -> Response<GatewayBody> {
    let mut response = Response::new(GatewayBody::empty());
    *response.status_mut() = status;
    response
}

// === impl RescueLayer ===

/// Turns the errors of the service it wraps into responses (see [`error_response`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RescueLayer;

impl<S> tower::Layer<S> for RescueLayer {
    type Service = Rescue<S>;

    fn layer(&self, inner: S) -> Rescue<S> {
        Rescue { inner }
    }
}

/// The service of [`RescueLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Rescue<S> {
    inner: S,
}

impl<S, R> tower::Service<R> for Rescue<S>
where
    S: tower::Service<R, Response = Response<GatewayBody>, Error = GatewayError>,
    S::Future: Unpin,
{
    type Response = Response<GatewayBody>;
    type Error = Infallible;
    type Future = RescueFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx).map(|r| {
            if let Err(e) = r {
                tracing::error!(error = %e.chain(), "invocation stack not ready");
            }
            Ok(())
        })
    }

    fn call(&mut self, request: R) -> Self::Future {
        RescueFuture(self.inner.call(request))
    }
}

/// The future of [`Rescue`].
#[derive(Debug)]
pub(crate) struct RescueFuture<F>(F);

impl<F> Future for RescueFuture<F>
where
    F: Future<Output = Result<Response<GatewayBody>, GatewayError>> + Unpin,
{
    type Output = Result<Response<GatewayBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| Ok(r.unwrap_or_else(|e| error_response(&e))))
    }
}

#[cfg(test)]
mod tests {
    use faas_core::{FunctionRef, ProviderError};
    use http_body_util::BodyExt as _;

    use super::*;

    async fn body_of(r: Response<GatewayBody>) -> String {
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    #[test]
    fn provider_kinds_map_to_statuses() {
        let cases = [
            (ProviderError::not_found("x"), 404),
            (ProviderError::already_exists("x"), 409),
            (ProviderError::invalid("x"), 400),
            (ProviderError::not_ready("x"), 503),
            (ProviderError::conflict("x"), 409),
            (ProviderError::unsupported("x"), 501),
            (ProviderError::unavailable("x", "y"), 503),
            (ProviderError::internal_msg("x"), 500),
        ];
        for (err, code) in cases {
            assert_eq!(status_of(&GatewayError::from(err)).as_u16(), code);
        }
    }

    #[tokio::test]
    async fn gateway_errors_are_one_marked_line() {
        let f = FunctionRef::new("echo", None);
        let r = error_response(&GatewayError::FunctionNotFound(f));
        assert_eq!(r.status(), 404);
        assert_eq!(r.headers()[INTERNAL_HEADER], "gateway");
        assert_eq!(r.headers()[CONTENT_TYPE], TEXT_PLAIN);
        assert_eq!(body_of(r).await, "function echo.openfaas-fn not found\n");

        let r = error_response(&GatewayError::Unauthorized);
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()[WWW_AUTHENTICATE], "Basic realm=\"Restricted\"");
        assert_eq!(body_of(r).await, "invalid credentials\n");

        let r = error_response(&GatewayError::bad_request("two\nlines"));
        assert_eq!(body_of(r).await, "two lines\n");
        let r = text(StatusCode::BAD_GATEWAY, "");
        assert_eq!(body_of(r).await, "bad gateway\n");
    }

    #[tokio::test]
    async fn layer_rescues_errors() {
        use tower::{Layer as _, ServiceExt as _};
        let inner = tower::service_fn(|()| {
            std::future::ready(Err::<Response<GatewayBody>, _>(
                GatewayError::MethodNotAllowed,
            ))
        });
        let r = RescueLayer.layer(inner).oneshot(()).await.unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()[INTERNAL_HEADER], "gateway");
    }
}

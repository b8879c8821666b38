//! `X-Call-Id` and `X-Start-Time`: kept or generated on the request, always echoed on the
//! response (docs/api.md §10.2, §10.3).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Response};

use crate::invoke::Invocation;
use crate::proxy_headers::{call_id, unix_nanos, X_CALL_ID, X_START_TIME};

// === impl CallIdLayer ===

/// Gives every invocation a call id and start time.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CallIdLayer;

impl<S> tower::Layer<S> for CallIdLayer {
    type Service = CallId<S>;

    fn layer(&self, inner: S) -> CallId<S> {
        CallId { inner }
    }
}

// === impl CallId ===

/// The service of [`CallIdLayer`].
#[derive(Debug, Clone)]
pub(crate) struct CallId<S> {
    inner: S,
}

impl<S, B> tower::Service<Invocation> for CallId<S>
where
    S: tower::Service<Invocation, Response = Response<B>>,
    S::Future: Unpin,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = CallIdFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: Invocation) -> Self::Future {
        let headers = invocation.request.headers_mut();
        let id = call_id(headers);
        let start = HeaderValue::from(unix_nanos());
        headers.insert(X_CALL_ID, id.clone());
        headers.insert(X_START_TIME, start.clone());
        CallIdFuture {
            inner: self.inner.call(invocation),
            stamp: Some((id, start)),
        }
    }
}

/// The future of [`CallId`].
#[derive(Debug)]
pub(crate) struct CallIdFuture<F> {
    inner: F,
    stamp: Option<(HeaderValue, HeaderValue)>,
}

impl<F, B, E> Future for CallIdFuture<F>
where
    F: Future<Output = Result<Response<B>, E>> + Unpin,
{
    type Output = Result<Response<B>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut response = match Pin::new(&mut self.inner).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r?,
        };
        if let Some((id, start)) = self.stamp.take() {
            let headers = response.headers_mut();
            headers.insert(X_CALL_ID, id);
            headers.insert(X_START_TIME, start);
        }
        Poll::Ready(Ok(response))
    }
}

//! The response body type and the wrappers every mode shares.
//!
//! All responses use [`ResponseBody`], a boxed body whose errors are the crate's [`Error`]. A body
//! that yields an error makes hyper abort the response: for a chunked response the terminating
//! chunk is never sent, so clients can tell a truncated stream from a complete one (docs/watchdog.md §10).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use tokio::time::{Instant, Sleep};

use crate::error::Error;
use crate::inflight::InflightPermit;

/// The body of every response the watchdog sends.
pub type ResponseBody = UnsyncBoxBody<Bytes, Error>;

/// An empty body.
pub(crate) fn empty() -> ResponseBody {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// A body with the given bytes.
pub(crate) fn full(bytes: impl Into<Bytes>) -> ResponseBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// Wraps a response body so that it fails at `deadline` and holds the request's in-flight
/// permit until it ends: a streamed response counts against `max_inflight` until its last byte.
pub(crate) struct TrackedBody {
    inner: ResponseBody,
    deadline: Option<(Pin<Box<Sleep>>, Error)>,
    _permit: Option<InflightPermit>,
}

impl TrackedBody {
    /// Wraps `inner`; `deadline` is when it must be done and the error it then ends with.
    pub(crate) fn new(
        inner: ResponseBody,
        deadline: Option<(Instant, Error)>,
        permit: Option<InflightPermit>,
    ) -> Self {
        TrackedBody {
            inner,
            deadline: deadline.map(|(at, error)| (Box::pin(tokio::time::sleep_until(at)), error)),
            _permit: permit,
        }
    }

    /// Boxes the wrapper as a [`ResponseBody`].
    pub(crate) fn boxed(self) -> ResponseBody {
        if self.deadline.is_none() && self._permit.is_none() {
            return self.inner;
        }
        UnsyncBoxBody::new(self)
    }
}

impl Body for TrackedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if let Some((sleep, _)) = &mut self.deadline {
            if sleep.as_mut().poll(cx).is_ready() {
                let (_, error) = self.deadline.take().expect("deadline checked above");
                return Poll::Ready(Some(Err(error)));
            }
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Formats a duration the way `X-Duration-Seconds` carries it (Go's `%f`: six decimals).
pub(crate) fn duration_header(elapsed: Duration) -> http::HeaderValue {
    let text = format!("{:.6}", elapsed.as_secs_f64());
    http::HeaderValue::from_str(&text).expect("digits and a dot are a valid header value")
}

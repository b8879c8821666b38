//! Counts invocations of known functions: `gateway_function_invocation_started` when a call
//! enters, `gateway_function_invocation_total` and `gateway_functions_seconds` by status code
//! when its response head (or error) comes back (docs/api.md §12).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Response;
use tokio::time::Instant;

use crate::error::GatewayError;
use crate::invoke::Routed;
use crate::metrics::{FunctionMetrics, Metrics};
use crate::rescue::status_of;

// === impl MeasureLayer ===

/// Records each invocation in the gateway's [`Metrics`].
#[derive(Debug, Clone)]
pub(crate) struct MeasureLayer {
    metrics: Metrics,
}

impl MeasureLayer {
    /// Records into `metrics`.
    pub(crate) fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S> tower::Layer<S> for MeasureLayer {
    type Service = Measure<S>;

    fn layer(&self, inner: S) -> Measure<S> {
        Measure {
            metrics: self.metrics.clone(),
            inner,
        }
    }
}

// === impl Measure ===

/// The service of [`MeasureLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Measure<S> {
    metrics: Metrics,
    inner: S,
}

impl<S, B> tower::Service<Routed> for Measure<S>
where
    S: tower::Service<Routed, Response = Response<B>, Error = GatewayError>,
    S::Future: Unpin,
{
    type Response = Response<B>;
    type Error = GatewayError;
    type Future = MeasureFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, routed: Routed) -> Self::Future {
        let function = self.metrics.function(&routed.invocation.function);
        function.start();
        MeasureFuture {
            inner: self.inner.call(routed),
            metrics: self.metrics.clone(),
            function,
            start: Instant::now(),
        }
    }
}

/// The future of [`Measure`].
#[derive(Debug)]
pub(crate) struct MeasureFuture<F> {
    inner: F,
    metrics: Metrics,
    function: Arc<FunctionMetrics>,
    start: Instant,
}

impl<F, B> Future for MeasureFuture<F>
where
    F: Future<Output = Result<Response<B>, GatewayError>> + Unpin,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let result = match Pin::new(&mut self.inner).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        let code = match &result {
            Ok(response) => response.status(),
            Err(e) => status_of(e),
        };
        self.metrics
            .record(&self.function, code.as_u16(), self.start.elapsed());
        Poll::Ready(result)
    }
}

//! The per-function deadline: no response head by the invocation's deadline → 504 with a
//! message (docs/api.md §10.5). The body that follows streams for as long as it takes.

use std::task::{Context, Poll};
use std::time::Duration;

use faas_core::FunctionRef;
use futures_util::future::BoxFuture;
use tokio::time::Instant;

use crate::error::GatewayError;
use crate::invoke::Routed;

/// A request that carries its own deadline.
pub(crate) trait Deadlined {
    /// When the response head must have arrived.
    fn deadline(&self) -> Instant;
    /// The length of that deadline, for the error message.
    fn timeout(&self) -> Duration;
    /// The function called, for the error message.
    fn function(&self) -> &FunctionRef;
}

impl Deadlined for Routed {
    fn deadline(&self) -> Instant {
        self.deadline
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn function(&self) -> &FunctionRef {
        &self.invocation.function
    }
}

// === impl DeadlineLayer ===

/// Bounds the wait for a response head by the request's deadline.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DeadlineLayer;

impl<S> tower::Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline { inner }
    }
}

// === impl Deadline ===

/// The service of [`DeadlineLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Deadline<S> {
    inner: S,
}

impl<S, R> tower::Service<R> for Deadline<S>
where
    R: Deadlined,
    S: tower::Service<R, Error = GatewayError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = GatewayError;
    type Future = BoxFuture<'static, Result<S::Response, GatewayError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let deadline = request.deadline();
        let after = request.timeout();
        // Cloned for the error path's message; a `FunctionRef` is two short strings.
        let function = request.function().clone();
        let response = self.inner.call(request);
        Box::pin(async move {
            match tokio::time::timeout_at(deadline, response).await {
                Ok(result) => result,
                Err(_) => Err(GatewayError::UpstreamTimeout { function, after }),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use tower::{Layer as _, ServiceExt as _};

    use super::*;

    struct Call(Instant, FunctionRef);

    impl Deadlined for Call {
        fn deadline(&self) -> Instant {
            self.0
        }
        fn timeout(&self) -> Duration {
            Duration::from_secs(1)
        }
        fn function(&self) -> &FunctionRef {
            &self.1
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_answer_by_the_deadline_is_a_timeout() {
        let (mock, mut handle) = tower_test::mock::pair::<Call, &'static str>();
        let svc = DeadlineLayer.layer(tower::ServiceExt::map_err(mock, |_| {
            GatewayError::bad_request("mock failed")
        }));
        let deadline = Instant::now() + Duration::from_secs(1);
        let call = tokio::spawn(
            svc.clone()
                .oneshot(Call(deadline, FunctionRef::new("slow", None))),
        );
        let (_request, _send) = handle.next_request().await.unwrap();
        tokio::time::advance(Duration::from_millis(1001)).await;
        let err = call.await.unwrap().unwrap_err();
        assert!(matches!(err, GatewayError::UpstreamTimeout { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "function slow.openfaas-fn did not answer within 1s"
        );

        let call = tokio::spawn(svc.oneshot(Call(
            Instant::now() + Duration::from_secs(1),
            FunctionRef::new("fast", None),
        )));
        let (_request, send) = handle.next_request().await.unwrap();
        send.send_response("ok");
        assert_eq!(call.await.unwrap().unwrap(), "ok");
    }
}

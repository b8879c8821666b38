//! Resolves the function of an invocation from the provider's memory
//! ([`Provider::resolve`](faas_core::Provider::resolve)) and fixes its deadline. Unknown
//! function → 404 `function NAME.NS not found`.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::Either;
use tokio::time::Instant;

use crate::error::GatewayError;
use crate::gateway::Shared;
use crate::invoke::{Invocation, Routed};

// === impl LookupLayer ===

/// Turns an [`Invocation`] into a [`Routed`] one.
#[derive(Debug, Clone)]
pub(crate) struct LookupLayer {
    shared: Arc<Shared>,
}

impl LookupLayer {
    /// Looks functions up in `shared`'s provider.
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

impl<S> tower::Layer<S> for LookupLayer {
    type Service = Lookup<S>;

    fn layer(&self, inner: S) -> Lookup<S> {
        Lookup {
            shared: Arc::clone(&self.shared),
            inner,
        }
    }
}

// === impl Lookup ===

/// The service of [`LookupLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Lookup<S> {
    shared: Arc<Shared>,
    inner: S,
}

impl<S> tower::Service<Invocation> for Lookup<S>
where
    S: tower::Service<Routed, Error = GatewayError>,
{
    type Response = S::Response;
    type Error = GatewayError;
    type Future = Either<std::future::Ready<Result<S::Response, GatewayError>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, invocation: Invocation) -> Self::Future {
        let resolved = match self.shared.provider.resolve(&invocation.function) {
            Ok(r) => r,
            Err(e) if e.is_not_found() => {
                return Either::Left(std::future::ready(Err(GatewayError::FunctionNotFound(
                    invocation.function,
                ))))
            }
            Err(e) => return Either::Left(std::future::ready(Err(e.into()))),
        };
        let timeout = self.shared.config.deadline_for(resolved.timeout);
        Either::Right(self.inner.call(Routed {
            invocation,
            resolved,
            deadline: Instant::now() + timeout,
            timeout,
        }))
    }
}

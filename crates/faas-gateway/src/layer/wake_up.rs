//! Scale from zero and wait-for-ready (docs/api.md §10.6): when a function has no ready replica, scale
//! it up if it is at zero — once for all concurrent callers — then wait until a replica is ready,
//! bounded by the invocation's deadline (or the configured wait, if shorter), else 503.
//!
//! Readiness comes from [`Provider::wait_ready`] when the provider offers it, else from polling
//! [`Provider::resolve`] every 5 ms (a memory read).
//!
//! [`Provider::wait_ready`]: faas_core::Provider::wait_ready
//! [`Provider::resolve`]: faas_core::Provider::resolve

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use faas_core::{FunctionRef, Provider, ProviderError, Resolved};
use futures_util::future::{BoxFuture, Either};
use tokio::time::Instant;

use crate::error::GatewayError;
use crate::gateway::Shared;
use crate::invoke::Routed;

/// How often readiness is polled when the provider cannot signal it.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// One lock per function that is being scaled from zero: the first caller scales, the others
/// find the new desired count when they get the lock.
type ScaleLocks = Mutex<HashMap<FunctionRef, Arc<tokio::sync::Mutex<()>>>>;

// === impl WakeUpLayer ===

/// Makes sure a replica is ready before the call is forwarded.
#[derive(Debug, Clone)]
pub(crate) struct WakeUpLayer {
    shared: Arc<Shared>,
    locks: Arc<ScaleLocks>,
}

impl WakeUpLayer {
    /// Wakes functions of `shared`'s provider, as its config says.
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            locks: Arc::default(),
        }
    }
}

impl<S> tower::Layer<S> for WakeUpLayer {
    type Service = WakeUp<S>;

    fn layer(&self, inner: S) -> WakeUp<S> {
        WakeUp {
            shared: Arc::clone(&self.shared),
            locks: Arc::clone(&self.locks),
            inner,
        }
    }
}

// === impl WakeUp ===

/// The service of [`WakeUpLayer`].
#[derive(Debug, Clone)]
pub(crate) struct WakeUp<S> {
    shared: Arc<Shared>,
    locks: Arc<ScaleLocks>,
    inner: S,
}

impl<S> tower::Service<Routed> for WakeUp<S>
where
    S: tower::Service<Routed, Error = GatewayError> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = GatewayError;
    type Future = Either<S::Future, BoxFuture<'static, Result<S::Response, GatewayError>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), GatewayError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut routed: Routed) -> Self::Future {
        // The hot path: a replica is ready.
        if !routed.resolved.endpoints.is_empty() {
            return Either::Left(self.inner.call(routed));
        }
        let shared = Arc::clone(&self.shared);
        let locks = Arc::clone(&self.locks);
        // The clone that was made ready is used; `self` keeps a fresh one (tower's usual
        // hand-over for services called from a spawned future).
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        Either::Right(Box::pin(async move {
            let function = &routed.invocation.function;
            if !shared.config.scale_from_zero {
                return Err(GatewayError::NoReplica(function.clone()));
            }
            let wait_until = match shared.config.scale_from_zero_wait {
                Some(bound) => routed.deadline.min(Instant::now() + bound),
                None => routed.deadline,
            };
            let started = Instant::now();
            let woken = tokio::time::timeout_at(wait_until, async {
                if routed.resolved.replicas == 0 {
                    scale_up_once(&*shared.provider, &locks, function).await?;
                }
                wait_ready(&*shared.provider, function).await
            })
            .await;
            routed.resolved = match woken {
                Ok(Ok(resolved)) => resolved,
                Ok(Err(e)) if e.is_not_found() => {
                    return Err(GatewayError::FunctionNotFound(function.clone()))
                }
                Ok(Err(e)) => return Err(e.into()),
                Err(_) => {
                    return Err(GatewayError::NotReady {
                        function: function.clone(),
                        waited: started.elapsed(),
                    })
                }
            };
            inner.call(routed).await
        }))
    }
}

/// Scales `function` to its minimum replicas unless another caller already did.
async fn scale_up_once(
    provider: &dyn Provider,
    locks: &ScaleLocks,
    function: &FunctionRef,
) -> Result<(), ProviderError> {
    let lock = {
        let mut locks = locks.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(locks.entry(function.clone()).or_default())
    };
    let _held = lock.lock().await;
    let current = provider.resolve(function)?;
    if current.replicas == 0 {
        let replicas = current.min_replicas.max(1);
        tracing::info!(%function, replicas, "scaling from zero");
        provider.scale(function.clone(), replicas).await?;
    }
    Ok(())
}

/// Waits until `function` has a ready replica (unbounded: the caller bounds it).
async fn wait_ready(
    provider: &dyn Provider,
    function: &FunctionRef,
) -> Result<Resolved, ProviderError> {
    if let Some(signal) = provider.wait_ready(function.clone()) {
        let resolved = signal.await?;
        if !resolved.endpoints.is_empty() {
            return Ok(resolved);
        }
    }
    loop {
        let resolved = provider.resolve(function)?;
        if !resolved.endpoints.is_empty() {
            return Ok(resolved);
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

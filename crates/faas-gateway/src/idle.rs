//! Idle scale to zero (upstream's paid "faas-idler", free here): a function labelled
//! `com.openfaas.scale.zero=true` whose calls have stopped for its
//! `com.openfaas.scale.zero-duration` (default 15 min) is scaled to zero replicas through the
//! provider; its next call scales it up again (`/function` waits for a replica).
//!
//! Idleness is what the gateway sees: no call in flight and none started or answered for the
//! duration (a call counts as answered when its response head comes back). It works over any
//! [`Provider`](faas_core::Provider); [`Gateway::idle_scaler`](crate::Gateway::idle_scaler)
//! runs it, and [`serve`](crate::serve) does so on its own.

use std::sync::Arc;
use std::time::Duration;

use faas_core::function::idle_timeout;
use faas_core::FunctionRef;

use crate::gateway::Shared;

/// Checks every function every `every` until dropped (the caller's task ends it).
pub(crate) async fn run(shared: Arc<Shared>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        scale_idle_functions(&shared).await;
    }
}

/// One round: scales every idle function labelled for it to zero; returns how many.
pub(crate) async fn scale_idle_functions(shared: &Shared) -> usize {
    let namespaces = match shared.provider.list_namespaces().await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "idle scale-to-zero: listing namespaces");
            return 0;
        }
    };
    let mut scaled = 0;
    for namespace in namespaces {
        let functions = match shared.provider.list(namespace.clone()).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(%namespace, error = %e, "idle scale-to-zero: listing functions");
                continue;
            }
        };
        for status in functions {
            let Ok(Some(timeout)) = idle_timeout(&status.labels) else {
                continue;
            };
            if status.replicas == 0 {
                continue;
            }
            let function = FunctionRef::new(&status.name, Some(&namespace));
            let idle = shared.metrics.idle_for(&function);
            if idle < timeout {
                continue;
            }
            match shared.provider.scale(function.clone(), 0).await {
                Ok(()) => {
                    tracing::info!(%function, idle_s = idle.as_secs(), "idle: scaled to zero");
                    scaled += 1;
                }
                Err(e) => tracing::warn!(%function, error = %e, "idle scale-to-zero"),
            }
        }
    }
    scaled
}

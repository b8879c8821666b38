//! [`ConcurrencyLimits`]: how many invocations of one function a worker runs at once.
//!
//! Each function's limit is its override, else the default; no limit at all when both are
//! absent (the worker's overall concurrency still applies). The limit is what upstream calls the
//! function's `max_inflight`: the binary fills the overrides from the deployed functions (for
//! example a `com.openfaas.queue.max_inflight` annotation) and may change them at run time with
//! [`ConcurrencyLimits::set`]; invocations already running keep the slot they hold.
//!
//! A message waiting for its function's slot keeps one of the worker's overall slots (and sends
//! in-progress acks meanwhile): many queued calls of one saturated function can hold up other
//! functions' calls on this worker. Size the overall concurrency above the sum of the limits of
//! functions that are busy at once, or give such functions their own worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use faas_core::FunctionRef;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Per-function concurrency limits, shared by a worker's tasks. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct ConcurrencyLimits {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    default: Option<usize>,
    overrides: HashMap<FunctionRef, usize>,
    /// Each function's semaphore with the limit it was made for.
    semaphores: HashMap<FunctionRef, (usize, Arc<Semaphore>)>,
}

impl ConcurrencyLimits {
    /// Limits with `default` for every function and `overrides` for some. A limit of 0 counts as 1.
    pub fn new(default: Option<usize>, overrides: HashMap<FunctionRef, usize>) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                default,
                overrides,
                semaphores: HashMap::new(),
            })),
        }
    }

    /// Sets (`Some`) or removes (`None`) the override for `function`.
    pub fn set(&self, function: FunctionRef, max_inflight: Option<usize>) {
        let mut inner = self.lock();
        match max_inflight {
            Some(n) => inner.overrides.insert(function, n),
            None => inner.overrides.remove(&function),
        };
    }

    /// The limit in force for `function`, `None` when unlimited.
    pub fn limit_for(&self, function: &FunctionRef) -> Option<usize> {
        self.lock().limit_for(function)
    }

    /// Waits for a slot of `function`; `None` (at once) when it has no limit.
    pub(crate) async fn acquire(&self, function: &FunctionRef) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut inner = self.lock();
            let limit = inner.limit_for(function)?;
            match inner.semaphores.get(function) {
                Some((made_for, s)) if *made_for == limit => s.clone(),
                _ => {
                    let s = Arc::new(Semaphore::new(limit));
                    inner
                        .semaphores
                        .insert(function.clone(), (limit, s.clone()));
                    s
                }
            }
        };
        Some(
            semaphore
                .acquire_owned()
                .await
                .expect("limit semaphores are never closed"),
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The critical sections cannot panic; recover the data if one ever did.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    fn limit_for(&self, function: &FunctionRef) -> Option<usize> {
        self.overrides
            .get(function)
            .copied()
            .or(self.default)
            .map(|n| n.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_per_function() {
        let slow = FunctionRef::new("slow", None);
        let other = FunctionRef::new("other", None);
        let limits = ConcurrencyLimits::new(None, HashMap::from([(slow.clone(), 2)]));
        assert_eq!(limits.limit_for(&slow), Some(2));
        assert_eq!(limits.limit_for(&other), None);
        assert!(limits.acquire(&other).await.is_none());

        let a = limits.acquire(&slow).await.unwrap();
        let _b = limits.acquire(&slow).await.unwrap();
        let third = limits.acquire(&slow);
        tokio::pin!(third);
        assert!(futures_util::FutureExt::now_or_never(&mut third).is_none());
        drop(a);
        assert!(third.await.is_some());

        limits.set(slow.clone(), Some(0));
        assert_eq!(limits.limit_for(&slow), Some(1));
        limits.set(slow.clone(), None);
        assert_eq!(limits.limit_for(&slow), None);

        let defaulted = ConcurrencyLimits::new(Some(3), HashMap::new());
        assert_eq!(defaulted.limit_for(&other), Some(3));
    }
}

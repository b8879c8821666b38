//! The `max_inflight` limit (docs/watchdog.md §6): a counter of requests being served and permits that give
//! their slot back when dropped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts requests in flight against an optional limit.
#[derive(Debug, Default)]
pub(crate) struct InflightLimit {
    limit: Option<usize>,
    current: Arc<AtomicUsize>,
}

/// One request's slot; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct InflightPermit {
    current: Arc<AtomicUsize>,
}

impl InflightLimit {
    /// A limit of `limit` concurrent requests; `None` counts without limiting.
    pub(crate) fn new(limit: Option<usize>) -> Self {
        InflightLimit {
            limit,
            current: Arc::default(),
        }
    }

    /// The configured limit.
    pub(crate) fn limit(&self) -> Option<usize> {
        self.limit
    }

    /// Takes a slot, or `None` when the limit is reached.
    pub(crate) fn try_acquire(&self) -> Option<InflightPermit> {
        let max = self.limit.unwrap_or(usize::MAX);
        self.current
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| InflightPermit {
                current: Arc::clone(&self.current),
            })
    }

    /// True when no further request would be admitted.
    pub(crate) fn is_saturated(&self) -> bool {
        self.limit
            .is_some_and(|max| self.current.load(Ordering::Acquire) >= max)
    }
}

impl Drop for InflightPermit {
    fn drop(&mut self) {
        self.current.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_return_their_slot() {
        let limit = InflightLimit::new(Some(2));
        let a = limit.try_acquire().unwrap();
        let _b = limit.try_acquire().unwrap();
        assert!(limit.is_saturated());
        assert!(limit.try_acquire().is_none());
        drop(a);
        assert!(!limit.is_saturated());
        let _c = limit.try_acquire().unwrap();
        assert!(limit.try_acquire().is_none());
        assert!(InflightLimit::new(None).try_acquire().is_some());
    }
}

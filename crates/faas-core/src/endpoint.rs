//! Where an invocation goes: the ready replicas of a function, answered from memory by
//! [`Provider::resolve`](crate::Provider::resolve) so that no invocation waits on a backend.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The ready replicas of one function, with a round-robin cursor.
///
/// A provider keeps one `Arc<EndpointSet>` per function in its table and swaps in a new set when
/// replicas become ready or go away; the cursor lives in the set so load spreads per function.
#[derive(Debug, Default)]
pub struct EndpointSet {
    addrs: Vec<SocketAddr>,
    next: AtomicUsize,
}

impl EndpointSet {
    /// A set of these ready replica addresses.
    pub fn new(addrs: Vec<SocketAddr>) -> Self {
        Self {
            addrs,
            next: AtomicUsize::new(0),
        }
    }

    /// The addresses, in the provider's order.
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Whether no replica is ready.
    pub fn is_empty(&self) -> bool {
        self.addrs.is_empty()
    }

    /// How many replicas are ready.
    pub fn len(&self) -> usize {
        self.addrs.len()
    }

    /// The next replica in round-robin order, or `None` when none is ready.
    pub fn pick(&self) -> Option<SocketAddr> {
        match self.addrs.len() {
            0 => None,
            1 => Some(self.addrs[0]),
            n => Some(self.addrs[self.next.fetch_add(1, Ordering::Relaxed) % n]),
        }
    }
}

/// What [`Provider::resolve`](crate::Provider::resolve) knows about a function, enough to route
/// an invocation or to decide to scale it from zero.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Ready replicas; empty while none is ready.
    pub endpoints: Arc<EndpointSet>,
    /// Desired replicas: 0 means the function is scaled to zero.
    pub replicas: u64,
    /// Replicas to start when scaling from zero (at least 1).
    pub min_replicas: u64,
    /// The function's own deadline, from its `exec_timeout`/`write_timeout` at deploy time
    /// (see [`function_timeout`](crate::timeout::function_timeout)).
    pub timeout: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin() {
        let a: SocketAddr = "10.0.0.1:8080".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:8080".parse().unwrap();
        let set = EndpointSet::new(vec![a, b]);
        let picks: Vec<_> = (0..4).map(|_| set.pick().unwrap()).collect();
        assert_eq!(picks, vec![a, b, a, b]);
        assert_eq!(EndpointSet::default().pick(), None);
    }
}

//! The synchronous invocation path, `/function/NAME[.NS][/rest]` (docs/api.md §10), as one tower
//! stack: [`stack`] reads top to bottom as what happens to a call.
//!
//! Cost: the stack is built once per gateway and cloned per call (one `Arc` clone per layer).
//! Layers whose work is synchronous return their inner future unboxed; only the deadline and
//! the scale-from-zero wait (when it happens) box a future, so a call costs two or three small
//! allocations besides hyper's own.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use faas_core::{FunctionRef, Resolved};
use hyper::body::Incoming;
use tokio::time::Instant;
use tower::ServiceBuilder;

use crate::forward::Forward;
use crate::gateway::Shared;
use crate::layer::call_id::{CallId, CallIdLayer};
use crate::layer::deadline::{Deadline, DeadlineLayer};
use crate::layer::lookup::{Lookup, LookupLayer};
use crate::layer::metrics::{Measure, MeasureLayer};
use crate::layer::wake_up::{WakeUp, WakeUpLayer};
use crate::rescue::{Rescue, RescueLayer};

/// A call of `/function/…` entering the stack.
#[derive(Debug)]
pub(crate) struct Invocation {
    /// The client's request, untouched so far.
    pub(crate) request: http::Request<Incoming>,
    /// The function addressed by the path segment.
    pub(crate) function: FunctionRef,
    /// Byte offset in the request path where the rest after the segment starts (`/a/b`, or the
    /// path's end).
    pub(crate) rest_start: usize,
    /// The client's address, for `X-Forwarded-For`.
    pub(crate) peer: Option<IpAddr>,
}

/// An invocation of a function that exists: what [`Lookup`] learnt from the provider.
#[derive(Debug)]
pub(crate) struct Routed {
    /// The invocation.
    pub(crate) invocation: Invocation,
    /// Where it may go; refreshed by [`WakeUp`] when no replica was ready.
    pub(crate) resolved: Resolved,
    /// When the function must have answered (its response head).
    pub(crate) deadline: Instant,
    /// The length of that deadline, for messages.
    pub(crate) timeout: Duration,
}

/// The whole invocation stack, outermost first.
pub(crate) type InvokeStack = CallId<Rescue<Lookup<Measure<WakeUp<Deadline<Forward>>>>>>;

/// Builds the invocation stack over the gateway's shared state.
pub(crate) fn stack(shared: &Arc<Shared>) -> InvokeStack {
    ServiceBuilder::new()
        // Outermost: the call id and start time go on every answer, errors included.
        .layer(CallIdLayer)
        // Every error below becomes a one-line text response here.
        .layer(RescueLayer)
        // Unknown function → 404 before anything is counted, so bad names cannot inflate the
        // metrics' label set.
        .layer(LookupLayer::new(Arc::clone(shared)))
        // Counts every call of a known function, including 502/503/504 made below.
        .layer(MeasureLayer::new(shared.metrics.clone()))
        // Scale from zero and wait for readiness, bounded by the same deadline (→ 503).
        .layer(WakeUpLayer::new(Arc::clone(shared)))
        // No response head by the deadline → 504.
        .layer(DeadlineLayer)
        .service(Forward::new(shared))
}

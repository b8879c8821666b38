//! The durable async invocation queue on NATS JetStream (docs/api.md §11).
//!
//! The gateway hands each `POST /async-function/…` call to a [`JetStreamQueue`] (the
//! [`faas_core::InvocationQueue`] it is given), which answers only once JetStream stored the
//! message. A [`Worker`] — in the `faasd up` process or a process of its own — pulls the messages,
//! replays each call through the gateway's `/function/…` route with its original method, path,
//! query, headers and body, retries platform failures with backoff, POSTs the result to the
//! call's `X-Callback-Url`, and acks only then. What it gives up on goes to a dead-letter stream.
//! Delivery is at least once: a worker killed between a callback and its ack runs that call again.
//!
//! What it is **not**: no HTTP server and no signal handling (callers pass a shutdown future), no
//! knowledge of providers (per-function limits are given to it), no metrics endpoint (it
//! registers into the caller's [`prometheus_client::registry::Registry`]).
//!
//! # Layout
//! - [`publisher`]: [`JetStreamQueue`], the publisher — start here.
//! - [`worker`]: [`Worker`] and [`WorkerConfig`]: pulling, concurrency, shutdown.
//! - [`delivery`]: one message from receipt to ack: retries, in-progress acks, dead letters.
//! - [`request`]: the function request and the callback request, built without I/O.
//! - `callback`: sending the callback with retries.
//! - `client`: the pooled HTTP client.
//! - [`retry`]: which answers are retried and the backoff schedule.
//! - [`limits`]: per-function concurrency (`max_inflight`).
//! - [`stream`]: connection settings, stream names and subjects, creating the streams.
//! - [`codec`]: the stored message format.
//! - [`metrics`]: Prometheus counters.
//! - [`error`]: [`Error`], the crate's one error type.

#![deny(missing_docs)]

mod callback;
mod client;
pub mod codec;
pub mod delivery;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod publisher;
pub mod request;
pub mod retry;
pub mod stream;
pub mod worker;

pub use async_nats;
pub use error::Error;
pub use limits::ConcurrencyLimits;
pub use metrics::QueueMetrics;
pub use publisher::JetStreamQueue;
pub use retry::{Backoff, RetryPolicy};
pub use stream::{QueueConfig, QueueNames};
pub use worker::{Worker, WorkerConfig};

/// `e` and its causes, `: `-separated, for one log line.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

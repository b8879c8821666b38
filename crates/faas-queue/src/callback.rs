//! Delivering the callback of one invocation, retried in the worker with backoff.
//!
//! Retries stay in the worker rather than going back to the stream: the function has already
//! run, and a redelivery would run it again. The message's ack deadline is kept alive by the
//! caller's in-progress acks meanwhile.

use std::time::Duration;

use faas_core::QueuedInvocation;

use crate::client::HttpClient;
use crate::metrics::{QueueMetrics, RetryStage};
use crate::request::{callback_request, InvocationResult};
use crate::retry::{callback_outcome, CallbackOutcome, RetryPolicy, Verdict};

/// How the callback went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallbackDelivery {
    /// The call has no callback URL.
    NotRequested,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up; the text says why (for the dead letter).
    Failed(String),
}

/// What [`deliver`] needs from the worker.
pub(crate) struct CallbackSender<'a> {
    pub(crate) http: &'a HttpClient,
    pub(crate) policy: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) metrics: &'a QueueMetrics,
}

/// Sends the callback of `inv` with `result` (`elapsed` since the message was received), retrying
/// per the sender's policy.
pub(crate) async fn deliver(
    sender: &CallbackSender<'_>,
    inv: &QueuedInvocation,
    result: &InvocationResult,
    elapsed: Duration,
) -> CallbackDelivery {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let request = match callback_request(inv, result, elapsed) {
            Ok(Some(r)) => r,
            Ok(None) => return CallbackDelivery::NotRequested,
            Err(e) => return CallbackDelivery::Failed(e.to_string()),
        };
        let failure = match sender.http.send(request, sender.timeout).await {
            Ok(response) => match callback_outcome(response.status) {
                CallbackOutcome::Delivered => return CallbackDelivery::Delivered,
                CallbackOutcome::Rejected => {
                    return CallbackDelivery::Failed(format!(
                        "callback receiver answered {}",
                        response.status
                    ))
                }
                CallbackOutcome::Retryable => {
                    format!("callback receiver answered {}", response.status)
                }
            },
            Err(e) => format!("sending the callback: {e}"),
        };
        match sender.policy.decide(attempt, true) {
            Verdict::RetryAfter(delay) => {
                tracing::debug!(call_id = %inv.call_id, attempt, ?delay, error = %failure, "callback failed, retrying");
                sender.metrics.retried(&inv.function, RetryStage::Callback);
                tokio::time::sleep(delay).await;
            }
            Verdict::GiveUp | Verdict::Done => {
                return CallbackDelivery::Failed(format!("{failure} (after {attempt} attempts)"))
            }
        }
    }
}

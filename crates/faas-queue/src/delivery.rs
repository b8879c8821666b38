//! Handling one delivered message from start to ack: decode, wait for the function's slot,
//! invoke, decide on a retry, call back, dead-letter when giving up, ack.
//!
//! Ack discipline: the message is acked only once its outcome is final and the callback was
//! delivered, or once it is safely in the dead-letter stream. A retry is a NAK with the backoff
//! delay, so a waiting retry holds no worker slot and survives a worker restart. While anything
//! takes time (waiting for a slot, the function, the callback) an in-progress ack is sent every
//! third of `ack_wait`, so a slow function is never redelivered to another worker.
//!
//! Attempts are the server's delivery count: a delivery cut short by a crash counts too, which
//! stops a message that kills its worker from doing so forever.

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::message::{AckKind, Acker};
use async_nats::jetstream::{self};
use bytes::Bytes;
use faas_core::FunctionRef;
use tokio::time::Instant;

use crate::callback::{self, CallbackDelivery, CallbackSender};
use crate::codec;
use crate::request::{function_request, InvocationResult};
use crate::retry::{is_retryable_function_status, Verdict};
use crate::worker::Shared;

/// Dead-letter header: why the worker gave up (`attempts_exhausted`, `callback_failed`,
/// `undecodable`, `invalid_request`).
pub const DEAD_LETTER_REASON: &str = "Faas-Dead-Reason";
/// Dead-letter header: the delivery attempt that gave up.
pub const DEAD_LETTER_ATTEMPTS: &str = "Faas-Attempts";
/// Dead-letter header: the function's last status (`503` for a transport failure), when known.
pub const DEAD_LETTER_STATUS: &str = "Faas-Function-Status";
/// Dead-letter header: the last error, one line.
pub const DEAD_LETTER_ERROR: &str = "Faas-Error";

/// Handles `message` to its end (see the module doc). Never fails: problems are logged and the
/// message is NAKed, dead-lettered or left to redelivery.
pub(crate) async fn handle(shared: &Shared, message: jetstream::Message) {
    let received = Instant::now();
    let attempt = message
        .info()
        .map(|i| u32::try_from(i.delivered).unwrap_or(u32::MAX))
        .unwrap_or(1);
    let (message, acker) = message.split();
    let keep_alive = KeepAlive {
        acker: &acker,
        every: shared.progress_every,
    };
    let invocation = match codec::decode(&message.payload) {
        Ok(inv) => inv,
        Err(e) => {
            tracing::error!(subject = %message.subject, error = %e, "undecodable message");
            let unknown = FunctionRef {
                name: "_".into(),
                namespace: "_".into(),
            };
            let letter = DeadLetter {
                function: &unknown,
                reason: "undecodable",
                attempt,
                status: None,
                error: e.to_string(),
            };
            finish_dead(shared, &acker, &letter, message.payload).await;
            return;
        }
    };
    let function = &invocation.function;
    let _inflight = shared.metrics.start(function);

    if attempt > shared.config.invoke.max_attempts.max(1) {
        // Earlier deliveries never concluded (the worker died or lost the connection).
        let letter = DeadLetter {
            function,
            reason: "attempts_exhausted",
            attempt,
            status: None,
            error: "delivered more often than max_attempts without an outcome".into(),
        };
        finish_dead(shared, &acker, &letter, message.payload).await;
        return;
    }

    let request = match function_request(&shared.config.gateway_url, &invocation) {
        Ok(r) => r,
        Err(e) => {
            let letter = DeadLetter {
                function,
                reason: "invalid_request",
                attempt,
                status: None,
                error: e.to_string(),
            };
            finish_dead(shared, &acker, &letter, message.payload).await;
            return;
        }
    };
    let slot = keep_alive.around(shared.limits.acquire(function)).await;
    let result = keep_alive.around(invoke(shared, request)).await;
    drop(slot);
    let elapsed = received.elapsed();

    let retryable = match &result {
        InvocationResult::Response(r) => {
            is_retryable_function_status(r.status, r.is_platform_error())
        }
        InvocationResult::TransportFailed(_) => true,
    };
    let verdict = shared.config.invoke.decide(attempt, retryable);
    if let Verdict::RetryAfter(delay) = verdict {
        tracing::debug!(call_id = %invocation.call_id, %function, attempt, ?delay, status = %result.status(), "invocation failed, retrying");
        shared
            .metrics
            .retried(function, crate::metrics::RetryStage::Invoke);
        if let Err(e) = acker.ack_with(AckKind::Nak(Some(delay))).await {
            tracing::warn!(call_id = %invocation.call_id, error = %e, "nak failed; redelivery after ack_wait");
        }
        return;
    }

    let sender = CallbackSender {
        http: &shared.http,
        policy: shared.config.callback,
        timeout: shared.config.callback_timeout,
        metrics: &shared.metrics,
    };
    let callback = keep_alive
        .around(callback::deliver(&sender, &invocation, &result, elapsed))
        .await;

    let status = result.status().as_u16();
    let dead = match (&verdict, &callback) {
        (_, CallbackDelivery::Failed(why)) => Some(("callback_failed", why.clone())),
        (Verdict::GiveUp, _) => Some(("attempts_exhausted", failure_text(&result))),
        _ => None,
    };
    if let Some((reason, error)) = dead {
        tracing::warn!(call_id = %invocation.call_id, %function, attempt, status, reason, %error, "giving up on the invocation");
        let letter = DeadLetter {
            function,
            reason,
            attempt,
            status: Some(status),
            error,
        };
        finish_dead(shared, &acker, &letter, message.payload).await;
        return;
    }
    if let Err(e) = acker.ack().await {
        tracing::warn!(call_id = %invocation.call_id, error = %e, "ack failed; the invocation may run again");
    }
    shared.metrics.completed(function, status);
    tracing::debug!(call_id = %invocation.call_id, %function, status, ?elapsed, "invocation completed");
}

/// Invokes the function once through the gateway.
async fn invoke(
    shared: &Shared,
    request: http::Request<http_body_util::Full<Bytes>>,
) -> InvocationResult {
    match shared
        .http
        .send(request, shared.config.invoke_timeout)
        .await
    {
        Ok(response) => InvocationResult::Response(response),
        Err(e) => InvocationResult::TransportFailed(e),
    }
}

fn failure_text(result: &InvocationResult) -> String {
    match result {
        InvocationResult::Response(r) => format!("function answered {}", r.status),
        InvocationResult::TransportFailed(e) => e.clone(),
    }
}

struct DeadLetter<'a> {
    function: &'a FunctionRef,
    reason: &'static str,
    attempt: u32,
    status: Option<u16>,
    error: String,
}

/// Publishes the dead letter (awaiting the stream's ack), then acks the message. If the dead
/// letter cannot be stored the message is NAKed instead, to try again later.
async fn finish_dead(shared: &Shared, acker: &Acker, letter: &DeadLetter<'_>, payload: Bytes) {
    let subject = shared.names.dead_letter_subject(letter.function);
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(DEAD_LETTER_REASON, letter.reason);
    headers.insert(DEAD_LETTER_ATTEMPTS, letter.attempt.to_string().as_str());
    if let Some(status) = letter.status {
        headers.insert(DEAD_LETTER_STATUS, status.to_string().as_str());
    }
    let one_line: String = letter.error.replace(['\r', '\n'], " ");
    headers.insert(DEAD_LETTER_ERROR, one_line.as_str());
    let stored = async {
        shared
            .js
            .publish_with_headers(subject.clone(), headers, payload)
            .await?
            .await?;
        Ok::<_, async_nats::Error>(())
    }
    .await;
    match stored {
        Ok(()) => {
            shared.metrics.dead_lettered(letter.function, letter.reason);
            if let Err(e) = acker.ack().await {
                tracing::warn!(error = %e, "ack after dead letter failed; the invocation may run again");
            }
        }
        Err(e) => {
            let delay = shared.config.invoke.backoff.max;
            tracing::error!(%subject, error = %e, ?delay, "storing the dead letter failed; will retry the message");
            let _ = acker.ack_with(AckKind::Nak(Some(delay))).await;
        }
    }
}

/// Sends in-progress acks while a future runs.
struct KeepAlive<'a> {
    acker: &'a Acker,
    every: Duration,
}

impl KeepAlive<'_> {
    async fn around<F: Future>(&self, fut: F) -> F::Output {
        tokio::pin!(fut);
        let mut ticker = tokio::time::interval_at(Instant::now() + self.every, self.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                out = &mut fut => return out,
                _ = ticker.tick() => {
                    if let Err(e) = self.acker.ack_with(AckKind::Progress).await {
                        tracing::debug!(error = %e, "in-progress ack failed");
                    }
                }
            }
        }
    }
}

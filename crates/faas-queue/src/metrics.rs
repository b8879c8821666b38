//! [`QueueMetrics`]: Prometheus counters of the queue, registered once into the caller's
//! [`Registry`] and shared (cloned) by the publisher and the worker of one process.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `faas_queue_enqueued_total` | counter | `function_name` |
//! | `faas_queue_inflight` | gauge | `function_name` |
//! | `faas_queue_retried_total` | counter | `function_name`, `stage` (`invoke` or `callback`) |
//! | `faas_queue_dead_lettered_total` | counter | `function_name`, `reason` |
//! | `faas_queue_completed_total` | counter | `function_name`, `code` |
//!
//! `function_name` is `<name>.<namespace>` as in the gateway's metrics (docs/api.md §12); `code` is the
//! function's status, `503` when it could not be reached.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use faas_core::FunctionRef;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FunctionLabels {
    function_name: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RetryLabels {
    function_name: String,
    stage: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeadLetterLabels {
    function_name: String,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CompletedLabels {
    function_name: String,
    code: String,
}

/// The queue's metrics. Cheap to clone; clones count into the same series.
#[derive(Clone, Debug, Default)]
pub struct QueueMetrics {
    enqueued: Family<FunctionLabels, Counter>,
    inflight: Family<FunctionLabels, Gauge>,
    retried: Family<RetryLabels, Counter>,
    dead_lettered: Family<DeadLetterLabels, Counter>,
    completed: Family<CompletedLabels, Counter>,
}

/// Which step is retried, the `stage` label of `faas_queue_retried_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryStage {
    /// Invoking the function (the message is redelivered later).
    Invoke,
    /// Delivering the callback (retried within the worker).
    Callback,
}

impl QueueMetrics {
    /// Creates the metrics and registers them into `registry` under the `faas_queue` prefix.
    /// Call once per registry and clone the result.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("faas_queue");
        r.register(
            "enqueued",
            "Invocations stored in the queue",
            m.enqueued.clone(),
        );
        r.register(
            "inflight",
            "Queued invocations being run or called back now",
            m.inflight.clone(),
        );
        r.register(
            "retried",
            "Invocations or callbacks retried after a retryable failure",
            m.retried.clone(),
        );
        r.register(
            "dead_lettered",
            "Invocations given up on and moved to the dead-letter stream",
            m.dead_lettered.clone(),
        );
        r.register(
            "completed",
            "Queued invocations finished (and called back), by the function's status",
            m.completed.clone(),
        );
        m
    }

    /// Counts one stored invocation.
    pub fn enqueued(&self, function: &FunctionRef) {
        self.enqueued.get_or_create(&labels(function)).inc();
    }

    /// Counts one invocation starting to run; the guard counts it finished when dropped.
    pub fn start(&self, function: &FunctionRef) -> InflightGuard {
        let gauge = self.inflight.get_or_create_owned(&labels(function));
        gauge.inc();
        InflightGuard { gauge }
    }

    /// Counts one retry.
    pub fn retried(&self, function: &FunctionRef, stage: RetryStage) {
        let stage = match stage {
            RetryStage::Invoke => "invoke",
            RetryStage::Callback => "callback",
        };
        self.retried
            .get_or_create(&RetryLabels {
                function_name: function.to_string(),
                stage,
            })
            .inc();
    }

    /// Counts one dead letter.
    pub fn dead_lettered(&self, function: &FunctionRef, reason: &'static str) {
        self.dead_lettered
            .get_or_create(&DeadLetterLabels {
                function_name: function.to_string(),
                reason,
            })
            .inc();
    }

    /// Counts one finished invocation with the function's `code`.
    pub fn completed(&self, function: &FunctionRef, code: u16) {
        self.completed
            .get_or_create(&CompletedLabels {
                function_name: function.to_string(),
                code: code.to_string(),
            })
            .inc();
    }
}

fn labels(function: &FunctionRef) -> FunctionLabels {
    FunctionLabels {
        function_name: function.to_string(),
    }
}

/// Decrements the in-flight gauge when dropped.
#[derive(Debug)]
pub struct InflightGuard {
    gauge: Gauge,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    #[test]
    fn registers_and_counts() {
        let mut registry = Registry::default();
        let m = QueueMetrics::register(&mut registry);
        let f = FunctionRef::new("echo", None);
        m.enqueued(&f);
        {
            let _g = m.start(&f);
            m.retried(&f, RetryStage::Invoke);
        }
        m.dead_lettered(&f, "attempts_exhausted");
        m.completed(&f, 200);
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        for line in [
            "faas_queue_enqueued_total{function_name=\"echo.openfaas-fn\"} 1",
            "faas_queue_inflight{function_name=\"echo.openfaas-fn\"} 0",
            "faas_queue_retried_total{function_name=\"echo.openfaas-fn\",stage=\"invoke\"} 1",
            "faas_queue_dead_lettered_total{function_name=\"echo.openfaas-fn\",reason=\"attempts_exhausted\"} 1",
            "faas_queue_completed_total{function_name=\"echo.openfaas-fn\",code=\"200\"} 1",
        ] {
            assert!(text.contains(line), "{line} missing in\n{text}");
        }
    }
}

//! Gateway metrics (docs/api.md §12) with `prometheus-client`, exposed in the Prometheus text format
//! with exactly the upstream names, and the per-function invocation counts of
//! `GET /system/functions`.
//!
//! The hot path never formats a label: each function gets a `FunctionMetrics` the first time
//! it is invoked, holding its `started` counter and, per status code seen, the counter and
//! histogram handles (shared with the registry's families). Recording is then an atomic add and
//! a histogram observe.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use faas_core::FunctionRef;
use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

/// `Content-Type` of the metrics text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Histogram buckets of `gateway_functions_seconds`, as upstream.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const STARTED: &str = "gateway_function_invocation_started";

/// Labels of the per-code metrics, in the order Prometheus' Go client prints them.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
    function_name: String,
}

/// Labels of the per-function metrics.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FunctionLabels {
    function_name: String,
}

type HistogramFamily = Family<CodeLabels, Histogram, fn() -> Histogram>;

/// The gateway's metrics: cheap to clone, shared by every connection.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    invocations: Family<CodeLabels, Counter>,
    seconds: HistogramFamily,
    started: Family<FunctionLabels, Counter>,
    service_count: Family<FunctionLabels, Gauge>,
    functions: RwLock<HashMap<FunctionRef, Arc<FunctionMetrics>>>,
    /// When these metrics were made (the gateway's start).
    epoch: tokio::time::Instant,
}

/// One function's metric handles, found once per invocation.
#[derive(Debug)]
pub(crate) struct FunctionMetrics {
    function_name: String,
    started: Counter,
    by_code: RwLock<Vec<(u16, Counter, Histogram)>>,
    /// Calls whose response head has not come back yet.
    in_flight: AtomicU64,
    /// When a call last started or answered, in ms since `epoch`.
    last_active_ms: AtomicU64,
    /// The gateway's metrics' creation.
    epoch: tokio::time::Instant,
}

/// Exposes a counter family without the `_total` suffix prometheus-client adds, as upstream's
/// `gateway_function_invocation_started`. The crate can only do that for an untyped metric;
/// [`Metrics::encode`] then restores the `counter` type line.
#[derive(Debug)]
struct WithoutTotal(Family<FunctionLabels, Counter>);

impl EncodeMetric for WithoutTotal {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Unknown
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Fresh metrics, registered under the upstream names.
    pub fn new() -> Self {
        let invocations = Family::<CodeLabels, Counter>::default();
        let seconds: HistogramFamily = Family::new_with_constructor(|| Histogram::new(BUCKETS));
        let started = Family::<FunctionLabels, Counter>::default();
        let service_count = Family::<FunctionLabels, Gauge>::default();
        let mut registry = Registry::default();
        // prometheus-client appends `_total` to counters: this exposes
        // `gateway_function_invocation_total`.
        registry.register(
            "gateway_function_invocation",
            "Function metrics",
            invocations.clone(),
        );
        registry.register(
            "gateway_functions_seconds",
            "Function time taken",
            seconds.clone(),
        );
        registry.register(
            STARTED,
            "The total number of function HTTP requests started",
            WithoutTotal(started.clone()),
        );
        registry.register(
            "gateway_service_count",
            "Current count of replicas for function",
            service_count.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                invocations,
                seconds,
                started,
                service_count,
                functions: RwLock::default(),
                epoch: tokio::time::Instant::now(),
            }),
        }
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.inner.registry)
        {
            tracing::error!(error = %e, "encoding metrics");
        }
        text.replacen(
            &format!("# TYPE {STARTED} untyped\n"),
            &format!("# TYPE {STARTED} counter\n"),
            1,
        )
    }

    /// The handles of `function`, created on its first invocation.
    pub(crate) fn function(&self, function: &FunctionRef) -> Arc<FunctionMetrics> {
        if let Some(m) = read(&self.inner.functions).get(function) {
            return Arc::clone(m);
        }
        let mut functions = write(&self.inner.functions);
        let m = functions.entry(function.clone()).or_insert_with(|| {
            let function_name = function.to_string();
            let started = self.inner.started.get_or_create_owned(&FunctionLabels {
                function_name: function_name.clone(),
            });
            Arc::new(FunctionMetrics {
                function_name,
                started,
                by_code: RwLock::default(),
                in_flight: AtomicU64::new(0),
                last_active_ms: AtomicU64::new(0),
                epoch: self.inner.epoch,
            })
        });
        Arc::clone(m)
    }

    /// Counts a finished invocation of `function` with this status and duration.
    pub(crate) fn record(&self, function: &FunctionMetrics, code: u16, elapsed: Duration) {
        function.in_flight.fetch_sub(1, Ordering::Relaxed);
        function.touch();
        let seconds = elapsed.as_secs_f64();
        if let Some((_, counter, histogram)) =
            read(&function.by_code).iter().find(|(c, _, _)| *c == code)
        {
            counter.inc();
            histogram.observe(seconds);
            return;
        }
        let mut by_code = write(&function.by_code);
        if !by_code.iter().any(|(c, _, _)| *c == code) {
            let labels = CodeLabels {
                code: code.to_string(),
                function_name: function.function_name.clone(),
            };
            by_code.push((
                code,
                self.inner.invocations.get_or_create_owned(&labels),
                self.inner.seconds.get_or_create_owned(&labels),
            ));
        }
        if let Some((_, counter, histogram)) = by_code.iter().find(|(c, _, _)| *c == code) {
            counter.inc();
            histogram.observe(seconds);
        }
    }

    /// Synchronous invocations of `function` seen so far, all status codes.
    pub fn invocation_count(&self, function: &FunctionRef) -> u64 {
        read(&self.inner.functions).get(function).map_or(0, |m| {
            read(&m.by_code).iter().map(|(_, c, _)| c.get()).sum()
        })
    }

    /// Records the replicas a provider reported for `function` (`gateway_service_count`).
    pub fn set_replicas(&self, function: &FunctionRef, replicas: u64) {
        self.inner
            .service_count
            .get_or_create(&FunctionLabels {
                function_name: function.to_string(),
            })
            .set(i64::try_from(replicas).unwrap_or(i64::MAX));
    }
}

impl FunctionMetrics {
    /// Counts an invocation as started.
    pub(crate) fn start(&self) {
        self.started.inc();
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_active_ms.fetch_max(ms, Ordering::Relaxed);
    }
}

impl Metrics {
    /// How long `function` has had no call in flight and none started or answered: since the
    /// last such event, or since these metrics were made when it was never called.
    pub(crate) fn idle_for(&self, function: &FunctionRef) -> Duration {
        let now = self.inner.epoch.elapsed();
        match read(&self.inner.functions).get(function) {
            None => now,
            Some(m) if m.in_flight.load(Ordering::Relaxed) > 0 => Duration::ZERO,
            Some(m) => now.saturating_sub(Duration::from_millis(
                m.last_active_ms.load(Ordering::Relaxed),
            )),
        }
    }
}

/// Locks for reading; a panic elsewhere never disables metrics.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_upstream_names() {
        let metrics = Metrics::new();
        let f = FunctionRef::new("env", None);
        let fm = metrics.function(&f);
        fm.start();
        metrics.record(&fm, 200, Duration::from_millis(3));
        metrics.record(&fm, 200, Duration::from_millis(30));
        metrics.record(&fm, 502, Duration::from_millis(1));
        metrics.set_replicas(&f, 2);
        let text = metrics.encode();
        for line in [
            "# TYPE gateway_function_invocation_total counter\n",
            "gateway_function_invocation_total{code=\"200\",function_name=\"env.openfaas-fn\"} 2\n",
            "gateway_function_invocation_total{code=\"502\",function_name=\"env.openfaas-fn\"} 1\n",
            "# TYPE gateway_function_invocation_started counter\n",
            "gateway_function_invocation_started{function_name=\"env.openfaas-fn\"} 1\n",
            "# TYPE gateway_functions_seconds histogram\n",
            "gateway_functions_seconds_bucket{code=\"200\",function_name=\"env.openfaas-fn\",le=\"0.005\"} 1\n",
            "gateway_functions_seconds_bucket{code=\"200\",function_name=\"env.openfaas-fn\",le=\"10\"} 2\n",
            "gateway_functions_seconds_count{code=\"200\",function_name=\"env.openfaas-fn\"} 2\n",
            "# TYPE gateway_service_count gauge\n",
            "gateway_service_count{function_name=\"env.openfaas-fn\"} 2\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains("started_total"), "{text}");
        assert_eq!(metrics.invocation_count(&f), 3);
        assert_eq!(metrics.invocation_count(&FunctionRef::new("x", None)), 0);
    }
}

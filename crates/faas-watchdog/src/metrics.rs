//! The watchdog's request metrics (docs/watchdog.md §9), kept with `prometheus-client` and exposed by
//! `metrics_server` in the Prometheus text format.
//!
//! Three families, with the names both upstream watchdogs use:
//! - `http_requests_total{code,method}`: function requests answered, a counter;
//! - `http_request_duration_seconds{code,method}`: their durations, a histogram with Prometheus'
//!   default buckets (5 ms to 10 s);
//! - `http_requests_in_flight`: function requests being served, a gauge.
//!
//! Only function requests count, in every mode, including the watchdog's own answers to them
//! (429 over `max_inflight`, 504 and 408 on timeouts); `/_/health` and `/_/ready` never do
//! (docs/watchdog.md §5). `method` is lower-case (`post`); methods outside RFC 9110 share `other`, so a
//! client cannot create series at will. `code` is the status sent, or `0` when none was: the
//! connection was closed instead (`write_timeout` in fork modes, a client that went away).
//!
//! A request is measured from its arrival until its response body has ended — for a streamed
//! response, the last chunk handed to the connection, or the abort. A [`RequestObservation`]
//! made at arrival counts it in flight; [`measured`] moves it into the response body
//! ([`MeasuredBody`]), and dropping it records the counter and histogram. Recording allocates
//! nothing: labels are a status number and a static string, looked up in the families under a
//! read lock once the series exists.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio::time::Instant;

use crate::body::ResponseBody;
use crate::error::Error;

/// `Content-Type` of the metrics text (Prometheus text format 0.0.4).
pub(crate) const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Prometheus' default histogram buckets, in seconds.
const DEFAULT_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The `code` of a request that got no response.
const NO_RESPONSE: u16 = 0;

/// The labels of a request's counter and histogram, in the order they are printed.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The status code sent.
    code: u16,
    /// The method, lower-case.
    method: &'static str,
}

type DurationFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// The watchdog's metrics, shared by every connection and the metrics endpoint.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: DurationFamily,
    in_flight: Gauge,
}

impl Metrics {
    /// Fresh metrics, registered under the upstream names.
    pub(crate) fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let durations: DurationFamily =
            Family::new_with_constructor(|| Histogram::new(DEFAULT_BUCKETS));
        let in_flight = Gauge::default();
        let mut registry = Registry::default();
        // prometheus-client appends `_total` to counters: this is `http_requests_total`.
        registry.register(
            "http_requests",
            "Function requests answered, by status code and method",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Seconds from a function request's arrival to the end of its response",
            durations.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Function requests being served",
            in_flight.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            in_flight,
        }
    }

    /// Starts measuring a function request that arrived at `started`; it counts as in flight
    /// until the observation is dropped.
    pub(crate) fn observe(
        self: &Arc<Self>,
        method: &Method,
        started: Instant,
    ) -> RequestObservation {
        self.in_flight.inc();
        RequestObservation {
            metrics: Arc::clone(self),
            method: method_label(method),
            code: NO_RESPONSE,
            started,
        }
    }

    /// The metrics in the Prometheus text format.
    pub(crate) fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(error) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
        {
            tracing::error!(%error, "encoding metrics");
        }
        text
    }
}

/// One function request being measured. Dropping it records the request under the status set
/// by [`RequestObservation::answered`] (`0` if none) and takes it out of the in-flight gauge.
#[derive(Debug)]
pub(crate) struct RequestObservation {
    metrics: Arc<Metrics>,
    method: &'static str,
    code: u16,
    started: Instant,
}

impl RequestObservation {
    /// Notes the status the response is sent with.
    pub(crate) fn answered(&mut self, status: StatusCode) {
        self.code = status.as_u16();
    }
}

impl Drop for RequestObservation {
    fn drop(&mut self) {
        let seconds = self.started.elapsed().as_secs_f64();
        let labels = RequestLabels {
            code: self.code,
            method: self.method,
        };
        self.metrics.requests.get_or_create(&labels).inc();
        self.metrics
            .durations
            .get_or_create(&labels)
            .observe(seconds);
        self.metrics.in_flight.dec();
    }
}

/// A response body that ends its request's observation when it ends: after its last frame, an
/// error, or when hyper drops it (a finished response, a client gone mid-stream).
#[derive(Debug)]
pub(crate) struct MeasuredBody {
    inner: ResponseBody,
    observation: Option<RequestObservation>,
}

impl MeasuredBody {
    /// A body that measures nothing (`/_/health`, `/_/ready`, metrics disabled).
    pub(crate) fn unmeasured(inner: ResponseBody) -> Self {
        MeasuredBody {
            inner,
            observation: None,
        }
    }
}

/// Notes the response's status in `observation` and hands the observation to its body.
pub(crate) fn measured(
    response: Response<ResponseBody>,
    mut observation: Option<RequestObservation>,
) -> Response<MeasuredBody> {
    if let Some(observation) = &mut observation {
        observation.answered(response.status());
    }
    response.map(|inner| MeasuredBody { inner, observation })
}

impl Body for MeasuredBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let frame = std::task::ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if !matches!(frame, Some(Ok(_))) {
            self.observation = None;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The `method` label: the method in lower case, `other` for extension methods.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "get",
        Method::POST => "post",
        Method::PUT => "put",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        Method::HEAD => "head",
        Method::OPTIONS => "options",
        Method::CONNECT => "connect",
        Method::TRACE => "trace",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use http_body_util::BodyExt;

    fn ok(body: &'static str) -> Response<ResponseBody> {
        Response::new(crate::body::full(body))
    }

    #[tokio::test]
    async fn requests_are_recorded_when_their_body_ends() {
        let metrics = Arc::new(Metrics::new());
        let observation = metrics.observe(&Method::POST, Instant::now());
        assert!(metrics.encode().contains("\nhttp_requests_in_flight 1\n"));
        let response = measured(ok("hi"), Some(observation));
        assert!(!metrics.encode().contains("http_requests_total{"));
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, "hi");

        let mut refused = ok("busy");
        *refused.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        drop(measured(
            refused,
            Some(metrics.observe(&Method::GET, Instant::now())),
        ));
        drop(metrics.observe(&Method::from_bytes(b"BREW").unwrap(), Instant::now()));

        let text = metrics.encode();
        for line in [
            "# TYPE http_requests_total counter\n",
            "http_requests_total{code=\"200\",method=\"post\"} 1\n",
            "http_requests_total{code=\"429\",method=\"get\"} 1\n",
            "http_requests_total{code=\"0\",method=\"other\"} 1\n",
            "# TYPE http_request_duration_seconds histogram\n",
            "http_request_duration_seconds_bucket{code=\"200\",method=\"post\",le=\"0.005\"} ",
            "http_request_duration_seconds_bucket{code=\"200\",method=\"post\",le=\"10\"} 1\n",
            "http_request_duration_seconds_count{code=\"200\",method=\"post\"} 1\n",
            "# TYPE http_requests_in_flight gauge\n",
            "\nhttp_requests_in_flight 0\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
    }
}

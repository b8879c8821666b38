//! The metrics endpoint (docs/watchdog.md §9, §10): `GET /metrics` on its own listener (`metrics_port`).
//!
//! [`MetricsEndpoint::start`] serves the listener the caller bound in a background task;
//! [`MetricsEndpoint::stop`] closes it and ends its connections, which the server does once the
//! function listener has drained, so both stop together at SIGTERM. Other paths answer 404,
//! other methods 405.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::metrics::{self, Metrics};

/// How long a scraper gets to read its request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long open scrapes get to finish once the endpoint stops.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// The running metrics endpoint.
#[derive(Debug)]
pub(crate) struct MetricsEndpoint {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl MetricsEndpoint {
    /// Serves `metrics` on `listener` until [`MetricsEndpoint::stop`].
    pub(crate) fn start(listener: TcpListener, metrics: Arc<Metrics>) -> Self {
        if let Ok(address) = listener.local_addr() {
            tracing::info!(%address, "metrics endpoint listening on /metrics");
        }
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(listener, metrics, stopped));
        MetricsEndpoint { stop, task }
    }

    /// Closes the listener and waits (briefly) for open scrapes to finish.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "metrics endpoint task failed");
        }
    }
}

/// The accept loop; returns once `stopped` fires (or its sender is gone).
async fn run(listener: TcpListener, metrics: Arc<Metrics>, mut stopped: oneshot::Receiver<()>) {
    let mut connections = http1::Builder::new();
    connections
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let metrics = Arc::clone(&metrics);
                    let service = service_fn(move |request| {
                        std::future::ready(Ok::<_, Infallible>(answer(&request, &metrics)))
                    });
                    let connection = graceful
                        .watch(connections.serve_connection(TokioIo::new(stream), service));
                    tokio::spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%error, "metrics connection ended with an error");
                        }
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "accepting a metrics connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(STOP_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("metrics connections still open at shutdown; dropping them");
    }
    tracing::info!("metrics endpoint stopped");
}

/// Answers one request to the metrics endpoint.
fn answer(request: &Request<Incoming>, metrics: &Metrics) -> Response<Full<Bytes>> {
    if request.uri().path() != "/metrics" {
        return text(StatusCode::NOT_FOUND, "404 page not found\n");
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed\n");
    }
    let mut response = Response::new(Full::new(Bytes::from(metrics.encode())));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    response
}

/// A `text/plain` response.
fn text(status: StatusCode, message: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(message.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

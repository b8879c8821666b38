//! The HTTP server: accept loop, routing, `max_inflight`, metrics, and the shutdown drain
//! (docs/watchdog.md §7, §9).
//!
//! [`serve`] takes bound listeners and a shutdown future; it never binds or reads signals, so
//! tests pass their own. Shutdown runs in three steps: health and readiness turn 503 and the lock
//! file goes (in http mode the upstream gets SIGTERM); new connections are still accepted for
//! `healthcheck_interval`; then the listener closes and in-flight requests get up to
//! `write_timeout` to finish. The metrics endpoint serves until then and stops with it.

use std::future::Future;
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use nix::sys::signal::Signal;
use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::body::ResponseBody;
use crate::config::{Config, Mode};
use crate::error::Error;
use crate::fork::ForkHandler;
use crate::health::{self, Lifecycle, LockFile};
use crate::http_mode::{HttpProxy, UpstreamProcess};
use crate::inflight::InflightLimit;
use crate::metrics::{self, MeasuredBody, Metrics};
use crate::metrics_server::MetricsEndpoint;
use crate::response;
use crate::static_files::StaticFiles;
use crate::streaming::StreamingHandler;

/// What serves function requests, one per mode.
#[derive(Debug)]
enum ModeHandler {
    Fork(ForkHandler),
    Streaming(StreamingHandler),
    Http(Box<HttpProxy>),
    Static(StaticFiles),
}

/// Everything a request needs, shared by all connections.
#[derive(Debug)]
struct Watchdog {
    handler: ModeHandler,
    inflight: InflightLimit,
    lifecycle: Lifecycle,
    lock: LockFile,
    /// Request metrics; `None` without a metrics endpoint, so nothing is measured.
    metrics: Option<Arc<Metrics>>,
}

/// Serves function requests on `listener` until `shutdown` resolves, then drains (docs/watchdog.md §7).
///
/// With a `metrics_listener` (bound to `metrics_port`), requests are measured and
/// `GET /metrics` is served on it until the drain ends (docs/watchdog.md §9); with `None`, nothing is
/// measured.
///
/// Returns `Ok` after a requested shutdown. In http mode, an upstream process that exits on its
/// own ends the watchdog with [`Error::UpstreamExited`].
pub async fn serve<F>(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    config: Config,
    shutdown: F,
) -> Result<(), Error>
where
    F: Future<Output = ()> + Send,
{
    let mut config = config;
    if config.mode.forks_per_request() {
        let path = std::env::var_os("PATH");
        config.function_process = config
            .function_process
            .map(|p| p.resolved_in(path.as_deref()));
    }
    let config = Arc::new(config);
    let (handler, mut upstream) = match config.mode {
        Mode::Classic | Mode::Serializing => {
            (ModeHandler::Fork(ForkHandler::new(config.clone())), None)
        }
        Mode::Streaming => (
            ModeHandler::Streaming(StreamingHandler::new(config.clone())),
            None,
        ),
        Mode::Static => (
            ModeHandler::Static(StaticFiles::new(config.static_path.clone())),
            None,
        ),
        Mode::Http => {
            let (proxy, process) = HttpProxy::start(config.clone())?;
            (ModeHandler::Http(Box::new(proxy)), Some(process))
        }
    };
    let metrics = metrics_listener.as_ref().map(|_| Arc::new(Metrics::new()));
    let watchdog = Arc::new(Watchdog {
        handler,
        inflight: InflightLimit::new(config.max_inflight),
        lifecycle: Lifecycle::default(),
        lock: LockFile::new(config.lock_path.clone(), config.suppress_lock),
        metrics: metrics.clone(),
    });
    announce_when_ready(&watchdog).await?;
    let metrics_endpoint = metrics_listener
        .zip(metrics)
        .map(|(listener, metrics)| MetricsEndpoint::start(listener, metrics));
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, mode = %config.mode, "watchdog listening");
    }

    let mut connections = http1::Builder::new();
    connections
        .timer(TokioTimer::new())
        .header_read_timeout(config.read_timeout)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let accept = |stream: tokio::net::TcpStream| {
        let _ = stream.set_nodelay(true);
        let watchdog = Arc::clone(&watchdog);
        let service = service_fn(move |request| Arc::clone(&watchdog).handle(request));
        let connection =
            graceful.watch(connections.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    };

    // Serve until asked to stop, or until the upstream process (http mode) exits.
    tokio::pin!(shutdown);
    let upstream_exit = loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => accept(stream),
                Err(error) => accept_failed(error).await,
            },
            () = &mut shutdown => break None,
            status = upstream_exited(&mut upstream) => break Some(status),
        }
    };
    watchdog.lifecycle.set_draining();
    watchdog.lock.remove();
    if let Some(status) = upstream_exit {
        let status = status?;
        tracing::error!(%status, "upstream function process exited; stopping");
        drain(graceful, listener, config.write_timeout).await;
        stop_metrics(metrics_endpoint).await;
        return Err(Error::UpstreamExited(status));
    }

    // Shutdown requested: readiness is down; keep serving for healthcheck_interval.
    tracing::info!(interval = ?config.healthcheck_interval, "shutdown requested, draining");
    if let Some(process) = &upstream {
        process.signal(Signal::SIGTERM);
    }
    let grace_end = Instant::now() + config.healthcheck_interval;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => accept(stream),
                Err(error) => accept_failed(error).await,
            },
            () = tokio::time::sleep_until(grace_end) => break,
            status = upstream_exited(&mut upstream) => {
                tracing::info!(status = ?status.ok(), "upstream function process exited");
                break;
            }
        }
    }
    drain(graceful, listener, config.write_timeout).await;
    stop_metrics(metrics_endpoint).await;
    Ok(())
}

/// Stops the metrics endpoint, if there is one.
async fn stop_metrics(endpoint: Option<MetricsEndpoint>) {
    if let Some(endpoint) = endpoint {
        endpoint.stop().await;
    }
}

/// Writes the lock file and marks the watchdog up: now, or in http mode once the upstream
/// listens (in the background, so requests that arrive meanwhile wait for it).
async fn announce_when_ready(watchdog: &Arc<Watchdog>) -> Result<(), Error> {
    if let ModeHandler::Http(proxy) = &watchdog.handler {
        let mut listening = proxy.listening();
        let watchdog = Arc::clone(watchdog);
        tokio::spawn(async move {
            if listening.wait_for(|up| *up).await.is_ok() {
                match watchdog.lock.write() {
                    Ok(()) => watchdog.lifecycle.set_serving(),
                    Err(error) => tracing::error!(error = %error, "cannot write lock file"),
                }
            }
        });
        return Ok(());
    }
    watchdog.lock.write()?;
    watchdog.lifecycle.set_serving();
    Ok(())
}

/// Stops accepting, then waits up to `write_timeout` for in-flight requests.
async fn drain(graceful: GracefulShutdown, listener: TcpListener, write_timeout: Option<Duration>) {
    drop(listener);
    let finished = graceful.shutdown();
    match write_timeout {
        Some(limit) => {
            if tokio::time::timeout(limit, finished).await.is_err() {
                tracing::warn!(
                    ?limit,
                    "in-flight requests still running after write_timeout; exiting"
                );
            }
        }
        None => finished.await,
    }
    tracing::info!("drained, exiting");
}

/// Resolves when the upstream process exits; never without one.
async fn upstream_exited(upstream: &mut Option<UpstreamProcess>) -> Result<ExitStatus, Error> {
    match upstream {
        Some(process) => process.exited().await,
        None => std::future::pending().await,
    }
}

/// Logs an accept error and pauses briefly (out of file descriptors is the usual cause).
async fn accept_failed(error: std::io::Error) {
    tracing::warn!(%error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

impl Watchdog {
    /// Routes one request: the two watchdog endpoints, unmeasured, then function requests.
    async fn handle(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<MeasuredBody>, Error> {
        let started = Instant::now();
        match request.uri().path() {
            "/_/health" => {
                let response = health::health(request.method(), &self.lifecycle, &self.lock);
                return Ok(response.map(MeasuredBody::unmeasured));
            }
            "/_/ready" => return Ok(self.ready(&request).await.map(MeasuredBody::unmeasured)),
            _ => {}
        }
        // Measured until the response body ends; dropped with the future, it counts as no
        // response.
        let observation = self
            .metrics
            .as_ref()
            .map(|metrics| metrics.observe(request.method(), started));
        let response = self.serve_function(request, started).await?;
        Ok(metrics::measured(response, observation))
    }

    /// Serves a function request with the mode's handler, under `max_inflight`, and logs it.
    async fn serve_function(
        &self,
        request: Request<Incoming>,
        started: Instant,
    ) -> Result<Response<ResponseBody>, Error> {
        let Some(permit) = self.inflight.try_acquire() else {
            let limit = self.inflight.limit().unwrap_or_default();
            tracing::warn!(limit, "max_inflight reached, answering 429");
            return Ok(response::too_many_requests(limit));
        };
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let result = match &self.handler {
            ModeHandler::Fork(fork) => fork.serve(request, started).await,
            ModeHandler::Streaming(streaming) => {
                streaming.serve(request, started, Some(permit)).await
            }
            ModeHandler::Http(proxy) => proxy.serve(request, started, Some(permit)).await,
            ModeHandler::Static(files) => files.serve(request).await,
        };
        let seconds = started.elapsed().as_secs_f64();
        match &result {
            Ok(response) => {
                let length = http_body::Body::size_hint(response.body()).exact();
                tracing::info!(
                    "{method} {path} - {} - ContentLength: {} ({seconds:.4}s)",
                    response.status(),
                    length.map_or_else(|| "streamed".to_owned(), |n| format!("{n}B")),
                );
            }
            Err(error) => {
                tracing::warn!(error = %error, "{method} {path} - connection closed ({seconds:.4}s)");
            }
        }
        result
    }

    /// `GET /_/ready` (docs/watchdog.md §5).
    async fn ready(&self, request: &Request<Incoming>) -> Response<ResponseBody> {
        let saturated = self
            .inflight
            .is_saturated()
            .then(|| self.inflight.limit().unwrap_or_default());
        if let Some(answer) =
            health::ready_precheck(request.method(), &self.lifecycle, &self.lock, saturated)
        {
            return answer;
        }
        match &self.handler {
            ModeHandler::Http(proxy) => response::empty(proxy.ready().await),
            _ => response::empty(StatusCode::OK),
        }
    }
}

//! Accepting connections: [`serve`], [`serve_gateway`] and [`serve_metrics`]. The library binds
//! nothing and reads no signal: callers pass a bound listener and a shutdown future.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use faas_core::Provider;
use http::{Method, Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::body::GatewayBody;
use crate::config::GatewayConfig;
use crate::error::GatewayError;
use crate::gateway::{router, Gateway};
use crate::metrics::Metrics;
use crate::rescue::error_response;
use crate::system::metrics_response;

/// Serves the gateway API over `provider` on `listener` until `shutdown` completes; then stops
/// accepting, lets in-flight requests finish (up to [`GatewayConfig::drain_timeout`]) and
/// returns.
pub async fn serve(
    listener: TcpListener,
    provider: Arc<dyn Provider>,
    config: GatewayConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), GatewayError> {
    serve_gateway(listener, router(provider, config), shutdown).await
}

/// Like [`serve`], for a [`Gateway`] built with [`router`] — e.g. to share its metrics with
/// [`serve_metrics`].
pub async fn serve_gateway(
    listener: TcpListener,
    gateway: Gateway,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), GatewayError> {
    let drain = gateway.config().drain_timeout;
    let idle_scaler = gateway.idle_scaler().map(tokio::spawn);
    let served = accept_loop(listener, drain, shutdown, move |peer| {
        gateway.clone().with_peer(peer)
    })
    .await;
    if let Some(task) = idle_scaler {
        task.abort();
    }
    served
}

/// Serves only `GET /metrics` of `metrics` on `listener` (upstream's separate `:8082` port),
/// until `shutdown` completes.
pub async fn serve_metrics(
    listener: TcpListener,
    metrics: Metrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), GatewayError> {
    accept_loop(listener, Duration::from_secs(5), shutdown, move |_| {
        let metrics = metrics.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let response = metrics_only(&metrics, &request);
            std::future::ready(Ok::<_, Infallible>(response))
        })
    })
    .await
}

fn metrics_only(metrics: &Metrics, request: &Request<Incoming>) -> Response<GatewayBody> {
    match (request.uri().path(), request.method()) {
        ("/metrics", &Method::GET) => metrics_response(metrics),
        ("/metrics", _) => error_response(&GatewayError::MethodNotAllowed),
        _ => error_response(&GatewayError::RouteNotFound),
    }
}

/// Accepts connections until `shutdown`, serving each with the service `make` builds for its
/// peer; then drains them for at most `drain`.
async fn accept_loop<S, M>(
    listener: TcpListener,
    drain: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
    make: M,
) -> Result<(), GatewayError>
where
    M: Fn(SocketAddr) -> S,
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<GatewayBody>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).keep_alive(true);
    let graceful = GracefulShutdown::new();
    let local = listener.local_addr().map_err(GatewayError::Accept)?;
    tracing::info!(address = %local, "gateway listening");
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Per-connection failures (e.g. out of file descriptors): back off, go on.
                    tracing::warn!(error = %e, "accepting a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "setting TCP_NODELAY");
        }
        let connection = builder
            .serve_connection(TokioIo::new(stream), make(peer))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!(address = %local, "draining connections");
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(address = %local, ?drain, "drain timed out; dropping open connections");
    }
    Ok(())
}

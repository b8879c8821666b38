//! [`Gateway`]: the whole HTTP API as one hyper (and tower) service, and [`router`] to build it.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use faas_core::{FunctionRef, Provider};
use futures_util::future::BoxFuture;
use http::{Request, Response};
use hyper::body::Incoming;
use tower::Service as _;

use crate::body::GatewayBody;
use crate::config::GatewayConfig;
use crate::error::GatewayError;
use crate::invoke::{self, Invocation, InvokeStack};
use crate::metrics::Metrics;
use crate::rescue::error_response;
use crate::route::{is_system, route, Route};
use crate::system;
use crate::ui;

/// What every request handler shares: the provider, the configuration, the metrics and the
/// UI's login sessions.
pub(crate) struct Shared {
    pub(crate) provider: Arc<dyn Provider>,
    pub(crate) config: GatewayConfig,
    pub(crate) metrics: Metrics,
    /// The UI's login sessions (see `ui::session`).
    pub(crate) sessions: ui::Sessions,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("provider", &self.provider.info().provider)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The OpenFaaS gateway API over a provider: a hyper and tower service answering every route of
/// docs/api.md §3. Cheap to clone; [`serve`](crate::serve) clones it per connection.
#[derive(Debug, Clone)]
pub struct Gateway {
    shared: Arc<Shared>,
    invoke: InvokeStack,
    peer: Option<SocketAddr>,
}

/// Builds the gateway service over `provider`, for embedding in another server. Give each
/// connection's copy its client address with [`Gateway::with_peer`] so `X-Forwarded-For` can be
/// appended.
pub fn router(provider: Arc<dyn Provider>, config: GatewayConfig) -> Gateway {
    let shared = Arc::new(Shared {
        provider,
        config,
        metrics: Metrics::new(),
        sessions: ui::Sessions::default(),
    });
    Gateway {
        invoke: invoke::stack(&shared),
        shared,
        peer: None,
    }
}

impl Gateway {
    /// Idle scale-to-zero: functions labelled `com.openfaas.scale.zero=true` are scaled to
    /// zero once no call has reached them for their `com.openfaas.scale.zero-duration`
    /// (default 15 min), checked every [`GatewayConfig::idle_check_interval`]. A future that
    /// never ends, to spawn next to the server; `None` when that interval is `None`.
    /// [`serve`](crate::serve) and [`serve_gateway`](crate::serve_gateway) run it themselves.
    pub fn idle_scaler(&self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let every = self.shared.config.idle_check_interval?;
        Some(crate::idle::run(Arc::clone(&self.shared), every))
    }

    /// This gateway, answering a connection from `peer`.
    pub fn with_peer(mut self, peer: SocketAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    /// The gateway's metrics, e.g. to serve them on another listener with
    /// [`serve_metrics`](crate::serve_metrics).
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics.clone()
    }

    /// The configuration the gateway runs with.
    pub fn config(&self) -> &GatewayConfig {
        &self.shared.config
    }

    fn respond(&self, request: Request<Incoming>) -> ResponseFuture {
        let path = request.uri().path();
        let routed = route(path);
        // The hot path first: no auth, no boxing beyond the stack's own.
        if let Route::Invoke(target) = routed {
            let function = FunctionRef::parse_segment_in(
                target.segment,
                &self.shared.config.default_namespace,
            );
            let rest_start = target.rest_start;
            let mut stack = self.invoke.clone();
            // Every layer of the stack is always ready (the pooled client queues internally),
            // so `call` without `poll_ready` keeps tower's contract.
            return ResponseFuture(Kind::Invoke(stack.call(Invocation {
                request,
                function,
                rest_start,
                peer: self.peer.map(|p| p.ip()),
            })));
        }
        let public_ui = matches!(routed, Route::Ui(asset) if ui::is_public(asset));
        if (is_system(path) || matches!(routed, Route::Ui(_))) && !public_ui {
            if let Some(auth) = &self.shared.config.auth {
                let (method, headers) = (request.method(), request.headers());
                if ui::cross_site_write(method, headers) {
                    return ready(error_response(&GatewayError::Forbidden(
                        "cross-origin request refused",
                    )));
                }
                if !auth.accepts(headers) {
                    // Without basic credentials, the UI's login cookie may let it in.
                    match self.shared.sessions.admits(method, headers) {
                        Ok(true) => {}
                        Ok(false) => return ready(ui::unauthorized(routed)),
                        Err(e) => return ready(error_response(&e)),
                    }
                }
            }
        }
        match routed {
            Route::NotFound => {
                return ResponseFuture(Kind::Ready(Some(error_response(
                    &GatewayError::RouteNotFound,
                ))))
            }
            // Static files, answered at once: no provider call, nothing boxed.
            Route::UiRedirect => return ready(ui::redirect()),
            Route::Ui(asset) => {
                let asset = asset.to_owned();
                return ui::respond(&self.shared, &asset, request);
            }
            _ => {}
        }
        let shared = Arc::clone(&self.shared);
        let peer = self.peer;
        ResponseFuture(Kind::Boxed(Box::pin(async move {
            system::dispatch(&shared, peer, request).await
        })))
    }
}

impl hyper::service::Service<Request<Incoming>> for Gateway {
    type Response = Response<GatewayBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: Request<Incoming>) -> ResponseFuture {
        self.respond(request)
    }
}

impl tower::Service<Request<Incoming>> for Gateway {
    type Response = Response<GatewayBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> ResponseFuture {
        self.respond(request)
    }
}

/// A response already made.
pub(crate) fn ready(response: Response<GatewayBody>) -> ResponseFuture {
    ResponseFuture(Kind::Ready(Some(response)))
}

/// A response still to be made by `future`.
pub(crate) fn boxed(
    future: impl Future<Output = Response<GatewayBody>> + Send + 'static,
) -> ResponseFuture {
    ResponseFuture(Kind::Boxed(Box::pin(future)))
}

/// The future of a [`Gateway`] response. Never fails: errors are already responses.
pub struct ResponseFuture(Kind);

enum Kind {
    Invoke(<InvokeStack as tower::Service<Invocation>>::Future),
    Boxed(BoxFuture<'static, Response<GatewayBody>>),
    Ready(Option<Response<GatewayBody>>),
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<GatewayBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            Kind::Invoke(f) => Pin::new(f).poll(cx),
            Kind::Boxed(f) => f.as_mut().poll(cx).map(Ok),
            Kind::Ready(r) => Poll::Ready(Ok(r
                .take()
                .unwrap_or_else(|| error_response(&GatewayError::RouteNotFound)))),
        }
    }
}

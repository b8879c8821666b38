//! Every route but the invocation proxy: the `/system/*` management API (authenticated before it
//! gets here), `/healthz`, `/metrics` and `/async-function`. One file per resource; [`dispatch`]
//! only matches method and route.

mod functions;
mod info;
mod logs;
mod namespaces;
mod secrets;

pub(crate) use info::metrics_response;

use std::net::SocketAddr;

use http::request::Parts;
use http::{Method, Request, Response};
use hyper::body::Incoming;

use crate::async_invoke;
use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::gateway::Shared;
use crate::query;
use crate::rescue::error_response;
use crate::route::{route, Route};

/// Answers a request for any route but `/function/*`; errors become responses here.
pub(crate) async fn dispatch(
    shared: &Shared,
    peer: Option<SocketAddr>,
    request: Request<Incoming>,
) -> Response<GatewayBody> {
    let (parts, body) = request.into_parts();
    let result = match (route(parts.uri.path()), &parts.method) {
        (Route::Healthz, &Method::GET) => info::healthz(shared).await,
        (Route::Metrics, &Method::GET) => Ok(info::metrics(shared)),
        (Route::Info, &Method::GET) => Ok(info::info(shared)),
        (Route::Functions, &Method::GET) => functions::list(shared, &parts).await,
        (Route::Functions, &Method::POST) => functions::deploy(shared, &parts, body).await,
        (Route::Functions, &Method::PUT) => functions::update(shared, &parts, body).await,
        (Route::Functions, &Method::DELETE) => functions::delete(shared, &parts, body).await,
        (Route::Function(name), &Method::GET) => functions::status(shared, name, &parts).await,
        (Route::ScaleFunction(name), &Method::POST) => {
            functions::scale(shared, name, &parts, body).await
        }
        (Route::Secrets, &Method::GET) => secrets::list(shared, &parts).await,
        (Route::Secrets, &Method::POST) => secrets::create(shared, &parts, body).await,
        (Route::Secrets, &Method::PUT) => secrets::update(shared, &parts, body).await,
        (Route::Secrets, &Method::DELETE) => secrets::delete(shared, &parts, body).await,
        (Route::Namespaces, &Method::GET) => namespaces::list(shared).await,
        (Route::NamespaceCreate, &Method::POST) => namespaces::create(shared, &parts, body).await,
        (Route::Namespace(ns), &Method::GET) => namespaces::get(shared, ns).await,
        (Route::Namespace(ns), &Method::PUT) => namespaces::update(shared, ns, &parts, body).await,
        (Route::Namespace(ns), &Method::DELETE) => namespaces::delete(shared, ns).await,
        (Route::Logs, &Method::GET) => logs::logs(shared, &parts).await,
        (Route::AsyncInvoke(target), &Method::POST) => {
            async_invoke::accept(shared, target, peer, &parts, body).await
        }
        // `/`, `/ui/*` and `/function/*` never come here; unknown paths are answered before.
        (Route::NotFound | Route::Invoke(_) | Route::UiRedirect | Route::Ui(_), _) => {
            Err(GatewayError::RouteNotFound)
        }
        _ => Err(GatewayError::MethodNotAllowed),
    };
    result.unwrap_or_else(|e| error_response(&e))
}

/// The `namespace` query parameter, defaulted to the gateway's default namespace.
fn query_namespace(shared: &Shared, parts: &Parts) -> String {
    query::non_empty(parts.uri.query(), "namespace")
        .unwrap_or_else(|| shared.config.default_namespace.clone())
}

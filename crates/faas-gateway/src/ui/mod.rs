//! The web UI: a small single-page app (plain HTML, CSS and JavaScript modules, no build step)
//! embedded in the binary and served at `/ui/`, behind the same basic auth as `/system/*` (or
//! a login form's session cookie, see [`session`]).
//!
//! The browser page talks to the gateway's own API (`/system/*`, `/function/*`,
//! `/async-function/*`) with the credentials the browser already holds; the only server state
//! is the login sessions. Nothing is fetched from elsewhere: it works on an offline machine.
//!
//! - [`assets`]: the embedded files, their content types and ETags.
//! - [`session`]: the login form's cookie sessions and their CSRF tokens, the alternative to the
//!   browser's basic-auth prompt.
//! - [`redirect`] (for `/` and `/ui`) and [`respond`] (for `/ui/{file}`, `/ui/login`,
//!   `/ui/logout`, `/ui/session`) build the responses, off the invocation path.

mod assets;
mod session;

use std::sync::Arc;

pub(crate) use session::{cross_site_write, Sessions};

use http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::gateway::{boxed, ready, ResponseFuture, Shared};
use crate::query;
use crate::request_body::read_limited;
use crate::rescue::{empty, error_response};
use crate::route::Route;

/// Files served without credentials: the login form and what it loads (no data in them).
const PUBLIC: &[&str] = &[
    "login",
    "login.html",
    "style.css",
    "favicon.svg",
    "js/login.js",
];

/// Whether `/ui/{asset}` is served without credentials.
pub(crate) fn is_public(asset: &str) -> bool {
    PUBLIC.contains(&asset)
}

/// The 401 for a request without credentials: the page itself (`/ui/`) gets the login form as
/// its body, so a user who dismisses the browser's prompt can log in with the form; everything
/// else gets the usual `invalid credentials`. Both carry the basic-auth challenge.
pub(crate) fn unauthorized(route: Route<'_>) -> Response<GatewayBody> {
    if matches!(route, Route::Ui("" | "index.html")) {
        let mut page = asset_response("login.html", &Method::GET, &HeaderMap::new());
        *page.status_mut() = StatusCode::UNAUTHORIZED;
        let h = page.headers_mut();
        h.remove(ETAG);
        h.insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Restricted\""),
        );
        return page;
    }
    error_response(&GatewayError::Unauthorized)
}

/// The answer to `/ui/{asset}` (credentials already checked, except for [`is_public`] files).
pub(crate) fn respond(
    shared: &Arc<Shared>,
    asset: &str,
    request: Request<Incoming>,
) -> ResponseFuture {
    let (method, headers) = (request.method(), request.headers());
    match (asset, method) {
        ("login", &Method::POST) => {
            let shared = Arc::clone(shared);
            let (parts, body) = request.into_parts();
            boxed(async move {
                let form = match read_limited(body, &parts.headers, 4096).await {
                    Ok(form) => form,
                    Err(e) => return error_response(&e),
                };
                let form = String::from_utf8_lossy(&form);
                let field = |k| query::param(Some(&form), k).unwrap_or_default();
                let ok = shared
                    .config
                    .auth
                    .as_ref()
                    .is_none_or(|auth| auth.matches(&field("user"), &field("password")));
                shared.sessions.login(ok, &parts.headers)
            })
        }
        ("login", &Method::GET | &Method::HEAD) => {
            ready(asset_response("login.html", method, headers))
        }
        ("logout", &Method::POST) => ready(shared.sessions.logout(headers)),
        ("session", &Method::GET) => ready(shared.sessions.info(headers)),
        ("login" | "logout" | "session", _) => {
            ready(error_response(&GatewayError::MethodNotAllowed))
        }
        _ => ready(asset_response(asset, method, headers)),
    }
}

/// The policy of the HTML page: scripts, styles and images only from the gateway; API calls to
/// the gateway, plus any `http(s)` URL so a function store JSON can be loaded from the web.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; connect-src 'self' http: https:; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `307` to `/ui/`, the answer to `/` and `/ui`.
pub(crate) fn redirect() -> Response<GatewayBody> {
    let mut response = empty(StatusCode::TEMPORARY_REDIRECT);
    response
        .headers_mut()
        .insert(LOCATION, HeaderValue::from_static("/ui/"));
    response
}

/// The answer to `GET`/`HEAD /ui/{name}` (`""` is `index.html`): the file with its content
/// type, `Cache-Control: no-cache` and an ETag, or `304` when `If-None-Match` has that ETag;
/// 404 for an unknown file, 405 for another method.
pub(crate) fn asset_response(
    name: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Response<GatewayBody> {
    if method != Method::GET && method != Method::HEAD {
        return error_response(&GatewayError::MethodNotAllowed);
    }
    let name = if name.is_empty() { "index.html" } else { name };
    let Some(file) = assets::find(name) else {
        return error_response(&GatewayError::RouteNotFound);
    };
    let etag = file.etag();
    let fresh = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        });
    let mut response = if fresh {
        empty(StatusCode::NOT_MODIFIED)
    } else {
        let mut r = Response::new(GatewayBody::full(file.bytes));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
        r
    };
    let h = response.headers_mut();
    // Not fingerprinted names: the browser revalidates each time and gets 304 while unchanged.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The referrer never leaves the gateway, yet the browser still names the page's `Origin`
    // on its own POSTs (under `no-referrer` it sends `Origin: null`, which the login refuses).
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if file.content_type.starts_with("text/html") {
        h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert("content-security-policy", HeaderValue::from_static(CSP));
    }
    response
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    async fn body_of(r: Response<GatewayBody>) -> String {
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn index_and_assets_with_their_types() {
        let none = HeaderMap::new();
        let r = asset_response("", &Method::GET, &none);
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(r.headers().contains_key("content-security-policy"));
        assert!(body_of(r).await.contains("<title>"));
        for (name, ty) in [
            ("style.css", "text/css; charset=utf-8"),
            ("js/app.js", "text/javascript; charset=utf-8"),
            ("store.json", "application/json"),
            ("favicon.svg", "image/svg+xml"),
        ] {
            let r = asset_response(name, &Method::GET, &none);
            assert_eq!(
                (r.status(), &r.headers()[CONTENT_TYPE]),
                (StatusCode::OK, &HeaderValue::from_static(ty)),
                "{name}"
            );
            assert_eq!(r.headers()[CACHE_CONTROL], "no-cache");
        }
        assert_eq!(asset_response("nope.js", &Method::GET, &none).status(), 404);
        assert_eq!(
            asset_response("../Cargo.toml", &Method::GET, &none).status(),
            404
        );
        assert_eq!(asset_response("", &Method::POST, &none).status(), 405);
    }

    #[tokio::test]
    async fn etag_revalidates_to_304() {
        let r = asset_response("js/app.js", &Method::GET, &HeaderMap::new());
        let etag = r.headers()[ETAG].clone();
        assert!(etag.to_str().unwrap().starts_with('"'));
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, etag.clone());
        let r = asset_response("js/app.js", &Method::GET, &h);
        assert_eq!(r.status(), 304);
        assert_eq!(r.headers()[ETAG], etag);
        assert_eq!(body_of(r).await, "");
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(asset_response("js/app.js", &Method::GET, &h).status(), 200);
    }

    #[test]
    fn redirect_goes_to_ui() {
        let r = redirect();
        assert_eq!(r.status(), 307);
        assert_eq!(r.headers()[LOCATION], "/ui/");
    }
}

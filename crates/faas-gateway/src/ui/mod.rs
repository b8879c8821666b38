//! The web UI: a small single-page app (plain HTML, CSS and JavaScript modules, no build step)
//! embedded in the binary and served at `/ui/`, behind the same basic auth as `/system/*`.
//!
//! The browser page talks to the gateway's own API (`/system/*`, `/function/*`,
//! `/async-function/*`) with the credentials the browser already holds, so the UI needs no
//! state on the server. Nothing is fetched from elsewhere: it works on an offline machine.
//!
//! - [`assets`]: the embedded files, their content types and ETags.
//! - [`redirect`] (for `/` and `/ui`) and [`asset`] (for `/ui/{file}`) build the responses;
//!   the gateway answers them at once, off the invocation path.

mod assets;

use http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderMap, Method, Response, StatusCode};

use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::rescue::{empty, error_response};

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
pub(crate) fn asset(name: &str, method: &Method, headers: &HeaderMap) -> Response<GatewayBody> {
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
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
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
        let r = asset("", &Method::GET, &none);
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
            let r = asset(name, &Method::GET, &none);
            assert_eq!(
                (r.status(), &r.headers()[CONTENT_TYPE]),
                (StatusCode::OK, &HeaderValue::from_static(ty)),
                "{name}"
            );
            assert_eq!(r.headers()[CACHE_CONTROL], "no-cache");
        }
        assert_eq!(asset("nope.js", &Method::GET, &none).status(), 404);
        assert_eq!(asset("../Cargo.toml", &Method::GET, &none).status(), 404);
        assert_eq!(asset("", &Method::POST, &none).status(), 405);
    }

    #[tokio::test]
    async fn etag_revalidates_to_304() {
        let r = asset("js/app.js", &Method::GET, &HeaderMap::new());
        let etag = r.headers()[ETAG].clone();
        assert!(etag.to_str().unwrap().starts_with('"'));
        let mut h = HeaderMap::new();
        h.insert(IF_NONE_MATCH, etag.clone());
        let r = asset("js/app.js", &Method::GET, &h);
        assert_eq!(r.status(), 304);
        assert_eq!(r.headers()[ETAG], etag);
        assert_eq!(body_of(r).await, "");
        h.insert(IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(asset("js/app.js", &Method::GET, &h).status(), 200);
    }

    #[test]
    fn redirect_goes_to_ui() {
        let r = redirect();
        assert_eq!(r.status(), 307);
        assert_eq!(r.headers()[LOCATION], "/ui/");
    }
}

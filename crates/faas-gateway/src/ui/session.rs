//! Logging in to the UI with a form instead of the browser's basic-auth prompt: `POST
//! /ui/login` checks the same credentials as `/system/*` and sets a session cookie
//! (`HttpOnly; SameSite=Strict`). With that cookie, `/ui/*` and `/system/*` are let in; a
//! request that changes state must also carry the session's CSRF token in `X-CSRF-Token` (the
//! page reads it from `GET /ui/session`) and, when the browser names its `Origin`, come from the
//! gateway's own. Sessions live in memory: a restart logs everyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use http::header::{COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use subtle::ConstantTimeEq as _;

use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::rescue::{empty, json};

/// The session cookie's name.
pub(crate) const COOKIE_NAME: &str = "faas_session";
/// The header carrying the CSRF token.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts after login.
const TTL: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most; the oldest goes first.
const MAX_SESSIONS: usize = 256;

struct Session {
    csrf: String,
    expires: Instant,
}

/// The live login sessions of the UI.
#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

/// 244 random bits as hex (two UUIDv4s without their fixed bits' meaning mattering).
fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// Whether the request's `Origin`, if any, is the gateway it was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
    !host.is_empty() && origin_host == host
}

/// Whether a browser sent this state-changing request from another site's page (its `Origin`
/// is not the gateway). A browser attaches remembered basic-auth credentials to such requests
/// too, so they are refused whatever the credentials; API clients send no `Origin`.
pub(crate) fn cross_site_write(method: &Method, headers: &HeaderMap) -> bool {
    changes_state(method) && !same_origin(headers)
}

/// Whether `method` may change state (everything but GET, HEAD and OPTIONS).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new session: its cookie token.
    fn create(&self) -> String {
        let token = random_token();
        let now = Instant::now();
        let mut map = self.lock();
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let csrf = random_token();
        map.insert(
            token.clone(),
            Session {
                csrf,
                expires: now + TTL,
            },
        );
        token
    }

    /// The CSRF token of the live session named by the request's cookie.
    fn csrf_of(&self, headers: &HeaderMap) -> Option<String> {
        let token = cookie(headers, COOKIE_NAME)?;
        let map = self.lock();
        let session = map.get(token)?;
        (session.expires > Instant::now()).then(|| session.csrf.clone())
    }

    /// Whether a request without basic credentials is let in by its session cookie: `Ok(true)`
    /// with a live session (and, for a state-changing method, the CSRF token and same origin),
    /// `Ok(false)` without one, `Err` when the session is live but the CSRF check fails.
    pub(crate) fn admits(
        &self,
        method: &Method,
        headers: &HeaderMap,
    ) -> Result<bool, GatewayError> {
        let Some(csrf) = self.csrf_of(headers) else {
            return Ok(false);
        };
        if !changes_state(method) {
            return Ok(true);
        }
        if !same_origin(headers) {
            return Err(GatewayError::Forbidden("cross-origin request refused"));
        }
        let sent = headers
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if bool::from(sent.ct_eq(csrf.as_bytes())) {
            Ok(true)
        } else {
            Err(GatewayError::Forbidden("missing or wrong X-CSRF-Token"))
        }
    }

    /// `POST /ui/login` with the form fields `user` and `password`: `ok` says whether they are
    /// the gateway's credentials. On success a new session cookie and `303` to `/ui/`, else
    /// `303` back to the form, marked failed. A cross-origin form is refused.
    pub(crate) fn login(&self, ok: bool, headers: &HeaderMap) -> Response<GatewayBody> {
        if !same_origin(headers) {
            return crate::rescue::error_response(&GatewayError::Forbidden(
                "cross-origin login refused",
            ));
        }
        if !ok {
            tracing::info!("UI login refused");
            return see_other("/ui/login?failed");
        }
        let token = self.create();
        let mut response = see_other("/ui/");
        let cookie = format!(
            "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
            TTL.as_secs()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(SET_COOKIE, v);
        }
        response
    }

    /// `POST /ui/logout`: ends the session (the caller has checked its CSRF token), clears the
    /// cookie, `303` to the login form.
    pub(crate) fn logout(&self, headers: &HeaderMap) -> Response<GatewayBody> {
        if let Some(token) = cookie(headers, COOKIE_NAME) {
            self.lock().remove(token);
        }
        let mut response = see_other("/ui/login");
        response.headers_mut().insert(
            SET_COOKIE,
            HeaderValue::from_static("faas_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        );
        response
    }

    /// `GET /ui/session`: `{"csrf": token}` for a cookie session, `{"csrf": null}` otherwise
    /// (basic auth needs no token).
    pub(crate) fn info(&self, headers: &HeaderMap) -> Response<GatewayBody> {
        let csrf = self.csrf_of(headers);
        let mut response = json(StatusCode::OK, &serde_json::json!({ "csrf": csrf }));
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        response
    }
}

fn see_other(location: &'static str) -> Response<GatewayBody> {
    let mut response = empty(StatusCode::SEE_OTHER);
    response
        .headers_mut()
        .insert(LOCATION, HeaderValue::from_static(location));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_str(&format!("a=b; {COOKIE_NAME}={token}")).unwrap(),
        );
        h.insert(HOST, HeaderValue::from_static("gw:8080"));
        h
    }

    #[test]
    fn a_session_admits_reads_and_csrf_checked_writes() {
        let sessions = Sessions::default();
        assert!(!sessions.admits(&Method::GET, &HeaderMap::new()).unwrap());
        let token = sessions.create();
        let mut h = with_cookie(&token);
        assert!(sessions.admits(&Method::GET, &h).unwrap());
        assert!(sessions.admits(&Method::POST, &h).is_err());
        let csrf = sessions.csrf_of(&h).unwrap();
        h.insert(CSRF_HEADER, HeaderValue::from_str(&csrf).unwrap());
        assert!(sessions.admits(&Method::POST, &h).unwrap());
        h.insert(ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(sessions.admits(&Method::DELETE, &h).is_err());
        h.insert(ORIGIN, HeaderValue::from_static("http://gw:8080"));
        assert!(sessions.admits(&Method::DELETE, &h).unwrap());
        assert!(!sessions
            .admits(&Method::GET, &with_cookie("forged"))
            .unwrap());
        sessions.logout(&h);
        assert!(!sessions.admits(&Method::GET, &h).unwrap());
    }

    #[test]
    fn only_cross_site_writes_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static("gw:8080"));
        assert!(!cross_site_write(&Method::POST, &h));
        h.insert(ORIGIN, HeaderValue::from_static("http://gw:8080"));
        assert!(!cross_site_write(&Method::POST, &h));
        h.insert(ORIGIN, HeaderValue::from_static("null"));
        assert!(cross_site_write(&Method::POST, &h));
        h.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(cross_site_write(&Method::DELETE, &h));
        assert!(!cross_site_write(&Method::GET, &h));
    }

    #[test]
    fn login_sets_a_strict_http_only_cookie() {
        let sessions = Sessions::default();
        let r = sessions.login(false, &HeaderMap::new());
        assert_eq!(
            (r.status(), &r.headers()[LOCATION]),
            (
                StatusCode::SEE_OTHER,
                &HeaderValue::from_static("/ui/login?failed")
            )
        );
        assert!(!r.headers().contains_key(SET_COOKIE));
        let r = sessions.login(true, &HeaderMap::new());
        assert_eq!(r.headers()[LOCATION], "/ui/");
        let cookie = r.headers()[SET_COOKIE].to_str().unwrap();
        assert!(
            cookie.starts_with("faas_session=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let mut cross = HeaderMap::new();
        cross.insert(HOST, HeaderValue::from_static("gw:8080"));
        cross.insert(ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert_eq!(sessions.login(true, &cross).status(), 403);
    }

    #[test]
    fn old_sessions_make_room() {
        let sessions = Sessions::default();
        let first = sessions.create();
        for _ in 0..MAX_SESSIONS {
            sessions.create();
        }
        assert_eq!(sessions.lock().len(), MAX_SESSIONS);
        assert!(sessions.csrf_of(&with_cookie(&first)).is_none());
    }
}

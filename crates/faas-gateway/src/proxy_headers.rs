//! The header rules of a proxied invocation (docs/api.md §10.2, §10.3): pure functions over a
//! `HeaderMap`, shared by the synchronous proxy and the async hand-off.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{
    HeaderName, HeaderValue, CONNECTION, HOST, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, TE,
    TRAILER, TRANSFER_ENCODING, UPGRADE,
};
use http::HeaderMap;

/// `X-Call-Id`: the invocation's id, kept from the client or generated.
pub(crate) const X_CALL_ID: HeaderName = HeaderName::from_static("x-call-id");
/// `X-Start-Time`: when the gateway received the call, Unix nanoseconds.
pub(crate) const X_START_TIME: HeaderName = HeaderName::from_static("x-start-time");
/// `X-Forwarded-For`: the chain of client addresses.
pub(crate) const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Host`: the `Host` the client used.
pub(crate) const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Served-By`: the gateway's product and version.
pub(crate) const X_SERVED_BY: HeaderName = HeaderName::from_static("x-served-by");
/// `X-Callback-Url`: where the async worker posts the result.
pub(crate) const X_CALLBACK_URL: HeaderName = HeaderName::from_static("x-callback-url");

const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

/// Headers that describe one connection and are never forwarded.
const HOP_BY_HOP: [HeaderName; 9] = [
    CONNECTION,
    PROXY_CONNECTION,
    KEEP_ALIVE,
    PROXY_AUTHENTICATE,
    PROXY_AUTHORIZATION,
    TE,
    TRAILER,
    TRANSFER_ENCODING,
    UPGRADE,
];

/// Removes the hop-by-hop headers, including those the `Connection` header names.
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(CONNECTION) {
        let named: Vec<HeaderName> = headers
            .get_all(CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
            .collect();
        for name in named {
            headers.remove(name);
        }
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Appends `peer` to `X-Forwarded-For`, joining any values the client sent into one chain.
pub(crate) fn append_forwarded_for(headers: &mut HeaderMap, peer: IpAddr) {
    let mut chain = String::new();
    for value in headers.get_all(&X_FORWARDED_FOR) {
        if let Ok(v) = value.to_str() {
            let v = v.trim();
            if !v.is_empty() {
                chain.push_str(v);
                chain.push_str(", ");
            }
        }
    }
    use std::fmt::Write as _;
    let _ = write!(chain, "{peer}");
    if let Ok(value) = HeaderValue::try_from(chain) {
        headers.insert(X_FORWARDED_FOR, value);
    }
}

/// Rewrites a client's request headers for the replica: hop-by-hop removed, `X-Forwarded-Host`
/// set from `Host` (or `authority`, for HTTP/2) when absent, the peer appended to
/// `X-Forwarded-For`, and `Host` dropped so the client sets the replica's. `Authorization` and
/// everything else pass untouched.
pub(crate) fn prepare_upstream_request(
    headers: &mut HeaderMap,
    authority: Option<&http::uri::Authority>,
    peer: Option<IpAddr>,
) {
    remove_hop_by_hop(headers);
    if !headers.contains_key(&X_FORWARDED_HOST) {
        let host = headers
            .get(HOST)
            .cloned()
            .or_else(|| authority.and_then(|a| HeaderValue::from_str(a.as_str()).ok()));
        if let Some(host) = host {
            headers.insert(X_FORWARDED_HOST, host);
        }
    }
    if let Some(peer) = peer {
        append_forwarded_for(headers, peer);
    }
    headers.remove(HOST);
}

/// The client's `X-Call-Id`, or a new UUIDv4.
pub(crate) fn call_id(headers: &HeaderMap) -> HeaderValue {
    match headers.get(&X_CALL_ID) {
        Some(id) if !id.is_empty() => id.clone(),
        _ => {
            let mut buf = uuid::Uuid::encode_buffer();
            let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
            HeaderValue::from_str(id).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
        }
    }
}

/// Now, in Unix nanoseconds.
pub(crate) fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn hop_by_hop_and_connection_named_headers_go() {
        let mut h = map(&[
            ("connection", "keep-alive, X-Secret-Hop"),
            ("x-secret-hop", "1"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("upgrade", "h2c"),
            ("proxy-authorization", "Basic x"),
            ("authorization", "Bearer t"),
            ("content-length", "5"),
        ]);
        remove_hop_by_hop(&mut h);
        let mut left: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        left.sort_unstable();
        assert_eq!(left, ["authorization", "content-length"]);
    }

    #[test]
    fn forwarded_for_is_appended_without_port() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let mut h = map(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "2.2.2.2"),
        ]);
        append_forwarded_for(&mut h, peer);
        assert_eq!(h[&X_FORWARDED_FOR], "1.1.1.1, 2.2.2.2, 10.0.0.9");
        let mut h = HeaderMap::new();
        append_forwarded_for(&mut h, "::1".parse().unwrap());
        assert_eq!(h[&X_FORWARDED_FOR], "::1");
    }

    #[test]
    fn upstream_request_keeps_forwarded_host_and_drops_host() {
        let peer = Some("127.0.0.1".parse().unwrap());
        let mut h = map(&[("host", "gw:8080"), ("authorization", "Basic x")]);
        prepare_upstream_request(&mut h, None, peer);
        assert_eq!(h[&X_FORWARDED_HOST], "gw:8080");
        assert!(!h.contains_key(HOST));
        assert_eq!(h["authorization"], "Basic x");
        let mut h = map(&[("host", "gw:8080"), ("x-forwarded-host", "orig")]);
        prepare_upstream_request(&mut h, None, None);
        assert_eq!(h[&X_FORWARDED_HOST], "orig");
        assert!(!h.contains_key(&X_FORWARDED_FOR));
    }

    #[test]
    fn call_id_kept_or_generated() {
        let h = map(&[("x-call-id", "abc")]);
        assert_eq!(call_id(&h), "abc");
        let id = call_id(&HeaderMap::new());
        let id = uuid::Uuid::parse_str(id.to_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
    }
}

//! The `Http_*` environment a forked function process sees (docs/watchdog.md §4).
//!
//! Pure: built from the request head, so the rules are tested with plain asserts.

use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::request::Parts;

/// Which watchdog's variable set to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// Classic watchdog: adds `Http_ContentLength` and `Http_Host`.
    Classic,
    /// of-watchdog: no `Host` (Go keeps it out of the header map).
    OfWatchdog,
}

/// The `Http_*` variables for one request.
pub(crate) fn http_env(head: &Parts, flavour: Flavour) -> Vec<(String, String)> {
    let mut env = Vec::with_capacity(head.headers.keys_len() + 5);
    for name in head.headers.keys() {
        if name == HOST {
            continue;
        }
        let Some(value) = head.headers.get(name) else {
            continue;
        };
        env.push((
            format!("Http_{}", canonical_name(name.as_str())),
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        ));
    }
    env.push(("Http_Method".to_owned(), head.method.as_str().to_owned()));
    let path = head.uri.path();
    if !path.is_empty() {
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        env.push(("Http_Path".to_owned(), decoded.into_owned()));
    }
    if let Some(query) = head.uri.query().filter(|q| !q.is_empty()) {
        env.push(("Http_Query".to_owned(), query.to_owned()));
    }
    if flavour == Flavour::Classic {
        env.push(("Http_ContentLength".to_owned(), content_length(head)));
        let host = head
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| head.uri.authority().map(|a| a.as_str()));
        if let Some(host) = host {
            env.push(("Http_Host".to_owned(), host.to_owned()));
        }
    }
    env
}

/// A header name in Go's canonical form with `-` turned into `_`: `x-call-id` → `X_Call_Id`.
pub(crate) fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if c == '-' {
            out.push('_');
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Go's `Request.ContentLength`: the header's value, `-1` when chunked, else `0`.
fn content_length(head: &Parts) -> String {
    if let Some(len) = head
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
    {
        return len.to_owned();
    }
    if head.headers.contains_key(TRANSFER_ENCODING) {
        "-1".to_owned()
    } else {
        "0".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> Parts {
        http::Request::post("/sub/path%20x?q=1&r=2")
            .header("host", "127.0.0.1:8000")
            .header("content-type", "text/plain")
            .header("content-length", "2")
            .header("x-custom-header", "abc")
            .header("x-custom-header", "second")
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    fn get<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn of_watchdog_variables() {
        let env = http_env(&head(), Flavour::OfWatchdog);
        assert_eq!(get(&env, "Http_Method"), Some("POST"));
        assert_eq!(get(&env, "Http_Path"), Some("/sub/path x"));
        assert_eq!(get(&env, "Http_Query"), Some("q=1&r=2"));
        assert_eq!(get(&env, "Http_Content_Type"), Some("text/plain"));
        assert_eq!(get(&env, "Http_Content_Length"), Some("2"));
        assert_eq!(get(&env, "Http_X_Custom_Header"), Some("abc"));
        assert_eq!(get(&env, "Http_Host"), None);
        assert_eq!(get(&env, "Http_ContentLength"), None);
    }

    #[test]
    fn classic_adds_content_length_and_host() {
        let env = http_env(&head(), Flavour::Classic);
        assert_eq!(get(&env, "Http_ContentLength"), Some("2"));
        assert_eq!(get(&env, "Http_Host"), Some("127.0.0.1:8000"));
    }

    #[test]
    fn canonical_names() {
        assert_eq!(canonical_name("x-call-id"), "X_Call_Id");
        assert_eq!(canonical_name("USER-AGENT"), "User_Agent");
        assert_eq!(canonical_name("accept"), "Accept");
    }
}

//! Documents that may live on disk or on a web server: stack files given as URLs, the function
//! store and the template store. A source is a path, a `file://` URL or an `http(s)://` URL.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};

use crate::error::Error;
use crate::http_client::{HttpClient, RequestBody};

/// How long fetching a remote document may take.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether `source` is a URL (`http://`, `https://`, `file://`) rather than a path.
pub fn is_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("file://")
}

/// The local path of `source` when it is a path or a `file://` URL.
pub fn local_path(source: &str) -> Option<PathBuf> {
    if let Some(rest) = source.strip_prefix("file://") {
        let decoded = percent_encoding::percent_decode_str(rest).decode_utf8_lossy();
        return Some(PathBuf::from(decoded.into_owned()));
    }
    (!is_url(source)).then(|| PathBuf::from(source))
}

/// The text of `source`: a file read from disk, or the body of a `GET` that answered 200.
pub async fn fetch_text(source: &str) -> Result<String, Error> {
    if let Some(path) = local_path(source) {
        return std::fs::read_to_string(&path).map_err(|e| Error::io("read", path, e));
    }
    let request = Request::builder()
        .method(Method::GET)
        .uri(source)
        .header(http::header::USER_AGENT, crate::USER_AGENT)
        .body(RequestBody::new(Bytes::new()))
        .map_err(|e| Error::Url {
            url: source.to_owned(),
            message: e.to_string(),
        })?;
    let reply = HttpClient::new().send(request, FETCH_TIMEOUT).await?;
    if reply.status != StatusCode::OK {
        return Err(Error::Status {
            status: reply.status,
            body: reply.text(),
        });
    }
    String::from_utf8(reply.body.to_vec()).map_err(|_| Error::Url {
        url: source.to_owned(),
        message: "the document is not UTF-8 text".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_told_apart() {
        assert!(is_url("http://127.0.0.1/x.json"));
        assert!(is_url("FILE:///tmp/x"));
        assert!(!is_url("./functions.json"));
        assert_eq!(
            local_path("file:///tmp/a%20b.json"),
            Some(PathBuf::from("/tmp/a b.json"))
        );
        assert_eq!(local_path("store.json"), Some(PathBuf::from("store.json")));
        assert_eq!(local_path("http://x/y"), None);
    }
}

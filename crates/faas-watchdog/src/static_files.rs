//! of-watchdog `static` mode (docs/watchdog.md §3.5): a file server over `static_path`.
//!
//! GET and HEAD only. A path is percent-decoded and must not climb out of the root (`..`
//! segments are refused); a directory serves its `index.html`, and a directory asked for without
//! a trailing slash is redirected to it so relative links resolve. Files are streamed.

use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use futures_util::TryStreamExt;
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, StreamBody};
use tokio_util::io::ReaderStream;

use crate::body::{self, ResponseBody};
use crate::error::Error;
use crate::response;

/// Files up to this size are read whole, in place; larger ones are streamed.
const INLINE_READ_LIMIT: u64 = 128 * 1024;

/// Serves files under one directory.
#[derive(Debug)]
pub(crate) struct StaticFiles {
    root: PathBuf,
}

impl StaticFiles {
    /// A file server over `root`.
    pub(crate) fn new(root: PathBuf) -> Self {
        StaticFiles { root }
    }

    /// Answers one request.
    pub(crate) async fn serve<B>(
        &self,
        request: Request<B>,
    ) -> Result<Response<ResponseBody>, Error> {
        let head_only = match *request.method() {
            Method::GET => false,
            Method::HEAD => true,
            _ => return Ok(response::method_not_allowed()),
        };
        let raw_path = request.uri().path();
        let Some(relative) = relative_path(raw_path) else {
            return Ok(not_found());
        };
        let mut path = self.root.join(&relative);
        // Metadata of a local file is a page-cache lookup: done inline, not on the blocking pool.
        let Ok(mut metadata) = std::fs::metadata(&path) else {
            return Ok(not_found());
        };
        if metadata.is_dir() {
            if !raw_path.ends_with('/') {
                let mut response = response::empty(StatusCode::MOVED_PERMANENTLY);
                let location = format!("{raw_path}/");
                if let Ok(location) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(LOCATION, location);
                }
                return Ok(response);
            }
            path.push("index.html");
            metadata = match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => m,
                _ => return Ok(not_found()),
            };
        }
        let body = if head_only {
            body::empty()
        } else if metadata.len() <= INLINE_READ_LIMIT {
            // Small files are read in one call; larger ones are streamed from the blocking pool.
            match std::fs::read(&path) {
                Ok(bytes) => body::full(bytes),
                Err(_) => return Ok(not_found()),
            }
        } else {
            let Ok(file) = tokio::fs::File::open(&path).await else {
                return Ok(not_found());
            };
            let frames = ReaderStream::with_capacity(file, 64 * 1024)
                .map_ok(http_body::Frame::data)
                .map_err(Error::StaticFile);
            StreamBody::new(frames).boxed_unsync()
        };
        let mut response = Response::new(body);
        let headers = response.headers_mut();
        headers.insert(CONTENT_LENGTH, metadata.len().into());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
        Ok(response)
    }
}

fn not_found() -> Response<ResponseBody> {
    response::text(
        StatusCode::NOT_FOUND,
        Bytes::from_static(b"404 page not found\n"),
    )
}

/// The request path as a path relative to the root, or `None` if it tries to leave it.
fn relative_path(raw: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    if decoded.contains('\0') {
        return None;
    }
    let mut relative = PathBuf::new();
    for component in Path::new(decoded.as_ref()).components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    Some(relative)
}

/// Content-Type by file extension, for the files a web function usually ships.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        Some("xml") => "text/xml; charset=utf-8",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_root() {
        assert_eq!(relative_path("/a/b.txt"), Some(PathBuf::from("a/b.txt")));
        assert_eq!(relative_path("/"), Some(PathBuf::new()));
        assert_eq!(relative_path("/a/%20b"), Some(PathBuf::from("a/ b")));
        assert_eq!(relative_path("/../etc/passwd"), None);
        assert_eq!(relative_path("/a/%2e%2e/%2e%2e/x"), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(
            content_type(Path::new("i.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("x")), "application/octet-stream");
    }
}

//! A small HTTP client over hyper-util's pooled legacy client: plain HTTP, or HTTPS with the
//! system's root certificates (built only when an `https` URL is used), with per-call timeouts.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::error::Error;

/// The body of every request we send.
pub type RequestBody = Full<Bytes>;

/// How long to wait for a connection before giving up, whatever the call's own timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A complete response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Reply {
    /// The body as text, trimmed (for messages).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).trim().to_owned()
    }
}

type TlsClient = Client<HttpsConnector<HttpConnector>, RequestBody>;

/// Sends requests; cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    plain: Client<HttpConnector, RequestBody>,
    tls: std::sync::Arc<OnceLock<Result<TlsClient, String>>>,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// A client with no connection open yet.
    pub fn new() -> Self {
        Self {
            plain: Client::builder(TokioExecutor::new()).build(connector()),
            tls: std::sync::Arc::default(),
        }
    }

    fn tls_client(&self) -> Result<&TlsClient, Error> {
        let built = self.tls.get_or_init(|| {
            let tls = HttpsConnectorBuilder::new()
                .with_native_roots()
                .map_err(|e| format!("no usable root certificates for HTTPS: {e}"))?
                .https_or_http()
                .enable_http1()
                .wrap_connector(connector());
            Ok(Client::builder(TokioExecutor::new()).build(tls))
        });
        built.as_ref().map_err(|message| Error::Http {
            url: "https://".to_owned(),
            source: message.clone().into(),
        })
    }

    /// Sends `request` and returns the response head with the body unread. Only connecting and
    /// the response head are bounded (by `timeout`).
    pub async fn open(
        &self,
        request: Request<RequestBody>,
        timeout: Duration,
    ) -> Result<Response<Incoming>, Error> {
        let url = request.uri().to_string();
        tracing::debug!(method = %request.method(), %url, "request");
        let sending = async {
            if request.uri().scheme_str() == Some("https") {
                self.tls_client()?.request(request).await
            } else {
                self.plain.request(request).await
            }
            .map_err(|e| classify(&url, e))
        };
        match tokio::time::timeout(timeout, sending).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                url,
                after: timeout,
            }),
        }
    }

    /// Sends `request` and reads the whole response within `timeout`.
    pub async fn send(
        &self,
        request: Request<RequestBody>,
        timeout: Duration,
    ) -> Result<Reply, Error> {
        let url = request.uri().to_string();
        let exchange = async {
            let response = self.open(request, timeout).await?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| Error::Http {
                    url: url.clone(),
                    source: Box::new(e),
                })?
                .to_bytes();
            tracing::debug!(status = %parts.status, bytes = body.len(), "response");
            Ok(Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                url,
                after: timeout,
            }),
        }
    }
}

fn connector() -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    http
}

/// Connection failures become [`Error::Connect`] with the innermost I/O error (e.g. "Connection
/// refused"); anything else [`Error::Http`].
fn classify(url: &str, err: hyper_util::client::legacy::Error) -> Error {
    if err.is_connect() {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&err);
        let mut innermost = None;
        while let Some(c) = cause {
            if let Some(io) = c.downcast_ref::<std::io::Error>() {
                innermost = Some(std::io::Error::new(io.kind(), io.to_string()));
            }
            cause = c.source();
        }
        let source = innermost.unwrap_or_else(|| std::io::Error::other(err.to_string()));
        return Error::Connect {
            url: url.to_owned(),
            source,
        };
    }
    Error::Http {
        url: url.to_owned(),
        source: Box::new(err),
    }
}

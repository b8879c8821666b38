//! The worker's pooled HTTP client (hyper-util, HTTP/1.1, `http` and `https` with the system's
//! roots) and the one way it sends a request: with a deadline, reading the whole answer.

use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::error::Error;
use crate::request::FunctionResponse;

/// A pooled client shared by all of a worker's tasks.
#[derive(Clone, Debug)]
pub(crate) struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpClient {
    /// A client keeping up to `idle_per_host` idle connections per host. Fails when the system
    /// has no CA certificates (needed for `https` callback URLs).
    pub(crate) fn new(idle_per_host: usize) -> Result<Self, Error> {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        let connector = HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| Error::HttpClient(e.into()))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(idle_per_host)
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Ok(Self { inner })
    }

    /// Sends `request` and reads the answer, all within `deadline`. The error text says what
    /// failed (connect, reset, deadline).
    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
        deadline: Duration,
    ) -> Result<FunctionResponse, String> {
        let exchange = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|e| crate::error_chain(&e))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| format!("reading the response body: {}", crate::error_chain(&e)))?
                .to_bytes();
            Ok(FunctionResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(deadline, exchange).await {
            Ok(result) => result,
            Err(_) => Err(format!("no complete answer within {deadline:?}")),
        }
    }
}

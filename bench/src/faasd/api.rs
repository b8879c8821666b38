//! A small client of the faasd gateway: the system API calls the benchmark needs (deploy,
//! delete, scale, status) with basic auth, and invocations of `/function/NAME.NAMESPACE`.
//! Every call is bounded by a timeout so a stuck server fails the run instead of hanging it.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;

/// How long one API call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The gateway at `addr`, functions in `namespace`.
#[derive(Clone)]
pub(crate) struct Gateway {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    authorization: String,
    namespace: String,
}

/// What `GET /system/function/NAME` says about replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Replicas {
    /// Desired replicas.
    pub(crate) desired: u64,
    /// Ready replicas.
    pub(crate) available: u64,
}

impl Gateway {
    /// A client of the gateway at `addr` with basic-auth credentials.
    pub(crate) fn new(addr: SocketAddr, user: &str, password: &str, namespace: &str) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Self {
            client,
            base: format!("http://{addr}"),
            authorization: format!("Basic {token}"),
            namespace: namespace.to_owned(),
        }
    }

    /// The functions' namespace.
    pub(crate) fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The invocation path of `name`.
    pub(crate) fn function_path(&self, name: &str) -> String {
        format!("/function/{name}.{}", self.namespace)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<(StatusCode, Bytes)> {
        let mut req = http::Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base))
            .header(http::header::AUTHORIZATION, &self.authorization);
        let body = match body {
            Some(v) => {
                req = req.header(http::header::CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(&v)?)
            }
            None => Bytes::new(),
        };
        let req = req.body(Full::new(body))?;
        let exchange = async {
            let resp = self.client.request(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        };
        tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .with_context(|| format!("{method} {path}: no answer within {CALL_TIMEOUT:?}"))?
            .with_context(|| format!("{method} {path}"))
    }

    async fn expect_success(
        &self,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<()> {
        let (status, body) = self.call(method.clone(), path, body).await?;
        anyhow::ensure!(
            status.is_success(),
            "{method} {path}: HTTP {status}: {}",
            String::from_utf8_lossy(&body).trim()
        );
        Ok(())
    }

    /// `POST /system/functions`: deploys `name` from `image` with one replica.
    pub(crate) async fn deploy(&self, name: &str, image: &str) -> anyhow::Result<()> {
        let body = json!({
            "service": name,
            "image": image,
            "namespace": self.namespace,
        });
        self.expect_success(Method::POST, "/system/functions", Some(body))
            .await
    }

    /// `DELETE /system/functions`.
    pub(crate) async fn delete(&self, name: &str) -> anyhow::Result<()> {
        let body = json!({ "functionName": name, "namespace": self.namespace });
        self.expect_success(Method::DELETE, "/system/functions", Some(body))
            .await
    }

    /// `POST /system/scale-function/NAME`.
    pub(crate) async fn scale(&self, name: &str, replicas: u64) -> anyhow::Result<()> {
        let body =
            json!({ "serviceName": name, "replicas": replicas, "namespace": self.namespace });
        let path = format!("/system/scale-function/{name}");
        self.expect_success(Method::POST, &path, Some(body)).await
    }

    /// `GET /system/function/NAME`: desired and ready replicas.
    pub(crate) async fn replicas(&self, name: &str) -> anyhow::Result<Replicas> {
        let path = format!("/system/function/{name}?namespace={}", self.namespace);
        let (status, body) = self.call(Method::GET, &path, None).await?;
        anyhow::ensure!(status.is_success(), "GET {path}: HTTP {status}");
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        let field = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
        Ok(Replicas {
            desired: field("replicas"),
            available: field("availableReplicas"),
        })
    }

    /// `GET /system/functions`: the names of the namespace's functions.
    pub(crate) async fn list(&self) -> anyhow::Result<Vec<String>> {
        let path = format!("/system/functions?namespace={}", self.namespace);
        let (status, body) = self.call(Method::GET, &path, None).await?;
        anyhow::ensure!(status.is_success(), "GET {path}: HTTP {status}");
        let v: Vec<serde_json::Value> = serde_json::from_slice(&body)?;
        Ok(v.iter()
            .filter_map(|f| f.get("name")?.as_str().map(str::to_owned))
            .collect())
    }

    /// `GET /function/NAME.NAMESPACE`: the status, or an error when the exchange failed.
    pub(crate) async fn invoke(&self, name: &str) -> anyhow::Result<StatusCode> {
        let path = self.function_path(name);
        Ok(self.call(Method::GET, &path, None).await?.0)
    }
}

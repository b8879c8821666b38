//! [`GatewayClient`]: the gateway's HTTP API over a plain hyper client, with the basic-auth
//! credentials faasd keeps in `<state>/secrets`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

/// A gateway response, body read in full.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Requests to one gateway. Cheap to clone; connections are pooled.
#[derive(Debug, Clone)]
pub struct GatewayClient {
    /// The gateway's address.
    pub addr: SocketAddr,
    authorization: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl GatewayClient {
    /// A client for `addr` with the credentials in `secrets_dir` (`basic-auth-user`,
    /// `basic-auth-password`; empty when missing).
    pub fn new(addr: SocketAddr, secrets_dir: &Path) -> Self {
        let read = |f: &str| {
            std::fs::read_to_string(secrets_dir.join(f))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            read("basic-auth-user"),
            read("basic-auth-password")
        ));
        Self {
            addr,
            authorization: format!("Basic {token}"),
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(5))
                .build_http(),
        }
    }

    /// One request with auth; `Err` when no response came back within 30 s.
    pub async fn try_request(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Response, String> {
        let json = [("content-type", "application/json")];
        let headers: &[(&str, &str)] = if body.is_some() { &json } else { &[] };
        self.try_request_with(method, path, headers, body).await
    }

    /// One request with auth and `headers`; `Err` when no response came back within 30 s.
    pub async fn try_request_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Response, String> {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header(http::header::AUTHORIZATION, &self.authorization);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| e.to_string())?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| format!("{e:?}"))?;
            let status = response.status().as_u16();
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok(Response {
                status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(Duration::from_secs(30), exchange)
            .await
            .map_err(|_| format!("{method} {path}: no answer within 30 s"))?
    }

    /// `GET path`, `Err` on transport failure.
    pub async fn try_get(&self, path: &str) -> Result<Response, String> {
        self.try_request("GET", path, None).await
    }

    /// One request with auth; panics on transport failure.
    pub async fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Response {
        let body = body.map(|b| serde_json::to_vec(b).expect("JSON"));
        self.try_request(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        self.request("GET", path, None).await
    }

    /// `POST /system/functions` with `deployment`; panics unless 2xx.
    pub async fn deploy(&self, deployment: &Value) -> Response {
        let r = self
            .request("POST", "/system/functions", Some(deployment))
            .await;
        assert!(
            (200..300).contains(&r.status),
            "deploy: {} {}",
            r.status,
            r.text()
        );
        r
    }

    /// `PUT /system/functions` with `deployment` (status not checked).
    pub async fn update(&self, deployment: &Value) -> Response {
        self.request("PUT", "/system/functions", Some(deployment))
            .await
    }

    /// `DELETE /system/functions` for `name` in `namespace`; panics unless 2xx.
    pub async fn delete(&self, name: &str, namespace: &str) {
        let body = json!({ "functionName": name, "namespace": namespace });
        let r = self
            .request("DELETE", "/system/functions", Some(&body))
            .await;
        assert!(
            (200..300).contains(&r.status),
            "delete: {} {}",
            r.status,
            r.text()
        );
    }

    /// `POST /system/scale-function/<name>`; panics unless 2xx.
    pub async fn scale(&self, name: &str, namespace: &str, replicas: u64) {
        let body = json!({ "serviceName": name, "namespace": namespace, "replicas": replicas });
        let r = self
            .request(
                "POST",
                &format!("/system/scale-function/{name}"),
                Some(&body),
            )
            .await;
        assert!(
            (200..300).contains(&r.status),
            "scale: {} {}",
            r.status,
            r.text()
        );
    }

    /// `POST /system/secrets`; panics unless 2xx.
    pub async fn create_secret(&self, name: &str, namespace: &str, value: &str) {
        let body = json!({ "name": name, "namespace": namespace, "value": value });
        let r = self.request("POST", "/system/secrets", Some(&body)).await;
        assert!(
            (200..300).contains(&r.status),
            "secret: {} {}",
            r.status,
            r.text()
        );
    }

    /// `GET /system/function/<name>?namespace=…` as JSON (`Null` unless 200).
    pub async fn describe(&self, name: &str, namespace: &str) -> Value {
        let r = self
            .get(&format!("/system/function/{name}?namespace={namespace}"))
            .await;
        if r.status == 200 {
            r.json()
        } else {
            Value::Null
        }
    }

    /// `GET /system/functions?namespace=…` as JSON.
    pub async fn list(&self, namespace: &str) -> Value {
        let r = self
            .get(&format!("/system/functions?namespace={namespace}"))
            .await;
        assert_eq!(r.status, 200, "list: {}", r.text());
        r.json()
    }

    /// `(replicas, availableReplicas)` of `name` per describe.
    pub async fn replicas(&self, name: &str, namespace: &str) -> (u64, u64) {
        let d = self.describe(name, namespace).await;
        (
            d["replicas"].as_u64().unwrap_or(0),
            d["availableReplicas"].as_u64().unwrap_or(0),
        )
    }

    /// Waits up to 60 s until `name` reports `n` available replicas; panics otherwise.
    pub async fn wait_available(&self, name: &str, namespace: &str, n: u64) {
        let reached = crate::poll(Duration::from_secs(60), || async move {
            (self.replicas(name, namespace).await.1 == n).then_some(())
        })
        .await;
        assert!(
            reached.is_some(),
            "{name}: {:?} (replicas, available), wanted {n} available",
            self.replicas(name, namespace).await
        );
    }

    /// `GET /function/<name>.<namespace><path>`; `Err` on transport failure.
    pub async fn try_invoke(
        &self,
        name: &str,
        namespace: &str,
        path: &str,
    ) -> Result<Response, String> {
        self.try_get(&format!("/function/{name}.{namespace}{path}"))
            .await
    }

    /// `GET /function/<name>.<namespace><path>`; panics on transport failure.
    pub async fn invoke(&self, name: &str, namespace: &str, path: &str) -> Response {
        self.try_invoke(name, namespace, path)
            .await
            .unwrap_or_else(|e| panic!("invoking {name}: {e}"))
    }

    /// Opens `GET <path>` and hands each body chunk to `on_chunk` until it returns `true`
    /// (then `Ok(())`), the body ends or `timeout` passes (`Err`).
    pub async fn stream(
        &self,
        path: &str,
        timeout: Duration,
        mut on_chunk: impl FnMut(&[u8]) -> bool,
    ) -> Result<(), String> {
        let request = http::Request::builder()
            .uri(format!("http://{}{path}", self.addr))
            .header(http::header::AUTHORIZATION, &self.authorization)
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        let read = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            if response.status() != 200 {
                return Err(format!("status {}", response.status()));
            }
            let mut body = response.into_body();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| e.to_string())?;
                if let Some(data) = frame.data_ref() {
                    if on_chunk(data) {
                        return Ok(());
                    }
                }
            }
            Err("the stream ended".to_owned())
        };
        tokio::time::timeout(timeout, read)
            .await
            .map_err(|_| format!("{path}: timed out"))?
    }
}

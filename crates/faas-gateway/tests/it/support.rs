//! A gateway on a fresh port per test, an HTTP client, and upstream replicas to proxy to.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use faas_core::fake::FakeProvider;
use faas_core::{FunctionDeployment, FunctionRef, Provider as _};
use faas_gateway::{BasicAuth, GatewayConfig};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt as _, Empty, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// `Authorization` for admin:secret, the credentials every test gateway wants.
pub(crate) const BASIC: &str = "Basic YWRtaW46c2VjcmV0";

/// A request body the test client sends.
pub(crate) type ClientBody = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// A running gateway.
pub(crate) struct TestGateway {
    pub(crate) addr: SocketAddr,
    pub(crate) provider: Arc<FakeProvider>,
    client: Client<HttpConnector, ClientBody>,
    stop: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
}

/// The configuration tests start from: auth on, short waits.
pub(crate) fn config() -> GatewayConfig {
    GatewayConfig {
        auth: Some(BasicAuth::new("admin", "secret")),
        ..Default::default()
    }
}

/// A gateway over a fresh `FakeProvider`, with [`config`].
pub(crate) async fn start() -> TestGateway {
    start_with(config()).await
}

/// A gateway over a fresh `FakeProvider` with this configuration.
pub(crate) async fn start_with(config: GatewayConfig) -> TestGateway {
    let provider = Arc::new(FakeProvider::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = faas_gateway::serve(listener, provider.clone(), config, async {
        let _ = stopped.await;
    });
    let server = tokio::spawn(async move { serving.await.unwrap() });
    TestGateway {
        addr,
        provider,
        client: client(),
        stop: Some(stop),
        server,
    }
}

/// A pooled HTTP/1 client.
pub(crate) fn client() -> Client<HttpConnector, ClientBody> {
    Client::builder(TokioExecutor::new()).build(HttpConnector::new())
}

/// A complete response, body read.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body {:?} is not JSON: {e}", self.body))
    }

    /// A header as text ("" when absent).
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }
}

/// A whole body of these bytes.
pub(crate) fn full(body: impl Into<Bytes>) -> ClientBody {
    Full::new(body.into()).map_err(|e| match e {}).boxed()
}

/// No body.
pub(crate) fn no_body() -> ClientBody {
    Empty::new().map_err(|e| match e {}).boxed()
}

impl TestGateway {
    /// Signals the gateway's shutdown future.
    pub(crate) fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Whether `serve` has returned.
    pub(crate) fn stopped(&self) -> bool {
        self.server.is_finished()
    }
    /// `http://ADDR{path}`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request and reads the whole answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: ClientBody,
    ) -> Answer {
        let response = self.request(method, path, headers, body).await;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// Sends a request and returns the response head with its body unread.
    pub(crate) async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: ClientBody,
    ) -> Response<Incoming> {
        let mut request = Request::builder().method(method).uri(self.url(path));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        self.client
            .request(request.body(body).unwrap())
            .await
            .unwrap()
    }

    /// An authenticated request with a JSON (or any text) body.
    pub(crate) async fn admin(&self, method: Method, path: &str, body: &str) -> Answer {
        let body = if body.is_empty() {
            no_body()
        } else {
            full(body.to_owned())
        };
        self.send(method, path, &[("authorization", BASIC)], body)
            .await
    }

    /// Deploys `name` in `openfaas-fn` with these env vars and labels, straight on the provider.
    pub(crate) async fn deploy(&self, name: &str, env: &[(&str, &str)], labels: &[(&str, &str)]) {
        let deployment = FunctionDeployment {
            service: name.to_owned(),
            image: format!("example/{name}:latest"),
            env_vars: pairs(env),
            labels: pairs(labels),
            ..Default::default()
        };
        self.provider.deploy(deployment).await.unwrap();
    }

    /// Deploys `name` with a 1 s timeout, its one replica at `upstream`.
    pub(crate) async fn deploy_at(&self, name: &str, upstream: SocketAddr) {
        self.deploy(name, &[("exec_timeout", "1s")], &[]).await;
        self.provider
            .set_backend(&FunctionRef::new(name, None), vec![upstream]);
    }
}

fn pairs(p: &[(&str, &str)]) -> BTreeMap<String, String> {
    p.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// An upstream replica on 127.0.0.1 answering with `handler`.
pub(crate) async fn upstream<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<ClientBody>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |r| {
                    let fut = handler(r);
                    async move { Ok::<_, Infallible>(fut.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// An address nothing listens on.
pub(crate) async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A response with this status and body.
pub(crate) fn reply(status: u16, body: &str) -> Response<ClientBody> {
    Response::builder()
        .status(status)
        .body(full(body.to_owned()))
        .unwrap()
}

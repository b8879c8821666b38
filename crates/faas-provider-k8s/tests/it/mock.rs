//! A mock API server: the provider's `kube::Client` sends into a `tower_test` handle; each test
//! takes the requests in order, asserts on them and answers. Every request is also checked
//! against the provider's RBAC table, so a call the manifests do not grant fails a test.

use std::sync::Arc;

use faas_provider_k8s::rbac::{
    is_granted, required_access, CLUSTER_ACCESS, FUNCTION_NAMESPACE_ACCESS,
};
use faas_provider_k8s::{K8sProvider, ProviderConfig, Watchers};
use http::{Request, Response, StatusCode};
use kube::client::Body;
use kube::Client;
use serde_json::{json, Value};
use tower_test::mock::{Handle, SendResponse};

/// The mock API server's side of the client.
pub(crate) struct ApiServer {
    handle: Handle<Request<Body>, Response<Body>>,
}

/// A provider talking to a fresh mock API server, and its (unspawned) watchers.
pub(crate) fn provider(config: ProviderConfig) -> (Arc<K8sProvider>, ApiServer, Watchers) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let client = Client::new(service, "default");
    let (provider, watchers) = K8sProvider::new(client, config);
    (Arc::new(provider), ApiServer { handle }, watchers)
}

/// One request the provider sent.
pub(crate) struct Call {
    /// `GET`, `POST`, …
    pub(crate) method: String,
    /// The path without the query.
    pub(crate) path: String,
    /// The query string.
    pub(crate) query: String,
    /// The JSON body, if any.
    pub(crate) body: Option<Value>,
    respond: SendResponse<Response<Body>>,
}

impl ApiServer {
    /// The next request, after checking that RBAC grants it.
    pub(crate) async fn next(&mut self) -> Call {
        let (request, respond) = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            self.handle.next_request(),
        )
        .await
        .expect("the provider sent no further request")
        .expect("the client went away");
        let method = request.method().to_string();
        let path = request.uri().path().to_owned();
        let query = request.uri().query().unwrap_or_default().to_owned();
        let bytes = request.into_body().collect_bytes().await.unwrap();
        let body = (!bytes.is_empty()).then(|| serde_json::from_slice(&bytes).unwrap());
        if let Some((group, resource, verb)) = required_access(&method, &path, &query) {
            let granted = is_granted(FUNCTION_NAMESPACE_ACCESS, &group, &resource, &verb)
                || is_granted(CLUSTER_ACCESS, &group, &resource, &verb);
            assert!(granted, "{method} {path}?{query} needs {verb} on {group}/{resource}, which the RBAC table does not grant");
        }
        Call {
            method,
            path,
            query,
            body,
            respond,
        }
    }

    /// The next request, asserting its method and path.
    pub(crate) async fn expect(&mut self, method: &str, path: &str) -> Call {
        let call = self.next().await;
        assert_eq!(
            (call.method.as_str(), call.path.as_str()),
            (method, path),
            "query: {}",
            call.query
        );
        call
    }
}

impl Call {
    /// Answers with `status` and a JSON body.
    pub(crate) fn reply(self, status: u16, body: &Value) {
        let response = Response::builder()
            .status(StatusCode::from_u16(status).unwrap())
            .header("content-type", "application/json")
            .body(Body::from(serde_json::to_vec(body).unwrap()))
            .unwrap();
        self.respond.send_response(response);
    }

    /// Answers with a plain text body.
    pub(crate) fn reply_text(self, text: &str) {
        let response = Response::builder()
            .status(200)
            .body(Body::from(text.as_bytes().to_vec()))
            .unwrap();
        self.respond.send_response(response);
    }

    /// Answers 200 with the request's own body (what create and replace return).
    pub(crate) fn echo(self) {
        let body = self.body.clone().unwrap_or(Value::Null);
        self.reply(200, &body);
    }

    /// Answers with a Kubernetes failure Status.
    pub(crate) fn fail(self, code: u16, reason: &str) {
        let body = status(code, reason);
        self.reply(code, &body);
    }
}

/// A Kubernetes failure Status object.
pub(crate) fn status(code: u16, reason: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": format!("mock says {reason}"),
        "reason": reason,
        "code": code
    })
}

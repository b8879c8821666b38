//! The example downstream provider (`examples/process_provider`), served by the gateway: proof
//! that a backend outside the workspace needs only `faas-core` and `faas-gateway`. Each replica
//! is a real local process (`examples/functions/echo_server.py` at the repository root).

#[path = "../../examples/process_provider/provider.rs"]
mod provider;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use tokio::net::TcpListener;

use crate::support::{client, full, no_body, BASIC};

struct Running {
    base: String,
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        crate::support::ClientBody,
    >,
}

impl Running {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: &str,
        auth: bool,
    ) -> (StatusCode, String, String) {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if auth {
            req = req.header("authorization", BASIC);
        }
        let body = if body.is_empty() {
            no_body()
        } else {
            full(body.to_owned())
        };
        let resp = self.client.request(req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let pid = resp
            .headers()
            .get("x-replica-pid")
            .map_or(String::new(), |v| v.to_str().unwrap().to_owned());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned(), pid)
    }

    async fn available(&self) -> u64 {
        let (status, body, _) = self
            .call(Method::GET, "/system/function/echo", "", true)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["availableReplicas"].as_u64().unwrap()
    }

    async fn wait_available(&self, n: u64) {
        for _ in 0..500 {
            if self.available().await == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("echo never had {n} available replicas");
    }
}

fn echo_server_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/functions/echo_server.py")
        .canonicalize()
        .expect("examples/functions/echo_server.py exists")
}

#[tokio::test]
#[allow(clippy::print_stderr)] // the skip line a test prints when python3 is missing
async fn process_provider_serves_deploy_invoke_scale_delete() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("FAAS_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "python3 is required for the example provider test"
        );
        eprintln!("skipped: python3 not found (the example function is a python script)");
        return;
    }
    let secrets = tempfile::tempdir().unwrap();
    let provider = Arc::new(provider::ProcessProvider::new(secrets.path().to_owned()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(faas_gateway::serve(
        listener,
        provider,
        crate::support::config(),
        async {
            let _ = stopped.await;
        },
    ));
    let gw = Running {
        base,
        client: client(),
    };

    let deploy = serde_json::json!({
        "service": "echo",
        "image": "local/echo:latest",
        "envProcess": format!("python3 {}", echo_server_script().display()),
        "labels": {},
        "annotations": {}
    });
    let (status, body, _) = gw
        .call(Method::POST, "/system/functions", &deploy.to_string(), true)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    // The first call waits for the replica to listen instead of failing.
    let (status, body, _) = gw
        .call(Method::POST, "/function/echo", "it's john here", false)
        .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "Hello! You said: it's john here")
    );

    // Three replicas, requests spread over all of them.
    let (status, body, _) = gw
        .call(
            Method::POST,
            "/system/scale-function/echo",
            r#"{"replicas":3}"#,
            true,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    gw.wait_available(3).await;
    let mut pids = BTreeSet::new();
    for _ in 0..9 {
        let (status, _, pid) = gw
            .call(Method::POST, "/function/echo.openfaas-fn", "x", false)
            .await;
        assert_eq!(status, StatusCode::OK);
        pids.insert(pid);
    }
    assert_eq!(pids.len(), 3, "requests went to {pids:?}");

    // Zero replicas, then a call scales it back up and is served.
    gw.call(
        Method::POST,
        "/system/scale-function/echo",
        r#"{"replicas":0}"#,
        true,
    )
    .await;
    gw.wait_available(0).await;
    let (status, body, _) = gw
        .call(Method::POST, "/function/echo", "again", false)
        .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "Hello! You said: again")
    );

    // Delete: the function is gone for callers too.
    let (status, body, _) = gw
        .call(
            Method::DELETE,
            "/system/functions",
            r#"{"functionName":"echo"}"#,
            true,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body, _) = gw.call(Method::POST, "/function/echo", "x", false).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, "function echo.openfaas-fn not found\n");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

//! `/async-function/…` (docs/api.md §11.1) with a recording queue.

use std::sync::{Arc, Mutex};

use faas_core::{BoxFuture, InvocationQueue, ProviderError, QueuedInvocation};
use http::Method;

use crate::support::{config, full, no_body, start, start_with, TestGateway};

/// A queue that keeps what it is given, or fails when told to.
#[derive(Default)]
struct RecordingQueue {
    queued: Mutex<Vec<QueuedInvocation>>,
    unavailable: bool,
}

impl InvocationQueue for RecordingQueue {
    fn enqueue(&self, invocation: QueuedInvocation) -> BoxFuture<'_, Result<(), ProviderError>> {
        let result = if self.unavailable {
            Err(ProviderError::Unavailable {
                message: "queue is down".into(),
                source: None,
            })
        } else {
            self.queued.lock().unwrap().push(invocation);
            Ok(())
        };
        Box::pin(std::future::ready(result))
    }
}

async fn gateway_with(queue: Arc<RecordingQueue>, limit: usize) -> TestGateway {
    let gw = start_with(faas_gateway::GatewayConfig {
        queue: Some(queue),
        async_body_limit: limit,
        ..config()
    })
    .await;
    gw.deploy("echo", &[], &[]).await;
    gw
}

#[tokio::test]
async fn accepted_call_is_queued_with_everything_to_replay_it() {
    let queue = Arc::new(RecordingQueue::default());
    let gw = gateway_with(queue.clone(), 1024).await;
    let a = gw
        .send(
            Method::POST,
            "/async-function/echo.openfaas-fn/sub/path?q=1",
            &[
                ("x-callback-url", "http://127.0.0.1:9999/cb?x=1"),
                ("content-type", "text/plain"),
                ("connection", "keep-alive"),
                ("authorization", "Bearer t"),
            ],
            full("hello world"),
        )
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (202, ""));
    let call_id = a.header("x-call-id").to_owned();
    uuid::Uuid::parse_str(&call_id).unwrap();
    let start: u64 = a.header("x-start-time").parse().unwrap();

    let queued = queue.queued.lock().unwrap().pop().unwrap();
    assert_eq!(queued.function, faas_core::FunctionRef::new("echo", None));
    assert_eq!(queued.segment, "echo.openfaas-fn");
    assert_eq!(queued.method, "POST");
    assert_eq!(queued.path, "/sub/path");
    assert_eq!(queued.query, "q=1");
    assert_eq!(queued.body, b"hello world");
    assert_eq!(queued.call_id, call_id);
    assert_eq!(queued.start_time_ns, start);
    assert_eq!(
        queued.callback_url.as_deref(),
        Some("http://127.0.0.1:9999/cb?x=1")
    );
    let header = |name: &str| {
        queued
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
    };
    assert_eq!(
        header("x-callback-url").as_deref(),
        Some("http://127.0.0.1:9999/cb?x=1")
    );
    assert_eq!(header("x-call-id"), Some(call_id));
    assert_eq!(header("x-start-time"), Some(start.to_string()));
    assert_eq!(header("authorization").as_deref(), Some("Bearer t"));
    assert_eq!(header("content-type").as_deref(), Some("text/plain"));
    assert_eq!(header("connection"), None);
}

#[tokio::test]
async fn refusals() {
    let queue = Arc::new(RecordingQueue::default());
    let gw = gateway_with(queue.clone(), 16).await;
    let a = gw
        .send(Method::GET, "/async-function/echo", &[], no_body())
        .await;
    assert_eq!(a.status, 405);
    let a = gw
        .send(Method::PUT, "/async-function/echo", &[], no_body())
        .await;
    assert_eq!(a.status, 405);
    let a = gw
        .send(Method::POST, "/async-function/nope", &[], full("x"))
        .await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (404, "function nope.openfaas-fn not found\n")
    );
    let a = gw
        .send(
            Method::POST,
            "/async-function/echo",
            &[("x-callback-url", "http://[bad")],
            full("x"),
        )
        .await;
    assert_eq!(a.status, 400);
    assert!(
        a.body.starts_with("invalid X-Callback-Url \"http://[bad\""),
        "{}",
        a.body
    );
    let a = gw
        .send(
            Method::POST,
            "/async-function/echo",
            &[],
            full("seventeen bytes!!"),
        )
        .await;
    assert_eq!(a.status, 413);
    assert_eq!(a.body, "request body is larger than 16 bytes\n");
    assert!(queue.queued.lock().unwrap().is_empty());
}

#[tokio::test]
async fn without_a_queue_the_route_is_404() {
    let gw = start().await;
    gw.deploy("echo", &[], &[]).await;
    let a = gw
        .send(Method::POST, "/async-function/echo", &[], full("x"))
        .await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (
            404,
            "async invocations are not configured on this gateway\n"
        )
    );
}

#[tokio::test]
async fn queue_failure_is_503_and_no_202() {
    let queue = Arc::new(RecordingQueue {
        unavailable: true,
        ..Default::default()
    });
    let gw = gateway_with(queue, 1024).await;
    let a = gw
        .send(Method::POST, "/async-function/echo", &[], full("x"))
        .await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (503, "queue is down\n")
    );
}

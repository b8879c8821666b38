//! The happy path: the function sees the original call, the callback carries its result.

use std::time::Duration;

use faas_queue::{JetStreamQueue, QueueMetrics, Worker};
use prometheus_client::registry::Registry;

use crate::support::gateway::FakeGateway;
use crate::support::nats::NatsServer;
use crate::support::{self, eventually, invocation, stream_len};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_carries_the_result_and_the_headers() {
    support::init_tracing();
    let Some(nats) = NatsServer::start("callback_carries_the_result_and_the_headers") else {
        return;
    };
    let gateway = FakeGateway::start(true).await;
    let queue_config = support::queue_config(&nats.url());
    let mut registry = Registry::default();
    let metrics = QueueMetrics::register(&mut registry);
    let queue = JetStreamQueue::connect(&queue_config, metrics.clone())
        .await
        .unwrap();
    let worker = Worker::connect(&queue_config, support::worker_config(gateway.addr), metrics)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));

    // 1: a PUT with path, query and headers; a stale X-Start-Time and the client's User-Agent.
    let mut put = invocation(
        "echo",
        "call-1",
        b"hello world",
        Some(gateway.url("/callback?x=1")),
    );
    put.method = "PUT".into();
    put.path = "/a/b".into();
    put.query = "x=1&y=%20".into();
    put.headers.push(("x-custom".into(), b"abc".to_vec()));
    put.headers
        .push(("user-agent".into(), b"curl/8.0".to_vec()));
    queue.publish(&put).await.unwrap();
    // 2: addressed with the namespace; the first callback attempt fails.
    let ns = invocation(
        "echo.openfaas-fn",
        "call-2",
        b"two",
        Some(gateway.url("/callback-fail-once")),
    );
    queue.publish(&ns).await.unwrap();
    // 3: the function's own 500: called back, not retried.
    let broken = invocation("broken", "call-3", b"", Some(gateway.url("/callback")));
    queue.publish(&broken).await.unwrap();
    // 4: no callback URL.
    queue
        .publish(&invocation("echo", "call-4", b"quiet", None))
        .await
        .unwrap();

    let all_done = eventually(Duration::from_secs(20), async || {
        gateway.with(|r| r.callback_counts.len() == 3 && r.invocation_counts.len() == 4)
    })
    .await;
    assert!(
        all_done,
        "{:#?}",
        gateway.with(|r| r.callback_counts.clone())
    );

    gateway.with(|r| {
        let f = r
            .invocations
            .iter()
            .find(|s| s.call_id() == "call-1")
            .unwrap();
        assert_eq!(f.method, "PUT");
        assert_eq!(
            f.uri.to_string(),
            "/function/echo.openfaas-fn/a/b?x=1&y=%20"
        );
        assert_eq!(f.header("x-custom"), Some("abc"));
        assert_eq!(f.header("user-agent"), Some("faas-queue-worker"));
        let starts: Vec<_> = f.headers.get_all("x-start-time").iter().collect();
        assert_eq!(starts, ["1795612939501807547"]);
        assert_eq!(
            f.header("x-callback-url"),
            Some(gateway.url("/callback?x=1").as_str())
        );
        assert_eq!(&f.body[..], b"hello world");

        let cb = r
            .callbacks
            .iter()
            .find(|s| s.call_id() == "call-1")
            .unwrap();
        assert_eq!(cb.method, "POST");
        assert_eq!(cb.uri.to_string(), "/callback?x=1");
        assert_eq!(cb.header("x-function-status"), Some("200"));
        assert_eq!(cb.header("x-function-name"), Some("echo"));
        assert_eq!(
            cb.header("x-echo-method"),
            Some("PUT"),
            "function headers pass"
        );
        assert_eq!(cb.header("content-type"), Some("text/plain"));
        let duration = cb.header("x-duration-seconds").unwrap();
        let (whole, fraction) = duration.split_once('.').unwrap();
        assert!(
            whole.parse::<u64>().is_ok() && fraction.len() == 6,
            "{duration}"
        );
        assert!(duration.parse::<f64>().unwrap() < 5.0);
        assert_eq!(&cb.body[..], b"hello world");

        let tries: Vec<_> = r
            .callbacks
            .iter()
            .filter(|s| s.call_id() == "call-2")
            .collect();
        assert_eq!(tries.len(), 2, "one failed callback, one retry");
        assert_eq!(tries[1].header("x-function-name"), Some("echo.openfaas-fn"));
        assert_eq!(
            r.invocation_counts["call-2"], 1,
            "callback retries do not re-run"
        );

        assert_eq!(
            r.invocation_counts["call-3"], 1,
            "a function's 500 is not retried"
        );
        let cb = r
            .callbacks
            .iter()
            .find(|s| s.call_id() == "call-3")
            .unwrap();
        assert_eq!(cb.header("x-function-status"), Some("500"));
        assert_eq!(&cb.body[..], b"bug\n");
    });

    let js = faas_queue::async_nats::jetstream::new(
        faas_queue::async_nats::connect(nats.url()).await.unwrap(),
    );
    let drained = eventually(Duration::from_secs(5), async || {
        stream_len(&js, &queue_config.stream).await == 0
    })
    .await;
    assert!(drained, "every message acked and removed");

    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    for line in [
        "faas_queue_enqueued_total{function_name=\"echo.openfaas-fn\"} 3",
        "faas_queue_completed_total{function_name=\"echo.openfaas-fn\",code=\"200\"} 3",
        "faas_queue_completed_total{function_name=\"broken.openfaas-fn\",code=\"500\"} 1",
        "faas_queue_retried_total{function_name=\"echo.openfaas-fn\",stage=\"callback\"} 1",
        "faas_queue_inflight{function_name=\"echo.openfaas-fn\"} 0",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }

    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

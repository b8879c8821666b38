//! Giving up: retries with backoff then a dead letter; failed callbacks; undecodable messages.

use std::time::Duration;

use faas_queue::async_nats::jetstream;
use faas_queue::delivery::{DEAD_LETTER_ATTEMPTS, DEAD_LETTER_REASON, DEAD_LETTER_STATUS};
use faas_queue::{codec, JetStreamQueue, QueueMetrics, Worker};
use prometheus_client::registry::Registry;

use crate::support::gateway::FakeGateway;
use crate::support::nats::NatsServer;
use crate::support::{self, eventually, invocation, stream_len};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_function_is_retried_then_dead_lettered() {
    support::init_tracing();
    let Some(nats) = NatsServer::start("failing_function_is_retried_then_dead_lettered") else {
        return;
    };
    let gateway = FakeGateway::start(true).await;
    let queue_config = support::queue_config(&nats.url());
    let names = queue_config.names().unwrap();
    let mut registry = Registry::default();
    let metrics = QueueMetrics::register(&mut registry);
    let queue = JetStreamQueue::connect(&queue_config, metrics.clone())
        .await
        .unwrap();
    let config = support::worker_config(gateway.addr); // 3 attempts, 50 ms doubling to 200 ms
    let worker = Worker::connect(&queue_config, config, metrics)
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));

    let always_503 = invocation(
        "unavailable",
        "dead-1",
        b"payload",
        Some(gateway.url("/callback")),
    );
    queue.publish(&always_503).await.unwrap();
    let rejected_callback = invocation("echo", "dead-2", b"x", Some(gateway.url("/callback-gone")));
    queue.publish(&rejected_callback).await.unwrap();
    let js = jetstream::new(faas_queue::async_nats::connect(nats.url()).await.unwrap());
    js.publish(
        format!("{}.invoke.openfaas-fn.echo", queue_config.subject_prefix),
        "not an invocation".into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    let dead = eventually(Duration::from_secs(20), async || {
        stream_len(&js, &names.dead_letter_stream).await == 3
    })
    .await;
    assert!(dead, "three dead letters");
    assert_eq!(
        stream_len(&js, &names.stream).await,
        0,
        "work stream drained"
    );

    gateway.with(|r| {
        let tries: Vec<_> = r
            .invocations
            .iter()
            .filter(|s| s.call_id() == "dead-1")
            .collect();
        assert_eq!(tries.len(), 3, "max_attempts invocations");
        let callbacks: Vec<_> = r
            .callbacks
            .iter()
            .filter(|s| s.call_id() == "dead-1")
            .collect();
        assert_eq!(callbacks.len(), 1, "the final failure is called back once");
        assert_eq!(callbacks[0].header("x-function-status"), Some("503"));
        assert_eq!(r.invocation_counts["dead-2"], 1);
        assert_eq!(
            r.callbacks
                .iter()
                .filter(|s| s.call_id() == "dead-2")
                .count(),
            1,
            "a 404 callback is not retried"
        );
    });

    let dead_stream = js.get_stream(&names.dead_letter_stream).await.unwrap();
    let mut reasons = Vec::new();
    for seq in 1..=3 {
        let m = dead_stream.get_raw_message(seq).await.unwrap();
        let header = |name: &str| m.headers.get(name).map(|v| v.as_str().to_owned());
        let reason = header(DEAD_LETTER_REASON).unwrap();
        match reason.as_str() {
            "attempts_exhausted" => {
                assert_eq!(codec::decode(&m.payload).unwrap(), always_503);
                assert_eq!(header(DEAD_LETTER_ATTEMPTS).as_deref(), Some("3"));
                assert_eq!(header(DEAD_LETTER_STATUS).as_deref(), Some("503"));
                assert_eq!(
                    m.subject.as_str(),
                    names.dead_letter_subject(&always_503.function)
                );
            }
            "callback_failed" => {
                assert_eq!(codec::decode(&m.payload).unwrap(), rejected_callback);
                assert_eq!(header(DEAD_LETTER_STATUS).as_deref(), Some("200"));
            }
            "undecodable" => assert_eq!(&m.payload[..], b"not an invocation"),
            other => panic!("unexpected reason {other}"),
        }
        reasons.push(reason);
    }
    reasons.sort();
    assert_eq!(
        reasons,
        ["attempts_exhausted", "callback_failed", "undecodable"]
    );

    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    for line in [
        "faas_queue_retried_total{function_name=\"unavailable.openfaas-fn\",stage=\"invoke\"} 2",
        "faas_queue_dead_lettered_total{function_name=\"unavailable.openfaas-fn\",reason=\"attempts_exhausted\"} 1",
        "faas_queue_dead_lettered_total{function_name=\"echo.openfaas-fn\",reason=\"callback_failed\"} 1",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

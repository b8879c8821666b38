//! nats-server restarted while invocations are being queued and run: nothing is lost.

use std::time::Duration;

use faas_queue::{JetStreamQueue, QueueMetrics, Worker};
use futures_util::StreamExt;
use nix::sys::signal::Signal;

use crate::support::gateway::FakeGateway;
use crate::support::nats::NatsServer;
use crate::support::{self, eventually, invocation, stream_len};

const CALLS: usize = 3_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_loses_nothing() {
    support::init_tracing();
    let Some(mut nats) = NatsServer::start("server_restart_loses_nothing") else {
        return;
    };
    let gateway = FakeGateway::start(false).await;
    let queue_config = support::queue_config(&nats.url());
    let queue = JetStreamQueue::connect(&queue_config, QueueMetrics::default())
        .await
        .unwrap();
    let mut config = support::worker_config(gateway.addr);
    config.invoke.max_attempts = 10;
    let worker = Worker::connect(&queue_config, config, QueueMetrics::default())
        .await
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));

    let callback = gateway.url("/callback");
    let publishing = tokio::spawn(async move {
        futures_util::stream::iter(0..CALLS)
            .map(|i| {
                let queue = queue.clone();
                let inv = invocation(
                    "echo",
                    &format!("restart-{i}"),
                    b"hi",
                    Some(callback.clone()),
                );
                async move {
                    // As a client would on a 503: try again until the queue confirms.
                    let mut failures = 0;
                    while queue.publish(&inv).await.is_err() {
                        failures += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    failures
                }
            })
            .buffer_unordered(32)
            .fold(0u32, |sum, n| async move { sum + n })
            .await
    });

    let delivered = || gateway.with(|r| r.callback_counts.len());
    assert!(eventually(Duration::from_secs(30), async || delivered() >= 1_000).await);
    nats.stop(Signal::SIGTERM);
    let at_stop = delivered();
    tokio::time::sleep(Duration::from_millis(500)).await;
    nats.start_again();

    let publish_failures = publishing.await.unwrap();
    let all = eventually(Duration::from_secs(40), async || delivered() == CALLS).await;
    let (invoked_twice, called_back_twice) = gateway.with(|r| {
        (
            r.invocation_counts.values().map(|n| n - 1).sum::<u32>(),
            r.callback_counts.values().map(|n| n - 1).sum::<u32>(),
        )
    });
    println!(
        "restart test: server stopped at {at_stop} callbacks; {} of {CALLS} called back, \
         {publish_failures} publishes retried by the client, {invoked_twice} duplicate invocations, \
         {called_back_twice} duplicate callbacks",
        delivered()
    );
    assert!(all, "lost invocations");

    let js = faas_queue::async_nats::jetstream::new(
        faas_queue::async_nats::connect(nats.url()).await.unwrap(),
    );
    assert!(
        eventually(Duration::from_secs(10), async || {
            stream_len(&js, &queue_config.stream).await == 0
        })
        .await,
        "every message acked"
    );
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

//! 10 000 queued invocations while the worker process is SIGKILLed twice: every call runs at least
//! once and is called back; duplicates are counted and printed.

use std::time::Duration;

use faas_queue::{JetStreamQueue, QueueMetrics};
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::support::gateway::FakeGateway;
use crate::support::nats::NatsServer;
use crate::support::process::WorkerProcess;
use crate::support::{self, eventually, invocation, stream_len};

const CALLS: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_lose_nothing() {
    support::init_tracing();
    let Some(nats) = NatsServer::start("killed_workers_lose_nothing") else {
        return;
    };
    let started = Instant::now();
    let gateway = FakeGateway::start(false).await;
    let queue_config = support::queue_config(&nats.url());
    let queue = JetStreamQueue::connect(&queue_config, QueueMetrics::default())
        .await
        .unwrap();
    let ack_wait = Duration::from_secs(2);
    let first = WorkerProcess::start(&queue_config, gateway.addr, ack_wait);

    let callback = gateway.url("/callback");
    let publishing = tokio::spawn(async move {
        futures_util::stream::iter(0..CALLS)
            .map(|i| {
                let queue = queue.clone();
                let inv = invocation("echo", &format!("kill-{i}"), b"hi", Some(callback.clone()));
                async move { queue.publish(&inv).await.unwrap() }
            })
            .buffer_unordered(128)
            .count()
            .await
    });

    let delivered = || gateway.with(|r| r.callback_counts.len());
    assert!(eventually(Duration::from_secs(30), async || delivered() >= 3_000).await);
    first.kill();
    let at_first_kill = delivered();
    let second = WorkerProcess::start(&queue_config, gateway.addr, ack_wait);
    assert!(eventually(Duration::from_secs(30), async || delivered() >= 6_500).await);
    second.kill();
    let at_second_kill = delivered();
    let _third = WorkerProcess::start(&queue_config, gateway.addr, ack_wait);

    assert_eq!(publishing.await.unwrap(), CALLS);
    let all = eventually(Duration::from_secs(40), async || delivered() == CALLS).await;
    let (invoked, invoked_twice, callbacks, called_back_twice) = gateway.with(|r| {
        let extra = |counts: &std::collections::HashMap<String, u32>| -> u32 {
            counts.values().map(|n| n - 1).sum()
        };
        (
            r.invocation_counts.len(),
            extra(&r.invocation_counts),
            r.callback_counts.len(),
            extra(&r.callback_counts),
        )
    });
    println!(
        "kill test: {CALLS} queued, workers killed at {at_first_kill} and {at_second_kill} callbacks; \
         {invoked} invoked ({invoked_twice} duplicate invocations), {callbacks} called back \
         ({called_back_twice} duplicate callbacks) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(all, "only {callbacks} of {CALLS} callbacks arrived");
    assert_eq!(invoked, CALLS);

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
}

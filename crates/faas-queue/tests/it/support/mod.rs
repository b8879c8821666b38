//! Fixtures: a private nats-server per test, a fake gateway (functions and callback receiver),
//! unique stream names, and the worker run as a separate process.

pub mod gateway;
pub mod nats;
pub mod process;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use faas_core::{FunctionRef, QueuedInvocation};
use faas_queue::{Backoff, QueueConfig, RetryPolicy, WorkerConfig};

/// A stream/subject prefix no other test uses: `faas-test-<pid>-<n>`.
pub fn unique_prefix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "faas-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Queue settings on `nats_url` with a fresh prefix.
pub fn queue_config(nats_url: &str) -> QueueConfig {
    let prefix = unique_prefix();
    QueueConfig {
        stream: prefix.clone(),
        subject_prefix: prefix,
        ..QueueConfig::new(nats_url)
    }
}

/// Worker settings for tests: fast retries, short waits.
pub fn worker_config(gateway: std::net::SocketAddr) -> WorkerConfig {
    let fast = RetryPolicy {
        max_attempts: 3,
        backoff: Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
        },
    };
    WorkerConfig {
        concurrency: 16,
        ack_wait: Duration::from_secs(3),
        invoke: fast,
        callback: fast,
        invoke_timeout: Duration::from_secs(10),
        callback_timeout: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(5),
        pull_expiry: Duration::from_secs(1),
        ..WorkerConfig::new(format!("http://{gateway}").parse().unwrap())
    }
}

/// An invocation of `segment` (e.g. `echo` or `echo.openfaas-fn`) with a callback to `callback`.
pub fn invocation(
    segment: &str,
    call_id: &str,
    body: &[u8],
    callback: Option<String>,
) -> QueuedInvocation {
    let mut headers = vec![
        ("content-type".to_owned(), b"text/plain".to_vec()),
        ("x-call-id".to_owned(), call_id.as_bytes().to_vec()),
        ("x-start-time".to_owned(), b"1795612939501807547".to_vec()),
    ];
    if let Some(url) = &callback {
        headers.push(("x-callback-url".to_owned(), url.as_bytes().to_vec()));
    }
    QueuedInvocation {
        function: FunctionRef::parse_segment(segment),
        segment: segment.to_owned(),
        method: "POST".to_owned(),
        path: "/".to_owned(),
        query: String::new(),
        headers,
        body: body.to_vec(),
        call_id: call_id.to_owned(),
        start_time_ns: 1_795_612_939_501_807_547,
        callback_url: callback,
    }
}

/// Logs to the test's output when `RUST_LOG` is set.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// Polls `check` every 20 ms until it returns true or `timeout` passes; returns the last result.
pub async fn eventually(timeout: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The number of messages in stream `name`.
pub async fn stream_len(js: &faas_queue::async_nats::jetstream::Context, name: &str) -> u64 {
    let mut stream = js.get_stream(name).await.expect("stream exists");
    stream.info().await.expect("stream info").state.messages
}

//! [`Worker`]: pulls queued invocations and runs them (see [`crate::delivery`] for one message).
//!
//! Pulling: the worker asks the durable pull consumer for exactly as many messages as it has free
//! slots (`concurrency` overall), so nothing waits in a client-side buffer while its `ack_wait`
//! runs out; each message is handled in its own task, which holds one slot until it acks or NAKs.
//! Several workers (processes) may share the consumer; the server spreads messages among them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::consumer::{pull, AckPolicy, PullConsumer};
use async_nats::jetstream::{self};
use faas_core::FunctionRef;
use futures_util::StreamExt;
use http::Uri;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::client::HttpClient;
use crate::error::Error;
use crate::limits::ConcurrencyLimits;
use crate::metrics::QueueMetrics;
use crate::retry::{Backoff, RetryPolicy};
use crate::stream::{self, QueueConfig, QueueNames};

/// How a worker runs invocations. [`WorkerConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// The gateway whose `/function/…` route is called, e.g. `http://127.0.0.1:8080`.
    pub gateway_url: Uri,
    /// The durable consumer's name, shared by all workers of the stream. Default
    /// `faas-queue-worker`.
    pub consumer: String,
    /// Invocations run at once by this worker, over all functions (also the pull batch size).
    /// Default 64.
    pub concurrency: usize,
    /// Per-function limits (`max_inflight`) applied when [`WorkerConfig::max_inflight`] has no
    /// entry for the function; `None` = only the overall limit. Default `None`.
    pub default_max_inflight: Option<usize>,
    /// Per-function limits by function (`name`, `namespace`). Default empty.
    pub max_inflight: HashMap<FunctionRef, usize>,
    /// How long the server waits for an ack before redelivering; used only when the worker
    /// creates the consumer (an existing consumer keeps its own, which is then used for the
    /// in-progress ack interval). Default 30 s.
    pub ack_wait: Duration,
    /// Tries of the function (the first included) and the NAK delays between them. Default 5
    /// tries, 1 s doubling to 60 s.
    pub invoke: RetryPolicy,
    /// Tries of the callback and the waits between them. Default 5 tries, 1 s doubling to 30 s.
    pub callback: RetryPolicy,
    /// The worker's own deadline for one invocation, a safety net above the gateway's
    /// per-function deadline. Default 6 min.
    pub invoke_timeout: Duration,
    /// Deadline for one callback request. Default 30 s.
    pub callback_timeout: Duration,
    /// On shutdown, how long running invocations may take to finish; the rest are redelivered
    /// later. Default 30 s.
    pub shutdown_grace: Duration,
    /// How long one pull request waits on an empty queue. Default 5 s.
    pub pull_expiry: Duration,
}

impl WorkerConfig {
    /// The defaults for a gateway at `gateway_url`.
    pub fn new(gateway_url: Uri) -> Self {
        Self {
            gateway_url,
            consumer: "faas-queue-worker".to_owned(),
            concurrency: 64,
            default_max_inflight: None,
            max_inflight: HashMap::new(),
            ack_wait: Duration::from_secs(30),
            invoke: RetryPolicy {
                max_attempts: 5,
                backoff: Backoff {
                    initial: Duration::from_secs(1),
                    max: Duration::from_secs(60),
                },
            },
            callback: RetryPolicy {
                max_attempts: 5,
                backoff: Backoff {
                    initial: Duration::from_secs(1),
                    max: Duration::from_secs(30),
                },
            },
            invoke_timeout: Duration::from_secs(360),
            callback_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            pull_expiry: Duration::from_secs(5),
        }
    }
}

/// What every message task needs.
pub(crate) struct Shared {
    pub(crate) js: jetstream::Context,
    pub(crate) names: QueueNames,
    pub(crate) http: HttpClient,
    pub(crate) config: WorkerConfig,
    pub(crate) limits: ConcurrencyLimits,
    pub(crate) metrics: QueueMetrics,
    /// The in-progress ack interval: a third of the consumer's `ack_wait`.
    pub(crate) progress_every: Duration,
}

/// Pulls invocations from the work stream and runs them until told to stop.
///
/// ```no_run
/// # async fn example(registry: &mut prometheus_client::registry::Registry) -> Result<(), faas_queue::Error> {
/// use faas_queue::{QueueConfig, QueueMetrics, Worker, WorkerConfig};
/// let metrics = QueueMetrics::register(registry);
/// let config = WorkerConfig::new("http://127.0.0.1:8080".parse().unwrap());
/// let worker = Worker::connect(&QueueConfig::new("nats://127.0.0.1:4222"), config, metrics).await?;
/// worker.run(async { let _ = tokio::signal::ctrl_c().await; }).await?;
/// # Ok(()) }
/// ```
pub struct Worker {
    client: async_nats::Client,
    consumer: PullConsumer,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("stream", &self.shared.names.stream)
            .field("consumer", &self.shared.config.consumer)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// Connects to the server of `queue`, creates the streams and the durable consumer unless they
    /// exist.
    pub async fn connect(
        queue: &QueueConfig,
        config: WorkerConfig,
        metrics: QueueMetrics,
    ) -> Result<Self, Error> {
        let client = stream::connect(queue).await?;
        Self::with_client(client, queue, config, metrics).await
    }

    /// Like [`Worker::connect`] on an existing connection.
    pub async fn with_client(
        client: async_nats::Client,
        queue: &QueueConfig,
        config: WorkerConfig,
        metrics: QueueMetrics,
    ) -> Result<Self, Error> {
        if config.concurrency == 0 {
            return Err(Error::Config("concurrency must be at least 1".into()));
        }
        let names = queue.names()?;
        let js = jetstream::new(client.clone());
        let work = stream::ensure_streams(&js, queue, &names).await?;
        let consumer = ensure_consumer(&work, &names, &config).await?;
        let ack_wait = consumer.cached_info().config.ack_wait;
        let progress_every = (ack_wait / 3).max(Duration::from_millis(100));
        let limits =
            ConcurrencyLimits::new(config.default_max_inflight, config.max_inflight.clone());
        let shared = Shared {
            js,
            names,
            http: HttpClient::new(config.concurrency)?,
            config,
            limits,
            metrics,
            progress_every,
        };
        Ok(Self {
            client,
            consumer,
            shared: Arc::new(shared),
        })
    }

    /// The per-function limits, to change them while the worker runs.
    pub fn limits(&self) -> &ConcurrencyLimits {
        &self.shared.limits
    }

    /// Runs until `shutdown` completes, then stops pulling, gives running invocations
    /// [`WorkerConfig::shutdown_grace`] to finish and flushes the acks. Pull failures (a server
    /// restart) are logged and retried, never returned.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
        let Self {
            client,
            consumer,
            shared,
        } = self;
        tokio::pin!(shutdown);
        let slots = Arc::new(Semaphore::new(shared.config.concurrency));
        let mut tasks = JoinSet::new();
        tracing::info!(stream = %shared.names.stream, consumer = %shared.config.consumer, concurrency = shared.config.concurrency, "queue worker started");

        'pull: loop {
            let first = tokio::select! {
                () = &mut shutdown => break 'pull,
                permit = slots.clone().acquire_owned() => permit.expect("never closed"),
            };
            let mut permits = vec![first];
            while let Ok(p) = slots.clone().try_acquire_owned() {
                permits.push(p);
            }
            let request = consumer
                .batch()
                .max_messages(permits.len())
                .expires(shared.config.pull_expiry)
                .messages();
            let mut batch = tokio::select! {
                () = &mut shutdown => break 'pull,
                batch = request => match batch {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "pull request failed; retrying");
                        pause(&mut shutdown).await;
                        continue 'pull;
                    }
                },
            };
            loop {
                let next = tokio::select! {
                    () = &mut shutdown => break 'pull,
                    next = batch.next() => next,
                };
                match next {
                    None => break,
                    Some(Ok(message)) => {
                        let permit = permits.pop().expect("no more messages than permits");
                        let shared = shared.clone();
                        tasks.spawn(async move {
                            crate::delivery::handle(&shared, message).await;
                            drop(permit);
                        });
                    }
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "pulling messages failed; retrying");
                        pause(&mut shutdown).await;
                        break;
                    }
                }
            }
            while let Some(done) = tasks.try_join_next() {
                log_panic(done);
            }
        }

        tracing::info!(running = tasks.len(), "queue worker stopping");
        let drained = tokio::time::timeout(shared.config.shutdown_grace, async {
            while let Some(done) = tasks.join_next().await {
                log_panic(done);
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                left = tasks.len(),
                "grace period over; unfinished invocations will be redelivered"
            );
            tasks.shutdown().await;
        }
        // Acks are fire-and-forget publishes: send what is buffered before returning.
        if let Err(e) = client.flush().await {
            tracing::warn!(error = %e, "flushing acks failed; some invocations may run again");
        }
        Ok(())
    }
}

/// Creates the durable pull consumer unless it exists.
async fn ensure_consumer(
    work: &jetstream::stream::Stream,
    names: &QueueNames,
    config: &WorkerConfig,
) -> Result<PullConsumer, Error> {
    let consumer_config = pull::Config {
        durable_name: Some(config.consumer.clone()),
        description: Some("faas-queue workers".into()),
        ack_policy: AckPolicy::Explicit,
        ack_wait: config.ack_wait,
        // Attempts are counted by the worker, which dead-letters; the server never drops.
        max_deliver: -1,
        filter_subject: names.invoke_subjects(),
        ..Default::default()
    };
    work.get_or_create_consumer(&config.consumer, consumer_config)
        .await
        .map_err(|e| Error::Consumer {
            stream: names.stream.clone(),
            consumer: config.consumer.clone(),
            source: e.into(),
        })
}

/// Waits a moment before pulling again, or until shutdown.
async fn pause(shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>) {
    tokio::select! {
        () = shutdown.as_mut() => {}
        () = tokio::time::sleep(Duration::from_millis(250)) => {}
    }
}

fn log_panic(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        if e.is_panic() {
            tracing::error!(error = %e, "an invocation task panicked; its message will be redelivered");
        }
    }
}

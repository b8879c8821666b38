//! [`JetStreamQueue`]: the publisher behind the gateway's `POST /async-function/…`.

use async_nats::jetstream;
use faas_core::{BoxFuture, InvocationQueue, ProviderError, QueuedInvocation};

use crate::codec;
use crate::error::Error;
use crate::metrics::QueueMetrics;
use crate::stream::{self, QueueConfig, QueueNames};

/// Stores invocations in the work stream. Cheap to clone (clones share the connection).
///
/// ```no_run
/// # async fn example(registry: &mut prometheus_client::registry::Registry) -> Result<(), faas_queue::Error> {
/// use faas_queue::{JetStreamQueue, QueueConfig, QueueMetrics};
/// let metrics = QueueMetrics::register(registry);
/// let queue = JetStreamQueue::connect(&QueueConfig::new("nats://127.0.0.1:4222"), metrics).await?;
/// // Hand `std::sync::Arc::new(queue)` to the gateway as its `Arc<dyn InvocationQueue>`.
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct JetStreamQueue {
    client: async_nats::Client,
    js: jetstream::Context,
    names: QueueNames,
    metrics: QueueMetrics,
}

impl JetStreamQueue {
    /// Connects to the server of `config` and creates the streams unless they exist.
    pub async fn connect(config: &QueueConfig, metrics: QueueMetrics) -> Result<Self, Error> {
        let client = stream::connect(config).await?;
        Self::with_client(client, config, metrics).await
    }

    /// Uses an existing connection (e.g. one shared with the worker in `faasd up`) and creates the
    /// streams unless they exist.
    pub async fn with_client(
        client: async_nats::Client,
        config: &QueueConfig,
        metrics: QueueMetrics,
    ) -> Result<Self, Error> {
        let names = config.names()?;
        let js = jetstream::new(client.clone());
        stream::ensure_streams(&js, config, &names).await?;
        Ok(Self {
            client,
            js,
            names,
            metrics,
        })
    }

    /// The largest message the server accepts (its `max_payload`, 1 MiB by default), as the
    /// server announced it on connect.
    pub fn max_payload(&self) -> usize {
        self.client.server_info().max_payload
    }

    /// The largest body `invocation`'s other fields leave room for: the gateway may use it to
    /// answer 413 before reading further.
    pub fn max_body_len(&self, invocation: &QueuedInvocation) -> usize {
        self.max_payload()
            .saturating_sub(codec::encoded_len_without_body(invocation))
    }

    /// The stream names and subjects in use.
    pub fn names(&self) -> &QueueNames {
        &self.names
    }

    /// Stores `invocation` and returns its stream sequence once the stream acknowledged it.
    /// [`Error::MessageTooLarge`] when it exceeds the server's `max_payload`; [`Error::Publish`]
    /// when the server did not confirm (the message may still have been stored).
    pub async fn publish(&self, invocation: &QueuedInvocation) -> Result<u64, Error> {
        let payload = codec::encode(invocation);
        let max = self.max_payload();
        if payload.len() > max {
            return Err(Error::MessageTooLarge {
                size: payload.len(),
                max,
            });
        }
        let subject = self.names.invoke_subject(&invocation.function);
        let publish_error = |source: async_nats::Error| Error::Publish {
            subject: subject.clone(),
            source,
        };
        let ack = self
            .js
            .publish(subject.clone(), payload.into())
            .await
            .map_err(|e| publish_error(e.into()))?
            .await
            .map_err(|e| publish_error(e.into()))?;
        self.metrics.enqueued(&invocation.function);
        tracing::debug!(call_id = %invocation.call_id, function = %invocation.function, sequence = ack.sequence, "invocation queued");
        Ok(ack.sequence)
    }
}

impl InvocationQueue for JetStreamQueue {
    /// Returns once the stream acknowledged the message (see [`JetStreamQueue::publish`]); errors
    /// convert as documented on `From<Error> for ProviderError`.
    fn enqueue(&self, invocation: QueuedInvocation) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            self.publish(&invocation).await.map(|_| ()).map_err(|e| {
                tracing::warn!(call_id = %invocation.call_id, function = %invocation.function, error = %crate::error_chain(&e), "queuing failed");
                ProviderError::from(e)
            })
        })
    }
}

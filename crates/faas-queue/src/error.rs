//! [`Error`]: the one error type of this crate.

use faas_core::ProviderError;

/// A boxed cause kept as the `source` of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong while talking to NATS or preparing a message.
///
/// How to treat it: [`Error::MessageTooLarge`] and [`Error::Config`] are the caller's to fix and
/// never succeed on retry; [`Error::Decode`] marks a message that no worker can run (it goes to the
/// dead-letter stream); everything else is the queue being unreachable or failing, and may succeed
/// on a later try. Messages are lowercase and never repeat the `source`: print the chain once.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is unusable; the message says what to fix.
    #[error("invalid queue configuration: {0}")]
    Config(String),
    /// The NATS server could not be reached.
    #[error("connecting to nats at {url}")]
    Connect {
        /// The server URL.
        url: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// A stream could not be created or checked.
    #[error("creating or checking jetstream stream {stream}")]
    Stream {
        /// The stream name.
        stream: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// The durable consumer could not be created or checked.
    #[error("creating or checking consumer {consumer} of stream {stream}")]
    Consumer {
        /// The stream name.
        stream: String,
        /// The consumer name.
        consumer: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// The encoded invocation is larger than the server accepts (`max_payload`).
    #[error(
        "queued invocation of {size} bytes exceeds the nats server's max_payload of {max} bytes"
    )]
    MessageTooLarge {
        /// The encoded size in bytes.
        size: usize,
        /// The server's limit in bytes.
        max: usize,
    },
    /// Publishing, or waiting for the stream's acknowledgement, failed: the message may or may not
    /// be stored.
    #[error("publishing to {subject}")]
    Publish {
        /// The subject published to.
        subject: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// Pulling messages from the consumer failed.
    #[error("pulling messages from consumer {consumer}")]
    Pull {
        /// The consumer name.
        consumer: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },
    /// A stored message is not a queued invocation of a known format.
    #[error("decoding a queued invocation: {0}")]
    Decode(String),
    /// Building the HTTP client (TLS roots) failed.
    #[error("building the http client")]
    HttpClient(#[source] BoxError),
}

impl Error {
    /// Whether retrying the same operation later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::Stream { .. }
                | Self::Consumer { .. }
                | Self::Publish { .. }
                | Self::Pull { .. }
        )
    }
}

impl From<Error> for ProviderError {
    /// Too large → `Invalid` (the client must send less); unreachable → `Unavailable` (503, the
    /// client may retry); anything else → `Internal`.
    fn from(e: Error) -> Self {
        match e {
            Error::MessageTooLarge { .. } => ProviderError::invalid(e.to_string()),
            e if e.is_transient() => ProviderError::unavailable("queuing the invocation", e),
            e => ProviderError::internal("queuing the invocation", e),
        }
    }
}

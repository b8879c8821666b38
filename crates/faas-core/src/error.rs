//! [`ProviderError`]: the one error type a [`Provider`](crate::Provider) returns.
//!
//! Each variant is a distinction the gateway must make when it answers a client; the gateway maps
//! [`ErrorKind`] to an HTTP status in one place (its `rescue` module). Providers never name a
//! status code: they pick the variant that says what happened, and keep the cause as `source`.

use std::error::Error as StdError;

/// A boxed error kept as the cause of a [`ProviderError`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong in a provider call, as the caller must react to it.
///
/// Messages are lowercase, one line, say what was being done and never contain secret values.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The function, secret or namespace does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// It exists already (HTTP 409).
    #[error("{0}")]
    AlreadyExists(String),
    /// The request is malformed or violates a rule; the message says what to fix (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// The function exists but has no ready replica (HTTP 503 once the gateway stops waiting).
    #[error("{0}")]
    NotReady(String),
    /// The operation conflicts with the current state, e.g. deleting a non-empty namespace
    /// (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// This provider does not offer the operation (HTTP 501).
    #[error("{0}")]
    Unsupported(String),
    /// The backend (containerd, the API server, a registry) could not be reached or failed in a
    /// way the client may retry (HTTP 503).
    #[error("{message}")]
    Unavailable {
        /// What was being done.
        message: String,
        /// The underlying failure.
        #[source]
        source: Option<BoxError>,
    },
    /// Anything else: a bug or an unexpected backend answer (HTTP 500).
    #[error("{message}")]
    Internal {
        /// What was being done.
        message: String,
        /// The underlying failure.
        #[source]
        source: Option<BoxError>,
    },
}

/// The class of a [`ProviderError`], for code that only needs to branch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// See [`ProviderError::NotFound`].
    NotFound,
    /// See [`ProviderError::AlreadyExists`].
    AlreadyExists,
    /// See [`ProviderError::Invalid`].
    Invalid,
    /// See [`ProviderError::NotReady`].
    NotReady,
    /// See [`ProviderError::Conflict`].
    Conflict,
    /// See [`ProviderError::Unsupported`].
    Unsupported,
    /// See [`ProviderError::Unavailable`].
    Unavailable,
    /// See [`ProviderError::Internal`].
    Internal,
}

impl ProviderError {
    /// A [`ProviderError::NotFound`] with this message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// A [`ProviderError::AlreadyExists`] with this message.
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::AlreadyExists(message.into())
    }

    /// A [`ProviderError::Invalid`] with this message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    /// A [`ProviderError::NotReady`] with this message.
    pub fn not_ready(message: impl Into<String>) -> Self {
        Self::NotReady(message.into())
    }

    /// A [`ProviderError::Conflict`] with this message.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    /// A [`ProviderError::Unsupported`] with this message.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::Unsupported(message.into())
    }

    /// A [`ProviderError::Unavailable`] caused by `source`.
    pub fn unavailable(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A [`ProviderError::Internal`] caused by `source`.
    pub fn internal(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A [`ProviderError::Internal`] without an underlying cause.
    pub fn internal_msg(message: impl Into<String>) -> Self {
        Self::Internal {
            message: message.into(),
            source: None,
        }
    }

    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::AlreadyExists(_) => ErrorKind::AlreadyExists,
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::NotReady(_) => ErrorKind::NotReady,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::Unsupported(_) => ErrorKind::Unsupported,
            Self::Unavailable { .. } => ErrorKind::Unavailable,
            Self::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// Whether this says the thing asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// The message followed by every cause, `: `-separated, for logs and 5xx bodies.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut cause = self.source();
        while let Some(c) = cause {
            out.push_str(": ");
            out.push_str(&c.to_string());
            cause = c.source();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_prints_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let err = ProviderError::unavailable("connecting to containerd", io);
        assert_eq!(err.to_string(), "connecting to containerd");
        assert_eq!(err.chain(), "connecting to containerd: connection refused");
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(ProviderError::not_found("x").is_not_found());
    }
}

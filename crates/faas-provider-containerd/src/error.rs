//! [`Error`]: what can go wrong in this crate, converted to [`ProviderError`] in one place.
//!
//! Callers of the provider only see `ProviderError`; the variants here name the failed step so
//! logs say where a deploy broke. [`Error::Invalid`] and [`Error::ImageNotFound`] are the
//! client's fault (400), [`Error::Containerd`] with `Unavailable`/`Unknown` means containerd is
//! down (503), anything else is internal (500).

use std::path::PathBuf;

use containerd_client::tonic;
use faas_core::ProviderError;

/// Everything that can fail while running functions on containerd.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is wrong in a way the client can fix (bad image reference, missing secret).
    #[error("{0}")]
    Invalid(String),
    /// The function, secret or namespace does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It exists already.
    #[error("{0}")]
    AlreadyExists(String),
    /// The operation conflicts with the current state (a non-empty namespace).
    #[error("{0}")]
    Conflict(String),
    /// The function has no ready replica.
    #[error("{0}")]
    NotReady(String),
    /// The image could not be found or fetched from its registry.
    #[error("pulling image {reference}")]
    ImageNotFound {
        /// The image reference.
        reference: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A registry answered unexpectedly or could not be reached.
    #[error("registry {registry}: {message}")]
    Registry {
        /// The registry host.
        registry: String,
        /// What was being done and what came back.
        message: String,
    },
    /// An image archive or manifest is malformed.
    #[error("bad image: {0}")]
    BadImage(String),
    /// Connecting to the containerd socket failed.
    #[error("connecting to containerd at {socket}")]
    Connect {
        /// The socket path.
        socket: PathBuf,
        /// Why.
        #[source]
        source: tonic::transport::Error,
    },
    /// A containerd RPC failed.
    #[error("containerd {step}")]
    Containerd {
        /// The RPC or step, e.g. `creating container echo.1a2b3c`.
        step: String,
        /// The gRPC status.
        #[source]
        source: tonic::Status,
    },
    /// A CNI plugin failed.
    #[error("cni {command} for {container}: {message}")]
    Cni {
        /// `ADD` or `DEL`.
        command: &'static str,
        /// The CNI container id.
        container: String,
        /// The plugin's error message or output.
        message: String,
    },
    /// A replica did not pass its readiness check in time.
    #[error("replica {replica} did not become ready within {seconds}s")]
    ReadyTimeout {
        /// The replica's container id.
        replica: String,
        /// The bound.
        seconds: u64,
    },
    /// A task stopped before it became ready.
    #[error("replica {replica} exited with status {status} before it became ready")]
    ExitedEarly {
        /// The replica's container id.
        replica: String,
        /// Its exit status.
        status: u32,
    },
    /// A file of the state directory could not be read or written.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A JSON document could not be parsed.
    #[error("parsing {what}")]
    Json {
        /// Which document.
        what: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// An error faas-core raised (validation), passed through.
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

impl Error {
    /// A [`Error::Containerd`] for `step`.
    pub fn containerd(step: impl Into<String>, source: tonic::Status) -> Self {
        Self::Containerd {
            step: step.into(),
            source,
        }
    }

    /// A [`Error::Io`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Whether this is a containerd `NotFound`.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::NotFound(_) => true,
            Self::Containerd { source, .. } => source.code() == tonic::Code::NotFound,
            _ => false,
        }
    }
}

/// Shortcut for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for ProviderError {
    fn from(err: Error) -> Self {
        match err {
            Error::Invalid(m) => ProviderError::Invalid(m),
            Error::NotFound(m) => ProviderError::NotFound(m),
            Error::AlreadyExists(m) => ProviderError::AlreadyExists(m),
            Error::Conflict(m) => ProviderError::Conflict(m),
            Error::NotReady(m) => ProviderError::NotReady(m),
            Error::Provider(p) => p,
            e @ (Error::ImageNotFound { .. } | Error::BadImage(_)) => {
                // The client named an image we cannot use: say why, in one line.
                ProviderError::invalid(error_chain(&e))
            }
            e @ (Error::ReadyTimeout { .. } | Error::ExitedEarly { .. }) => {
                ProviderError::invalid(error_chain(&e))
            }
            e @ Error::Connect { .. } => {
                ProviderError::unavailable("containerd is not reachable", e)
            }
            Error::Containerd { step, source }
                if matches!(
                    source.code(),
                    tonic::Code::Unavailable | tonic::Code::Cancelled
                ) =>
            {
                ProviderError::unavailable(
                    "containerd is not reachable",
                    Error::Containerd { step, source },
                )
            }
            e => ProviderError::internal("running functions on containerd", e),
        }
    }
}

/// `err` and its causes, `: `-separated.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use faas_core::ErrorKind;

    #[test]
    fn converts_by_cause() {
        let e: ProviderError = Error::Invalid("bad".into()).into();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        let e: ProviderError = Error::containerd("listing", tonic::Status::unavailable("x")).into();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        let e: ProviderError = Error::containerd("listing", tonic::Status::internal("x")).into();
        assert_eq!(e.kind(), ErrorKind::Internal);
        let e: ProviderError = Error::ImageNotFound {
            reference: "x".into(),
            source: "manifest unknown".into(),
        }
        .into();
        assert_eq!(e.to_string(), "pulling image x: manifest unknown");
        assert!(Error::containerd("x", tonic::Status::not_found("y")).is_not_found());
    }
}

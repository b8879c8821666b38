//! [`Error`]: the one error type of the CLI library.
//!
//! Every command returns it; `main` prints it once as `faas: <chain>` (each `source` joined by
//! `: `) and exits 1. Variants name the step that failed; [`Error::During`] adds what the
//! command was doing ("deploying hello-python") in front of a lower-level error, so messages
//! never repeat their source's text.

use std::path::PathBuf;
use std::time::Duration;

use http::StatusCode;

/// Why a command failed. None is worth retrying automatically: the user has to fix a flag, a
/// file, the gateway address or their credentials, or install a builder.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A flag or argument is wrong or missing; the message says how to fix it.
    #[error("{0}")]
    Usage(String),
    /// What the command was doing when `source` happened.
    #[error("{action}")]
    During {
        /// What we were doing, e.g. `deploying hello-python`.
        action: String,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// The stack file, a template, a store document or a build folder (faas-stack's error names
    /// the file, line and field).
    #[error(transparent)]
    Stack(#[from] faas_stack::Error),
    /// Reading or writing a local file failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// `read`, `write`, `create`, `copy to` …
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The config file (`~/.openfaas/config.yml`) is not valid YAML of the expected shape.
    #[error("{} is not a valid faas config file: {message}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A gateway or store URL cannot be used.
    #[error("invalid URL {url:?}: {message}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// No TCP/TLS connection could be made.
    #[error("cannot connect to {url}")]
    Connect {
        /// The URL requested.
        url: String,
        /// The underlying cause (connection refused, DNS, TLS).
        #[source]
        source: std::io::Error,
    },
    /// An https server's certificate failed verification (unknown CA, self-signed, wrong name,
    /// expired).
    #[error("the TLS certificate of {url} cannot be trusted ({reason}); give the gateway a certificate from a trusted CA, or pass --tls-no-verify to skip the check")]
    Certificate {
        /// The URL requested.
        url: String,
        /// rustls's reason, e.g. `invalid peer certificate: UnknownIssuer`.
        reason: String,
    },
    /// The request or its response body failed after connecting.
    #[error("request to {url} failed")]
    Http {
        /// The URL requested.
        url: String,
        /// hyper's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No complete answer within the command's timeout.
    #[error("no answer from {url} within {}s", after.as_secs_f64())]
    Timeout {
        /// The URL requested.
        url: String,
        /// The timeout.
        after: Duration,
    },
    /// The gateway answered 401.
    #[error("unauthorized access, run \"faas login\" to setup authentication for this server")]
    Unauthorized,
    /// The server answered an unexpected status; `body` is its (trimmed) message.
    #[error("{}", status_message(*status, body))]
    Status {
        /// The status.
        status: StatusCode,
        /// The body, trimmed.
        body: String,
    },
    /// A response body is not the JSON we expect.
    #[error("unexpected answer from {url}")]
    Decode {
        /// The URL requested.
        url: String,
        /// serde's error.
        #[source]
        source: serde_json::Error,
    },
    /// No image builder is installed, or running one failed.
    #[error("{0}")]
    Builder(String),
    /// An external command (git, the builder) could not be started or failed.
    #[error("{command} {}", outcome)]
    Command {
        /// The program and its main arguments, e.g. `git clone`.
        command: String,
        /// `exited with status 1`, or the start error.
        outcome: String,
    },
    /// Some functions of a multi-function command failed; each was reported already.
    #[error("{failed} of {total} functions failed")]
    SomeFailed {
        /// How many failed.
        failed: usize,
        /// How many were attempted.
        total: usize,
    },
}

fn status_message(status: StatusCode, body: &str) -> String {
    if body.is_empty() {
        format!("the server answered {status}")
    } else {
        format!("the server answered {status}: {body}")
    }
}

impl Error {
    /// A usage error with this message.
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    /// An I/O error on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The HTTP status, when the server answered one we did not expect.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status { status, .. } => Some(*status),
            Error::Unauthorized => Some(StatusCode::UNAUTHORIZED),
            Error::During { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The whole chain on one line: this error and each `source`, joined by `: `.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            let part = cause.to_string();
            if !part.is_empty() && !text.ends_with(&part) {
                text.push_str(": ");
                text.push_str(&part);
            }
            next = cause.source();
        }
        text
    }
}

/// Adds what a command was doing to an error (`.during("listing functions")`).
pub trait During<T> {
    /// Wraps the error in [`Error::During`].
    fn during(self, action: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T, E: Into<Error>> During<T> for Result<T, E> {
    fn during(self, action: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|e| Error::During {
            action: action(),
            source: Box::new(e.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_joins_sources_once() {
        let err: Result<(), Error> = Err(Error::Connect {
            url: "http://127.0.0.1:1/system/functions".into(),
            source: std::io::Error::new(
                std::io::ErrorKind::ConnectionRefused,
                "connection refused",
            ),
        });
        let err = err.during(|| "listing functions".into()).unwrap_err();
        assert_eq!(
            err.chain(),
            "listing functions: cannot connect to http://127.0.0.1:1/system/functions: connection refused"
        );
        let status = Error::Status {
            status: StatusCode::NOT_FOUND,
            body: "function x not found".into(),
        };
        assert_eq!(
            status.chain(),
            "the server answered 404 Not Found: function x not found"
        );
    }
}

//! [`GatewayError`]: the one error type of this crate.

use std::path::PathBuf;
use std::time::Duration;

use faas_core::{FunctionRef, ProviderError};

/// A boxed error kept as a cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in the gateway, from start-up to a single request.
///
/// Start-up errors (`ReadSecret`, `Accept`) are returned by [`BasicAuth::from_secrets_dir`] and
/// [`serve`]; a binary prints the chain and exits. Every other variant is a request failure
/// that the gateway's `rescue` module turns into an HTTP response — the status each one maps to
/// is written on the variant. Callers embedding the [`Gateway`] never see request errors: they
/// arrive as responses.
///
/// [`BasicAuth::from_secrets_dir`]: crate::BasicAuth::from_secrets_dir
/// [`serve`]: crate::serve
/// [`Gateway`]: crate::Gateway
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// A basic-auth secret file could not be read at start-up.
    #[error("reading basic-auth secret {}", path.display())]
    ReadSecret {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The listener failed in a way that is not per-connection.
    #[error("accepting connections")]
    Accept(#[source] std::io::Error),

    /// A provider call failed; the status follows its [`faas_core::ErrorKind`].
    #[error(transparent)]
    Provider(#[from] ProviderError),

    /// No route has this path (404 `404 page not found`).
    #[error("404 page not found")]
    RouteNotFound,
    /// The route exists but not for this method (405).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Missing or wrong credentials on a `/system` route (401).
    #[error("invalid credentials")]
    Unauthorized,
    /// Logged in with the UI's cookie, but a state-changing request lacks the session's CSRF
    /// token or comes from another origin (403); the message says which.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The request body could not be read (400).
    #[error("reading the request body")]
    ReadBody(#[source] BoxError),
    /// The request body is larger than the route accepts (413).
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The request body is not the JSON document the route expects (400).
    #[error("invalid JSON in the {what}")]
    BadJson {
        /// What was being read, e.g. `deployment request body`.
        what: &'static str,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The request is well-formed but asks for something invalid; the message says what (400).
    #[error("{0}")]
    BadRequest(String),
    /// The query of `/system/logs` does not parse (422, docs/api.md §9).
    #[error("could not parse the log request: {0}")]
    BadLogQuery(String),

    /// The function of an invocation does not exist (404).
    #[error("function {0} not found")]
    FunctionNotFound(FunctionRef),
    /// The function has no ready replica and none became ready in time (503).
    #[error("function {function} has no ready replica after waiting {waited:?}")]
    NotReady {
        /// The function.
        function: FunctionRef,
        /// How long the gateway waited.
        waited: Duration,
    },
    /// The function has no ready replica and scale from zero is off (503).
    #[error("function {0} has no ready replica")]
    NoReplica(FunctionRef),
    /// The replica could not be connected to (502).
    #[error("cannot reach function {function}")]
    UpstreamConnect {
        /// The function.
        function: FunctionRef,
        /// The connect failure.
        #[source]
        source: BoxError,
    },
    /// The replica accepted the connection but the exchange failed (502).
    #[error("function {function} failed to answer")]
    UpstreamFailed {
        /// The function.
        function: FunctionRef,
        /// What failed.
        #[source]
        source: BoxError,
    },
    /// The replica sent no response head before the function's deadline (504).
    #[error("function {function} did not answer within {after:?}")]
    UpstreamTimeout {
        /// The function.
        function: FunctionRef,
        /// The deadline it had.
        after: Duration,
    },
    /// `/async-function` was called but no queue is configured (404: the route does not exist
    /// on this gateway, as upstream without NATS).
    #[error("async invocations are not configured on this gateway")]
    AsyncNotConfigured,
}

impl GatewayError {
    /// A [`GatewayError::BadRequest`] with this message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    /// The message followed by every cause, `: `-separated: the one line of an error body.
    pub fn chain(&self) -> String {
        use std::error::Error as _;
        let mut out = self.to_string();
        let mut cause = self.source();
        while let Some(c) = cause {
            let text = c.to_string();
            // `transparent` variants repeat the inner message as their own: print it once.
            if !out.ends_with(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
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
        let err = GatewayError::from(ProviderError::unavailable(
            "connecting to containerd",
            std::io::Error::other("refused"),
        ));
        assert_eq!(err.chain(), "connecting to containerd: refused");
        let err = GatewayError::ReadSecret {
            path: "/s/basic-auth-user".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(
            err.chain(),
            "reading basic-auth secret /s/basic-auth-user: entity not found"
        );
    }
}

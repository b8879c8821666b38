//! [`Error`]: the crate's one error type, turned into a [`ProviderError`] in one `From`.
//!
//! Callers of the [`Provider`](faas_core::Provider) methods only ever see `ProviderError`;
//! this enum exists so each failure names the step that failed, and so the mapping from
//! Kubernetes status codes to the gateway's error classes lives in one place.

use faas_core::{FunctionRef, ProviderError};

/// What went wrong in a Kubernetes provider operation.
///
/// `Api` carries the API server's answer; its status code decides the [`ProviderError`] class
/// (404 → not found, 409 AlreadyExists → already exists, other 409 → conflict, 400/422 →
/// invalid, connection failures and timeouts → unavailable, anything else → internal). The
/// other variants are decisions the provider made itself.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Kubernetes API call failed; `action` says what we were doing.
    #[error("{action}")]
    Api {
        /// What we were doing, e.g. `creating Deployment echo in openfaas-fn`.
        action: String,
        /// The client's error, including the API server's status.
        #[source]
        source: kube::Error,
    },
    /// The request broke a rule (name, quantity, label); the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// No function of that name in that namespace.
    #[error("function {0} not found")]
    FunctionNotFound(FunctionRef),
    /// A Deployment of that name exists but is not a function (no `faas_function` label).
    #[error("not a function: {0} (its Deployment has no faas_function label)")]
    NotAFunction(FunctionRef),
    /// A secret the function mounts does not exist.
    #[error("unable to fetch secret {name} in namespace {namespace}: create it first")]
    SecretMissing {
        /// The secret's name.
        name: String,
        /// The namespace it was looked up in.
        namespace: String,
    },
    /// A scale request asked for more than `com.openfaas.scale.max`.
    #[error("function {function} may have at most {max} replicas (label com.openfaas.scale.max), asked for {replicas}")]
    AboveMaxReplicas {
        /// The function.
        function: FunctionRef,
        /// What was asked for.
        replicas: u64,
        /// Its maximum.
        max: u32,
    },
    /// The namespace is not one this provider serves.
    #[error("namespace {0} is not valid: it is not an OpenFaaS namespace")]
    NamespaceNotAllowed(String),
    /// The namespace does not exist or is not marked as an OpenFaaS one.
    #[error("namespace {0} not found")]
    NamespaceNotFound(String),
    /// The namespace still holds functions or secrets.
    #[error("namespace {namespace} still has {what}: delete them first")]
    NamespaceInUse {
        /// The namespace.
        namespace: String,
        /// What is left, e.g. `2 functions`.
        what: String,
    },
    /// Namespace management needs multi-namespace mode (and its ClusterRole).
    #[error("namespace management needs multi-namespace mode (--multi-namespace and the ClusterRole in deploy/k8s/multi-namespace/)")]
    NamespacesDisabled,
    /// The Deployment cache did not finish its first sync in time.
    #[error("the function cache has not synced with the Kubernetes API yet")]
    CacheNotSynced,
}

impl Error {
    /// Wraps a Kubernetes client error with what we were doing.
    pub fn api(action: impl Into<String>, source: kube::Error) -> Self {
        Self::Api {
            action: action.into(),
            source,
        }
    }

    /// The HTTP status the API server answered with, when the call got that far.
    pub fn api_status(&self) -> Option<u16> {
        match self {
            Self::Api {
                source: kube::Error::Api(status),
                ..
            } => Some(status.code),
            _ => None,
        }
    }

    /// Whether the API server answered 404.
    pub fn is_not_found(&self) -> bool {
        self.api_status() == Some(404)
    }

    /// Whether the API server answered 409 (exists, or a stale `resourceVersion`).
    pub fn is_conflict(&self) -> bool {
        self.api_status() == Some(409)
    }
}

/// Turns a `kube` result into ours, naming the step.
pub(crate) trait ApiResultExt<T> {
    /// Maps the error to [`Error::Api`] with `action` (built only on failure).
    fn during(self, action: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T> ApiResultExt<T> for Result<T, kube::Error> {
    fn during(self, action: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|source| Error::api(action(), source))
    }
}

impl From<Error> for ProviderError {
    fn from(err: Error) -> Self {
        match err {
            Error::Api { action, source } => from_api(action, source),
            Error::Invalid(_)
            | Error::SecretMissing { .. }
            | Error::AboveMaxReplicas { .. }
            | Error::NamespaceNotAllowed(_)
            | Error::NotAFunction(_) => ProviderError::invalid(err.to_string()),
            Error::FunctionNotFound(_) | Error::NamespaceNotFound(_) => {
                ProviderError::not_found(err.to_string())
            }
            Error::NamespaceInUse { .. } => ProviderError::conflict(err.to_string()),
            Error::NamespacesDisabled => ProviderError::unsupported(err.to_string()),
            Error::CacheNotSynced => ProviderError::Unavailable {
                message: err.to_string(),
                source: None,
            },
        }
    }
}

/// The class of a failed API call, from the API server's status.
fn from_api(action: String, source: kube::Error) -> ProviderError {
    let status = match &source {
        kube::Error::Api(status) => status.clone(),
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            return ProviderError::unavailable(action, source)
        }
        _ => return ProviderError::internal(action, source),
    };
    let detail = format!("{action}: {}", status.message);
    match status.code {
        404 | 410 => ProviderError::not_found(detail),
        409 if status.is_already_exists() => ProviderError::already_exists(detail),
        409 => ProviderError::conflict(detail),
        400 | 422 => ProviderError::invalid(detail),
        408 | 429 | 503 | 504 => ProviderError::unavailable(action, source),
        _ => ProviderError::internal(action, source),
    }
}

#[cfg(test)]
mod tests {
    use faas_core::ErrorKind;

    use super::*;

    fn api_error(code: u16, reason: &str) -> Error {
        let status = kube::core::Status::failure("boom", reason).with_code(code);
        Error::api("doing a thing", kube::Error::Api(status.boxed()))
    }

    #[test]
    fn api_statuses_map_to_classes() {
        let cases = [
            (404, "NotFound", ErrorKind::NotFound),
            (409, "AlreadyExists", ErrorKind::AlreadyExists),
            (409, "Conflict", ErrorKind::Conflict),
            (422, "Invalid", ErrorKind::Invalid),
            (400, "BadRequest", ErrorKind::Invalid),
            (403, "Forbidden", ErrorKind::Internal),
            (504, "Timeout", ErrorKind::Unavailable),
        ];
        for (code, reason, kind) in cases {
            let err = api_error(code, reason);
            assert_eq!(ProviderError::from(err).kind(), kind, "{code} {reason}");
        }
        let not_found: ProviderError = api_error(404, "NotFound").into();
        assert_eq!(not_found.to_string(), "doing a thing: boom");
    }

    #[test]
    fn own_variants_map_to_classes() {
        let f = FunctionRef::new("echo", None);
        assert!(ProviderError::from(Error::FunctionNotFound(f.clone())).is_not_found());
        assert_eq!(
            ProviderError::from(Error::NotAFunction(f)).kind(),
            ErrorKind::Invalid
        );
        assert_eq!(
            ProviderError::from(Error::NamespacesDisabled).kind(),
            ErrorKind::Unsupported
        );
        assert!(api_error(409, "Conflict").is_conflict());
    }
}

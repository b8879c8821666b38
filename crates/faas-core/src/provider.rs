//! The [`Provider`] trait: what a backend does so the gateway can serve the OpenFaaS API.

use std::future::Future;
use std::pin::Pin;

use futures_core::Stream;

use crate::endpoint::Resolved;
use crate::error::ProviderError;
use crate::function::{FunctionDeployment, FunctionStatus};
use crate::info::ProviderInfo;
use crate::logs::{LogMessage, LogRequest};
use crate::name::FunctionRef;
use crate::namespace::NamespaceRequest;
use crate::secret::{Secret, SecretDescription};

/// A boxed, sendable future: what every async [`Provider`] method returns, so the trait stays
/// object-safe and can be held as `Arc<dyn Provider>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A stream of log lines; ends when the logs are exhausted (or, when following, when the
/// function goes away).
pub type LogStream = Pin<Box<dyn Stream<Item = Result<LogMessage, ProviderError>> + Send>>;

/// What a successful deploy or update reports besides success: warnings for the user (the
/// gateway sends each as an HTTP `Warning: 299` header and the CLI prints it), e.g. that the
/// registry could not be reached and the image already on the machine was used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployOutcome {
    /// Human-readable warnings, one sentence each, in the order they arose.
    pub warnings: Vec<String>,
}

impl DeployOutcome {
    /// An outcome with no warning.
    pub fn ok() -> Self {
        Self::default()
    }
}

/// A function backend: containerd, Kubernetes, or a downstream crate's own.
///
/// Every method is a contract with the gateway, which turns the [`ProviderError`] variant into the
/// HTTP status of `docs/api.md`. Namespaces passed in are already defaulted to `openfaas-fn`
/// ([`crate::DEFAULT_NAMESPACE`]), and deployments have passed [`FunctionDeployment::validate`].
/// Implementations must be cheap to call concurrently; the gateway holds one `Arc<dyn Provider>`.
pub trait Provider: Send + Sync + 'static {
    /// The provider's name, orchestration and version, for `/system/info`. Answered from memory.
    fn info(&self) -> ProviderInfo;

    /// Whether the backend is reachable, for `/healthz` (docs/api.md §8).
    fn health(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }

    /// Deploys a new function with `com.openfaas.scale.min` replicas (default 1) (docs/api.md §5.2).
    /// `AlreadyExists` when the name is taken in that namespace; `Invalid` for a missing secret
    /// or an image that cannot be pulled. A failed deploy leaves nothing behind. A success may
    /// carry warnings ([`DeployOutcome`]).
    fn deploy(
        &self,
        deployment: FunctionDeployment,
    ) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>>;

    /// Replaces a function's deployment. `NotFound` when it does not exist (faas-cli then
    /// deploys). The new version is checked (image pulled, secrets present) before the old one is
    /// touched; on any failure the old version keeps serving and the error is returned. A
    /// success may carry warnings ([`DeployOutcome`]).
    fn update(
        &self,
        deployment: FunctionDeployment,
    ) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>>;

    /// Deletes a function and everything it owns. `NotFound` when it does not exist.
    fn delete(&self, function: FunctionRef) -> BoxFuture<'_, Result<(), ProviderError>>;

    /// Every function in `namespace` (an empty list when there are none). `invocationCount` is
    /// left 0: the gateway fills it. `Invalid` for a namespace that is not an OpenFaaS one.
    fn list(&self, namespace: String) -> BoxFuture<'_, Result<Vec<FunctionStatus>, ProviderError>>;

    /// One function's status; `NotFound` when it does not exist. With `usage`, fill
    /// [`FunctionStatus::usage`] if the provider can measure it.
    fn get(
        &self,
        function: FunctionRef,
        usage: bool,
    ) -> BoxFuture<'_, Result<FunctionStatus, ProviderError>>;

    /// Sets the desired replicas; idempotent; 0 is allowed (scale to zero). `NotFound` when the
    /// function does not exist; `Invalid` above the function's `com.openfaas.scale.max`.
    /// Returns once the new desired count is recorded, not when replicas are ready.
    fn scale(
        &self,
        function: FunctionRef,
        replicas: u64,
    ) -> BoxFuture<'_, Result<(), ProviderError>>;

    /// Where an invocation of `function` goes, answered **from memory** — never a backend call,
    /// since it runs on every invocation. `NotFound` when the function does not exist.
    /// An empty [`Resolved::endpoints`] means no replica is ready yet.
    fn resolve(&self, function: &FunctionRef) -> Result<Resolved, ProviderError>;

    /// A future that completes when `function` has a ready replica, for providers that can
    /// signal readiness; the gateway bounds it with its own deadline. The default, `None`, makes
    /// the gateway poll [`Provider::resolve`] instead (every few milliseconds).
    fn wait_ready(
        &self,
        function: FunctionRef,
    ) -> Option<BoxFuture<'_, Result<Resolved, ProviderError>>> {
        let _ = function;
        None
    }

    /// Secret names (never values) in `namespace`.
    fn list_secrets(
        &self,
        namespace: String,
    ) -> BoxFuture<'_, Result<Vec<SecretDescription>, ProviderError>>;

    /// Creates a secret; `AlreadyExists` when it exists.
    fn create_secret(&self, secret: Secret) -> BoxFuture<'_, Result<(), ProviderError>>;

    /// Replaces a secret's value; `NotFound` when it does not exist. Running functions see the
    /// new value.
    fn update_secret(&self, secret: Secret) -> BoxFuture<'_, Result<(), ProviderError>>;

    /// Deletes a secret; `NotFound` when it does not exist.
    fn delete_secret(
        &self,
        namespace: String,
        name: String,
    ) -> BoxFuture<'_, Result<(), ProviderError>>;

    /// A function's log lines as `request` asks (docs/api.md §9). `NotFound` for an unknown function;
    /// `Unsupported` when the provider keeps no logs.
    fn logs(&self, request: LogRequest) -> BoxFuture<'_, Result<LogStream, ProviderError>>;

    /// The OpenFaaS namespaces (always including `openfaas-fn`).
    fn list_namespaces(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>>;

    /// One namespace; `NotFound` when it is not an OpenFaaS namespace.
    fn get_namespace(&self, name: String)
        -> BoxFuture<'_, Result<NamespaceRequest, ProviderError>>;

    /// Creates a namespace, adding the OpenFaaS marker; `AlreadyExists` when it exists.
    fn create_namespace(
        &self,
        namespace: NamespaceRequest,
    ) -> BoxFuture<'_, Result<(), ProviderError>>;

    /// Replaces a namespace's labels and annotations (keeping the marker); `NotFound` when absent.
    fn update_namespace(
        &self,
        namespace: NamespaceRequest,
    ) -> BoxFuture<'_, Result<(), ProviderError>>;

    /// Deletes a namespace; `NotFound` when absent, `Conflict` while it still has functions or
    /// secrets.
    fn delete_namespace(&self, name: String) -> BoxFuture<'_, Result<(), ProviderError>>;
}

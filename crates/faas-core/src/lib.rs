//! The OpenFaaS function model and the [`Provider`] trait.
//!
//! This crate is what every part of the platform agrees on: the JSON documents of the OpenFaaS
//! gateway API (`docs/api.md`), the rules for function, namespace and secret names, and the async
//! [`Provider`] trait that a backend (containerd, Kubernetes, or a downstream crate's own)
//! implements so that `faas-gateway` can serve it.
//!
//! What it is **not**: it does no I/O, runs no server and knows no backend. It depends on serde and
//! a few small data crates only, so a downstream provider pulls in nothing it does not need.
//!
//! # Layout
//! - [`provider`]: the [`Provider`] trait — start here.
//! - [`function`]: [`FunctionDeployment`], [`FunctionStatus`], scale and delete requests.
//! - [`secret`], [`namespace`], [`info`], [`logs`]: the other API documents.
//! - [`name`]: name validation and the `name.namespace` addressing of invocations.
//! - [`endpoint`]: where an invocation goes, answered from memory by [`Provider::resolve`].
//! - [`quantity`]: memory and CPU quantities (`128Mi`, `500m`).
//! - [`timeout`]: Go-style durations and a function's invocation deadline from its env.
//! - [`queue`]: the queued (async) invocation and the [`InvocationQueue`] trait.
//! - [`error`]: [`ProviderError`], the one error type providers return.
//! - `fake` (feature `test-util`): an in-memory provider for tests.

#![deny(missing_docs)]

pub mod endpoint;
pub mod error;
pub mod function;
pub mod info;
pub mod logs;
pub mod name;
pub mod namespace;
pub mod provider;
pub mod quantity;
pub mod queue;
pub mod secret;
pub mod timeout;

#[cfg(feature = "test-util")]
pub mod fake;

pub use endpoint::{EndpointSet, Resolved};
pub use error::{ErrorKind, ProviderError};
pub use function::{
    DeleteFunctionRequest, FunctionDeployment, FunctionResources, FunctionStatus, FunctionUsage,
    ScaleServiceRequest,
};
pub use info::{GatewayInfo, ProviderInfo, VersionInfo};
pub use logs::{LogMessage, LogRequest};
pub use name::{FunctionRef, DEFAULT_NAMESPACE};
pub use namespace::NamespaceRequest;
pub use provider::{BoxFuture, DeployOutcome, LogStream, Provider};
pub use queue::{InvocationQueue, QueuedInvocation};
pub use secret::{Secret, SecretDescription};

//! Kubernetes mode: a [`faas_core::Provider`] that runs each function as a Deployment and a
//! Service in the function namespace (`openfaas-fn`), producing the objects faas-netes does
//! (`docs/kubernetes.md`), so `kubectl`, probes and tools see what they expect.
//!
//! What it is **not**: it runs no HTTP server (the gateway serves it) and reads no
//! configuration from the environment (the `faas-k8s` binary does). It talks to the API server
//! only through the [`kube::Client`] it is given, so tests use a mock API server.
//!
//! Start with [`K8sProvider::new`]: it returns the provider and the [`Watchers`] that keep its
//! in-memory views current; spawn them, then serve the provider.
//!
//! # Layout
//! - [`provider`]: [`K8sProvider`], the trait's dispatch, and the watch tasks.
//! - [`objects`]: pure builders of the Deployment and Service of a function.
//! - [`status`]: pure mapping from a Deployment to a function's status and replica counts.
//! - [`endpoints`]: the ready-endpoint table fed by EndpointSlices, read on every invocation.
//! - `functions`: deploy, update, delete, scale, list, get against the API server.
//! - [`secrets`], [`namespaces`], [`logs`]: the other API resources, builders and calls.
//! - [`rbac`]: the API access the provider needs, as data the manifests are tested against.
//! - [`labels`]: label and annotation keys; [`config`]: [`ProviderConfig`].
//! - [`error`]: [`Error`], converted to [`faas_core::ProviderError`] in one `From`.

#![deny(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod config;
pub mod endpoints;
pub mod error;
mod functions;
pub mod labels;
pub mod logs;
pub mod namespaces;
pub mod objects;
pub mod provider;
pub mod rbac;
pub mod secrets;
pub mod status;

pub use config::{ImagePullPolicy, ProviderConfig};
pub use endpoints::EndpointTable;
pub use error::Error;
/// The `kube` client crate, re-exported so callers build a [`kube::Client`] with the exact
/// version this crate uses.
pub use kube;
pub use provider::{K8sProvider, WatcherTasks, Watchers};

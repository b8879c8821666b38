//! faasd mode: a [`faas_core::Provider`] that runs each function replica as a containerd task
//! on a CNI bridge, on one machine, with no orchestrator.
//!
//! Construct it with [`ContainerdProvider::start`] from a [`ContainerdConfig`]; it brings back
//! every function persisted in its state directory and keeps them at their desired replicas in
//! the background. Invocations are routed from memory ([`Provider::resolve`](faas_core::Provider::resolve)):
//! no containerd call per request.
//!
//! What it is **not**: an HTTP server (that is `faas-gateway`), or a general container runtime.
//!
//! # Layout
//! - [`provider`]: [`ContainerdProvider`] and its `Provider` implementation — start here.
//! - [`config`]: [`ContainerdConfig`], with the faasd defaults.
//! - `functions` / `reconcile`: deploy, rolling update, delete, scale; restart and adoption.
//! - [`replica`]: the in-memory table of functions and ready replicas.
//! - [`task`]: one replica's snapshot, container and task; [`readiness`]: its check.
//! - [`spec`]: the OCI runtime spec, typed with `oci-spec`'s builders (pure); [`cni`]: the bridge network (config pure, plugins run directly).
//! - [`image`]: registry pulls through `oci-client` (references, auth, platform), archive imports,
//!   and writing images into containerd's content store and snapshots (ours).
//! - [`state`], [`secrets`], [`logs`], [`namespaces`]: what lives in the state dir and in containerd namespaces;
//!   [`secret_mounts`]: secrets readable by a function's non-root user.
//! - [`resolv`]: the functions' resolv.conf (pure); [`usage`]: CPU and memory from the replicas' cgroups.
//! - [`test_image`]: busybox images built in Rust, for tests and demos (unused by the provider).
//! - [`client`]: the gRPC channel and namespace/lease metadata; [`error`]: [`Error`].

pub mod client;
pub mod cni;
pub mod config;
pub mod error;
mod functions;
pub mod image;
pub mod logs;
pub mod namespaces;
pub mod netns;
pub mod provider;
pub mod readiness;
mod reconcile;
pub mod replica;
pub mod resolv;
pub mod secret_mounts;
pub mod secrets;
pub mod spec;
pub mod state;
pub mod task;
pub mod test_image;
pub mod usage;

pub use config::{ContainerdConfig, Ipv4Net, NetworkConfig, Readiness};
pub use error::{Error, Result};
pub use provider::ContainerdProvider;

//! The OpenFaaS gateway HTTP API (`docs/api.md`) as a hyper 1 / tower service over any
//! [`faas_core::Provider`], wire-compatible with the unmodified faas-cli.
//!
//! What it is **not**: it knows no backend (containerd, Kubernetes — that is the provider's
//! job) and binds no port and reads no signal (the binary does, then calls [`serve`]).
//!
//! Start with [`serve`], or [`router`] to embed the [`Gateway`] service in another server.
//!
//! # Layout
//! - [`config`]: [`GatewayConfig`], what the gateway is told at start-up.
//! - [`auth`]: [`BasicAuth`] on every `/system/*` route.
//! - `gateway`: the [`Gateway`] service; `route`: the route table, matched by path segments.
//! - `invoke`: the `/function/*` proxy as one tower stack of the layers in `layer/`
//!   (call id, lookup, metrics, scale from zero, deadline) over `forward` (the pooled client).
//! - `system/`: the management routes, one file per resource; `async_invoke`: `/async-function`.
//! - `ui`: the web UI at `/ui/` (static files embedded in the binary; `/` redirects there).
//! - `rescue`: the one place errors become HTTP responses.
//! - [`metrics`]: Prometheus metrics with the upstream names.
//! - `proxy_headers`: hop-by-hop removal, `X-Forwarded-*`, `X-Call-Id`.
//! - `server`: the accept loop with graceful shutdown.
//! - [`error`]: [`GatewayError`], the crate's one error type.

#![deny(clippy::disallowed_methods, clippy::disallowed_types)]

mod async_invoke;
pub mod auth;
mod body;
pub mod config;
pub mod error;
mod forward;
mod gateway;
mod idle;
mod invoke;
mod layer;
pub mod metrics;
mod proxy_headers;
mod query;
mod request_body;
mod rescue;
mod route;
mod server;
mod system;
mod ui;

pub use auth::BasicAuth;
pub use body::GatewayBody;
pub use config::GatewayConfig;
pub use error::GatewayError;
pub use faas_core;
pub use gateway::{router, Gateway, ResponseFuture};
pub use metrics::Metrics;
pub use server::{serve, serve_gateway, serve_metrics};

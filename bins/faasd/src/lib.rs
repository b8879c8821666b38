//! `faasd`: faasd mode in one process — the OpenFaaS gateway ([`faas_gateway`]) over the
//! containerd provider ([`faas_provider_containerd`]), with the durable async queue
//! ([`faas_queue`]) on a supervised `nats-server -js`.
//!
//! The binary parses [`cli::Cli`] and calls one function per subcommand; everything else is here.
//!
//! # Layout
//! - [`cli`]: clap types (the help text).
//! - [`up`]: `faasd up` — preflight, credentials, provider, gateway, queue, shutdown.
//! - [`preflight`]: root, containerd and CNI checks with one actionable line each.
//! - [`credentials`]: `<state>/secrets/basic-auth-{user,password}`, created when missing.
//! - [`nats`]: the supervised local `nats-server`.
//! - [`metrics`]: the metrics listener (gateway and queue metrics on one `/metrics`).
//! - [`install`]: `faasd install` — the units, the registry's configuration, starting them.
//! - [`units`]: the text of the systemd units and of the registry's configuration.
//! - [`provider`]: `faasd provider` — the host prepared for functions (the `faasd-provider` unit).
//! - [`base_images`]: `faasd base-images` — the templates' base images in the local registry.
//! - [`import`]: `faasd import` — an image archive into a function namespace.
//! - [`error`]: [`Error`] and its exit codes.

#![deny(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod base_images;
pub mod cli;
pub mod credentials;
pub mod error;
pub mod import;
pub mod install;
pub mod metrics;
pub mod nats;
pub mod preflight;
pub mod provider;
pub mod units;
pub mod up;

pub use error::Error;

/// Writes `contents` to `path` through a temporary file and a rename, with `mode`.
pub fn write_atomically(path: &std::path::Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

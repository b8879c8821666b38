//! The `faas` command line: a drop-in for faas-cli 0.16 (same commands, flags, stack files and
//! config file) that fails loudly, works offline with the templates it ships, and builds with
//! buildah, docker or nerdctl.
//!
//! What it is **not**: no gateway (that is `faas-gateway`), no stack-file parser (that is
//! `faas-stack`, used for loading, merging, templates and build folders).
//!
//! # Layout
//! - [`cli`]: clap types only; doc comments are the help.
//! - [`settings`]: flags, environment, config and stack file merged (gateway precedence).
//! - [`commands`]: one file per command, each returning [`ExitStatus`] or an [`Error`].
//! - [`gateway_client`]: the gateway API over [`http_client`] (hyper-util's legacy client).
//! - [`config`]: `~/.openfaas/config.yml` in faas-cli's format.
//! - [`templates`]: the shipped templates and `./template/`.
//! - [`builder`]: buildah / docker / nerdctl; [`git`]: tags and clones.
//! - [`local_registry`]: images without a host, base image checks before a build.
//! - [`fetch`]: documents from a path or URL (stores, remote stack files).
//! - [`output`]: the only module that prints.
//! - [`error`]: [`Error`], the crate's one error type.
//!
//! Start with [`run`].

#![deny(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod builder;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod fetch;
pub mod gateway_client;
pub mod git;
pub mod http_client;
pub mod local_registry;
pub mod output;
pub mod settings;
pub mod templates;

pub use cli::Cli;
pub use commands::{run, ExitStatus};
pub use error::Error;
pub use settings::{Context, Env};

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("faas/", env!("CARGO_PKG_VERSION"));

/// The client's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

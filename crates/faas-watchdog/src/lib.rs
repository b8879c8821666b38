//! The function watchdog: the HTTP server in every function container (docs/watchdog.md).
//!
//! It turns HTTP requests into process invocations (fork modes) or proxies them to a server the
//! function starts (http mode), and is a drop-in for both upstream watchdogs: the classic
//! watchdog (fork per request, `mode` unset) and of-watchdog (`streaming`, `serializing`, `http`,
//! `static`). Configuration is environment only ([`Config::from_env`]).
//!
//! It also serves Prometheus metrics of the function requests (`http_requests_total`,
//! `http_request_duration_seconds`, `http_requests_in_flight`) on `GET /metrics` of a second
//! port, `metrics_port` (default 8081, `0` = none).
//!
//! What it is **not**: it binds no socket and reads no signal — the `fwatchdog` binary does both
//! and passes the listeners and a shutdown future to [`serve`].
//!
//! # Layout
//! - [`config`]: [`Config`] from environment variables, with per-mode defaults — start here.
//! - `server`: [`serve`], the accept loop, routing, `max_inflight` and the SIGTERM drain.
//! - `metrics`, `metrics_server`: request metrics and the `/metrics` endpoint that serves them.
//! - `fork`: classic and `serializing` modes — one process per request, output buffered.
//! - `streaming`: `streaming` mode — one process per request, stdout streamed as produced.
//! - `http_mode`: `http` mode — one upstream process, requests proxied to it.
//! - `static_files`: `static` mode — a file server.
//! - `health`: `/_/health`, `/_/ready` and the lock file.
//! - `process`: spawning function processes in their own process group and killing the group.
//! - `cgi_env`: the `Http_*` variables a forked process sees.
//! - `stdin_feed`, `function_log`: request body → stdin, and function output → logs.
//! - `body`, `response`, `inflight`: the response body type, watchdog-made responses, the
//!   in-flight counter.
//! - [`error`]: [`Error`], the crate's one error type.

pub mod config;
pub mod error;

mod body;
mod cgi_env;
mod fork;
mod function_log;
mod health;
mod http_mode;
mod inflight;
mod metrics;
mod metrics_server;
mod process;
mod response;
mod server;
mod static_files;
mod stdin_feed;
mod streaming;

pub use body::ResponseBody;
pub use config::{Config, FunctionProcess, Mode};
pub use error::Error;
pub use server::serve;

//! `fwatchdog`: the function watchdog binary.
//!
//! CLI glue only: read the configuration from the environment, start logging, bind the ports,
//! and hand the listeners plus a SIGTERM/ctrl-c future to [`faas_watchdog::serve`]. Everything
//! else lives in the `faas-watchdog` crate.
//!
//! The metrics port (`metrics_port`, default 8081, `0` = none) is optional: when it cannot be
//! bound the watchdog logs a warning and serves the function without metrics.
//!
//! Exit status: 0 after a requested shutdown, 64 on bad configuration, 1 on any other failure
//! (for example the http-mode upstream process exiting). `fwatchdog -run-healthcheck` exits 0
//! when the lock file exists and 1 otherwise, for Docker `HEALTHCHECK`s (docs/watchdog.md §5).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use faas_watchdog::{config, Config};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Exit status for bad configuration (`EX_USAGE`).
const EXIT_BAD_CONFIG: u8 = 64;

fn main() -> ExitCode {
    init_tracing();
    if std::env::args()
        .skip(1)
        .any(|a| a == "-run-healthcheck" || a == "--run-healthcheck")
    {
        return run_healthcheck();
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!("bad configuration: {}", error_chain(&error));
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> ExitCode {
    let address = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.port));
    let listener = match TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%address, "binding the listen port: {error}");
            return ExitCode::FAILURE;
        }
    };
    let metrics_listener = bind_metrics_port(config.metrics_port).await;
    match faas_watchdog::serve(listener, metrics_listener, config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{}", error_chain(&error));
            ExitCode::FAILURE
        }
    }
}

/// Binds the metrics port; `None` when disabled or taken (the function is served anyway).
async fn bind_metrics_port(port: Option<u16>) -> Option<TcpListener> {
    let Some(port) = port else {
        tracing::info!("metrics_port=0: no metrics endpoint");
        return None;
    };
    let address = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    match TcpListener::bind(address).await {
        Ok(listener) => Some(listener),
        Err(error) => {
            tracing::warn!(%address, "cannot bind the metrics port, serving without metrics: {error}");
            None
        }
    }
}

/// Resolves on SIGTERM or ctrl-c.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(terminate) => terminate,
        Err(error) => {
            tracing::error!("cannot listen for SIGTERM: {error}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = terminate.recv() => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received"),
    }
}

/// `-run-healthcheck`: exit 0 when the lock file exists.
fn run_healthcheck() -> ExitCode {
    let tmpdir = std::env::var("TMPDIR").ok();
    let lock = config::lock_path(tmpdir.as_deref());
    if lock.exists() {
        ExitCode::SUCCESS
    } else {
        tracing::warn!(path = %lock.display(), "lock file missing");
        ExitCode::FAILURE
    }
}

/// Logs to stdout, `info` unless `RUST_LOG` says otherwise; no colours (logs go to a collector).
fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .init();
}

/// An error and its causes on one line: `a: b: c`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

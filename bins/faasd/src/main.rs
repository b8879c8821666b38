//! `faasd`: CLI glue only — parse flags, start logging, run the subcommand from the `faasd`
//! library, map its error to an exit status (64 bad flags or configuration, 1 anything else).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use faasd::cli::{Cli, Command, ImportArgs, InstallArgs};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(64)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        // Colours only on a terminal, not in journald or a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("starting the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Up(args) => faasd::up::run(args, shutdown_signal()).await,
            Command::Install(args) => install(&args),
            Command::Import(args) => import(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = error.exit_code();
            tracing::error!("{:#}", anyhow::Error::new(error));
            ExitCode::from(code)
        }
    }
}

#[allow(clippy::print_stdout)] // install's next steps are its output
fn install(args: &InstallArgs) -> Result<(), faasd::Error> {
    let binary = std::env::current_exe()
        .context("finding this binary's path")
        .map_err(|e| faasd::Error::BadConfig(format!("{e:#}")))?;
    let installed = faasd::install::install(&binary, &args.state_dir, &args.unit_dir)?;
    println!("wrote {}", installed.unit.display());
    if installed.created_credentials {
        println!(
            "created the gateway credentials (user admin) in {}",
            installed
                .password
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    println!("next steps:");
    println!("  systemctl daemon-reload && systemctl enable --now faasd");
    println!(
        "  cat {} | faas login --password-stdin",
        installed.password.display()
    );
    Ok(())
}

#[allow(clippy::print_stdout)] // the image name is import's output
async fn import(args: ImportArgs) -> Result<(), faasd::Error> {
    let name = faasd::import::import(
        &args.common.containerd_socket,
        &args.common.namespace,
        args.archive,
        &args.name,
    )
    .await?;
    println!("{name}");
    Ok(())
}

/// Completes on SIGTERM (systemd stopping the unit) or ctrl-c.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

//! `faasd`: CLI glue only — parse flags, start logging, run the subcommand from the `faasd`
//! library, map its error to an exit status (64 bad flags or configuration, 1 anything else).

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use faasd::cli::{BaseImagesArgs, Cli, Command, ImportArgs, InstallArgs, ProviderArgs};
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
            Command::Provider(args) => provider(&args).await,
            Command::BaseImages(args) => base_images(&args),
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

fn this_binary() -> Result<std::path::PathBuf, faasd::Error> {
    std::env::current_exe()
        .context("finding this binary's path")
        .map_err(|e| faasd::Error::BadConfig(format!("{e:#}")))
}

#[allow(clippy::print_stdout)] // install's next steps are its output
fn install(args: &InstallArgs) -> Result<(), faasd::Error> {
    use faasd::install::InstallPlan;
    let binary = this_binary()?;
    let plan = InstallPlan {
        faasd: binary.clone(),
        state_dir: args.state_dir.clone(),
        unit_dir: args.unit_dir.clone(),
        registry: args.registry,
    };
    let installed = faasd::install::install(&plan)?;
    let print = |lines: Vec<String>| lines.iter().for_each(|l| println!("{l}"));
    print(faasd::install::written_lines(&installed, &plan));
    let systemd = faasd::install::systemd_is_running(std::path::Path::new("/run/systemd/system"));
    if systemd && !args.no_start {
        faasd::install::start_with_systemd()?;
        println!("started faasd-registry, faasd-provider and faasd (systemctl status faasd)");
        let fwatchdog = faasd::base_images::find_fwatchdog(args.fwatchdog.as_deref(), &binary)?;
        faasd::base_images::build(&faasd::base_images::BaseImagesPlan {
            registry: args.registry,
            fwatchdog,
            cache_dir: "/var/cache/faas".into(),
        })?;
    } else {
        print(faasd::install::to_run_lines(
            &installed,
            &plan,
            systemd,
            args.no_start,
        ));
    }
    print(faasd::install::login_lines(&installed));
    Ok(())
}

fn provider(args: &ProviderArgs) -> impl std::future::Future<Output = Result<(), faasd::Error>> {
    let plan = faasd::provider::ProviderPlan {
        containerd_socket: args.containerd_socket.clone(),
        state_dir: args.state_dir.clone(),
        cni_conf_dir: args.cni_conf_dir.clone(),
    };
    async move { faasd::provider::run(&plan).await }
}

fn base_images(args: &BaseImagesArgs) -> Result<(), faasd::Error> {
    let binary = this_binary()?;
    let fwatchdog = faasd::base_images::find_fwatchdog(args.fwatchdog.as_deref(), &binary)?;
    faasd::base_images::build(&faasd::base_images::BaseImagesPlan {
        registry: args.registry,
        fwatchdog,
        cache_dir: args.cache_dir.clone(),
    })
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

//! `faas-k8s`: the OpenFaaS gateway API served over the Kubernetes provider.
//!
//! CLI glue only: parse flags (each has an environment variable), start logging, connect to
//! the cluster (in-cluster service account, or `KUBECONFIG`), start the provider's watchers,
//! bind, and hand everything with a SIGTERM/ctrl-c future to [`faas_gateway::serve`].
//!
//! Exit status: 0 after a requested shutdown, 64 on bad configuration (flags, secrets, no
//! cluster configuration), 1 on any other failure.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::builder::BoolishValueParser;
use clap::Parser;
use faas_gateway::{BasicAuth, GatewayConfig};
use faas_provider_k8s::{ImagePullPolicy, K8sProvider, ProviderConfig};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Exit status for bad configuration (`EX_USAGE`).
const EXIT_BAD_CONFIG: u8 = 64;

/// The OpenFaaS-compatible gateway on Kubernetes: functions run as Deployments and Services
/// in the function namespace. Connects with the pod's service account, or the cluster that
/// KUBECONFIG names. Logging: RUST_LOG (default info).
#[derive(Debug, Parser)]
#[command(name = "faas-k8s", version)]
struct Cli {
    /// Address the gateway API listens on.
    #[arg(long, env = "FAAS_LISTEN", default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// Directory holding the files basic-auth-user and basic-auth-password (the `basic-auth`
    /// Secret mounted in the pod). Required unless --no-auth.
    #[arg(long, env = "FAAS_SECRETS_DIR")]
    secrets_dir: Option<PathBuf>,
    /// Serve /system/* without authentication (local experiments only).
    #[arg(long, env = "FAAS_NO_AUTH", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    no_auth: bool,
    /// Default namespace for functions and secrets.
    #[arg(long, env = "FAAS_FUNCTION_NAMESPACE", default_value = "openfaas-fn")]
    namespace: String,
    /// Also serve every namespace annotated `openfaas`, and the namespace API. Needs the
    /// ClusterRole in deploy/k8s/multi-namespace/.
    #[arg(long, env = "FAAS_MULTI_NAMESPACE", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    multi_namespace: bool,
    /// imagePullPolicy of function containers: Always, IfNotPresent or Never. Unset:
    /// Kubernetes' default (always for :latest, else when missing).
    #[arg(long, env = "FAAS_IMAGE_PULL_POLICY")]
    image_pull_policy: Option<ImagePullPolicy>,
    /// Run function containers as user 12000 instead of the image's user.
    #[arg(long, env = "FAAS_RUN_AS_NON_ROOT", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0..=1, default_missing_value = "true")]
    run_as_non_root: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_BAD_CONFIG)
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
    match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(error) => {
            tracing::error!("starting the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> ExitCode {
    let auth = match (&cli.secrets_dir, cli.no_auth) {
        (Some(dir), _) => match BasicAuth::from_secrets_dir(dir) {
            Ok(auth) => Some(auth),
            Err(error) => return bad_config(&error),
        },
        (None, true) => {
            tracing::warn!("authentication is off: every /system route is open");
            None
        }
        (None, false) => return bad_config(&"set --secrets-dir (or --no-auth)"),
    };
    if let Err(error) = faas_gateway::faas_core::name::validate_namespace(&cli.namespace) {
        return bad_config(&error);
    }
    let client = match faas_provider_k8s::kube::Client::try_default().await {
        Ok(client) => client,
        Err(error) => return bad_config(&format!("no in-cluster config or KUBECONFIG: {error}")),
    };
    let config = ProviderConfig {
        function_namespace: cli.namespace.clone(),
        multi_namespace: cli.multi_namespace,
        image_pull_policy: cli.image_pull_policy,
        run_as_non_root: cli.run_as_non_root,
        ..Default::default()
    };
    let (provider, watchers) = K8sProvider::new(client, config);
    let _watch_tasks = watchers.spawn();
    let listener = match TcpListener::bind(cli.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(address = %cli.listen, "binding the listen address: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(address = %cli.listen, config = ?provider.config(), "faas-k8s listening");
    let gateway_config = GatewayConfig {
        auth,
        default_namespace: cli.namespace.clone(),
        ..Default::default()
    };
    match faas_gateway::serve(
        listener,
        Arc::new(provider),
        gateway_config,
        shutdown_signal(),
    )
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("serving the gateway: {error}");
            ExitCode::FAILURE
        }
    }
}

fn bad_config(error: &dyn std::fmt::Display) -> ExitCode {
    tracing::error!("bad configuration: {error}");
    ExitCode::from(EXIT_BAD_CONFIG)
}

/// Completes on SIGTERM (Kubernetes stopping the pod) or ctrl-c.
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
    tracing::info!("shutting down");
}

//! `faasd up`: preflight, credentials, the containerd provider, the gateway on `--listen`, the
//! async queue (publisher in the gateway, a worker calling the gateway back) and the metrics
//! listener; on shutdown the gateway drains, then the worker and the local nats-server stop.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use faas_gateway::{BasicAuth, GatewayConfig};
use faas_provider_containerd::{ContainerdConfig, ContainerdProvider, NetworkConfig};
use faas_queue::{JetStreamQueue, QueueConfig, QueueMetrics, Worker, WorkerConfig};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::cli::UpArgs;
use crate::error::Error;
use crate::metrics::MetricsSources;
use crate::nats::NatsServer;

/// The file `up` writes the gateway's bound address to (`IP:PORT`, one line).
pub const ADDR_FILE: &str = "gateway.addr";

/// The provider configuration `args` describe. The CNI network is named after the bridge unless
/// the bridge is the default `openfaas0` (then `openfaas-cni-bridge`, as upstream), so several
/// faasd instances on one machine keep apart.
pub fn provider_config(args: &UpArgs) -> ContainerdConfig {
    let mut config = ContainerdConfig::new(&args.common.state_dir);
    config.socket = args.common.containerd_socket.clone();
    config.default_namespace = args.common.namespace.clone();
    config.insecure_registries = args.insecure_registries.clone();
    config.standby = !args.no_standby;
    config.resolv_conf = args.resolv_conf.clone();
    config.upstream_resolv_conf = args.upstream_resolv_conf.clone();
    config.logs = faas_provider_containerd::logs::LogLimits {
        max_file_bytes: args.log_max_size,
        rotated_files: args.log_files,
        ..Default::default()
    };
    let defaults = NetworkConfig::default();
    config.network = NetworkConfig {
        name: if args.bridge == defaults.bridge {
            defaults.name.clone()
        } else {
            args.bridge.clone()
        },
        bridge: args.bridge.clone(),
        subnet: args.subnet,
        ..defaults
    };
    let auth_file = args.common.state_dir.join(".docker").join("config.json");
    if auth_file.is_file() {
        config.registry_auth_file = Some(auth_file);
    }
    config
}

/// Runs the platform until `shutdown` completes.
pub async fn run(
    args: UpArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    faas_core::name::validate_namespace(&args.common.namespace)
        .map_err(|e| Error::BadConfig(format!("--namespace: {e}")))?;
    let config = provider_config(&args);
    crate::preflight::check(&config.socket, &config.network)?;
    let state_dir = args.common.state_dir.clone();
    let auth = credentials(&state_dir)?;

    let provider = ContainerdProvider::start(config).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|source| Error::Bind {
            addr: args.listen,
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| Error::Bind {
        addr: args.listen,
        source,
    })?;
    let metrics_listener = TcpListener::bind(args.metrics_listen)
        .await
        .map_err(|source| Error::Bind {
            addr: args.metrics_listen,
            source,
        })?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut gateway_config = GatewayConfig {
        auth: Some(auth),
        default_namespace: args.common.namespace.clone(),
        ..Default::default()
    };
    let queue = if args.no_queue {
        tracing::info!("async queue off (--no-queue)");
        None
    } else {
        Some(start_queue(&args, &state_dir, bound, stop_rx.clone()).await?)
    };
    let mut extra_metrics = None;
    if let Some(q) = &queue {
        gateway_config.queue = Some(q.publisher.clone());
        extra_metrics = Some(Arc::clone(&q.registry));
    }

    let gateway = faas_gateway::router(Arc::new(provider), gateway_config);
    let sources = MetricsSources {
        gateway: gateway.metrics(),
        extra: extra_metrics,
    };
    let metrics_addr = metrics_listener.local_addr().ok();
    tokio::spawn(crate::metrics::serve(
        metrics_listener,
        sources,
        wait_stop(stop_rx.clone()),
    ));

    let addr_file = state_dir.join(ADDR_FILE);
    crate::write_atomically(&addr_file, format!("{bound}\n").as_bytes(), 0o644)
        .map_err(|e| Error::io("writing", &addr_file, e))?;
    tracing::info!(address = %bound, metrics = ?metrics_addr, "gateway listening on {bound}");

    let served = faas_gateway::serve_gateway(listener, gateway, async move {
        shutdown.await;
        tracing::info!("shutting down: draining requests");
    })
    .await;
    let _ = stop_tx.send(true);
    if let Some(q) = queue {
        let _ = q.worker.await;
        if let Some(nats) = q.nats {
            nats.stop().await;
        }
    }
    let _ = std::fs::remove_file(&addr_file);
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// Creates the credentials when missing and loads them.
fn credentials(state_dir: &Path) -> Result<BasicAuth, Error> {
    let dir = crate::credentials::secrets_dir(state_dir);
    if crate::credentials::ensure(state_dir)? {
        tracing::info!(
            dir = %dir.display(),
            "created the gateway credentials: user admin, password in {}",
            dir.join("basic-auth-password").display()
        );
    }
    BasicAuth::from_secrets_dir(&dir).map_err(|e| Error::BadConfig(e.to_string()))
}

/// The running async queue.
struct RunningQueue {
    publisher: Arc<JetStreamQueue>,
    registry: Arc<Registry>,
    worker: tokio::task::JoinHandle<()>,
    nats: Option<NatsServer>,
}

async fn start_queue(
    args: &UpArgs,
    state_dir: &Path,
    gateway: SocketAddr,
    stop: watch::Receiver<bool>,
) -> Result<RunningQueue, Error> {
    let (url, nats) = match &args.nats_url {
        Some(url) => (url.clone(), None),
        None => {
            let server = NatsServer::start(&state_dir.join("nats")).await?;
            (server.url.clone(), Some(server))
        }
    };
    let mut registry = Registry::default();
    let metrics = QueueMetrics::register(&mut registry);
    let queue_config = QueueConfig::new(&url);
    let publisher = JetStreamQueue::connect(&queue_config, metrics.clone()).await?;
    let gateway_url = local_url(gateway)
        .parse()
        .map_err(|e| Error::BadConfig(format!("gateway URL: {e}")))?;
    let worker = Worker::connect(&queue_config, WorkerConfig::new(gateway_url), metrics).await?;
    tracing::info!(nats = %url, "async queue on");
    let worker = tokio::spawn(async move {
        if let Err(e) = worker.run(wait_stop(stop)).await {
            tracing::error!("async queue worker: {e}");
        }
    });
    Ok(RunningQueue {
        publisher: Arc::new(publisher),
        registry: Arc::new(registry),
        worker,
        nats,
    })
}

/// `http://ADDR` with an unspecified IP replaced by loopback.
fn local_url(addr: SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() {
        std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        addr.ip()
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

async fn wait_stop(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn up(args: &[&str]) -> UpArgs {
        let mut argv = vec!["faasd", "up"];
        argv.extend(args);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Up(up) => up,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn network_is_named_after_a_custom_bridge() {
        let c = provider_config(&up(&[]));
        assert_eq!(
            (c.network.name.as_str(), c.network.bridge.as_str()),
            ("openfaas-cni-bridge", "openfaas0")
        );
        let c = provider_config(&up(&[
            "--bridge",
            "t0",
            "--subnet",
            "10.9.0.0/24",
            "--namespace",
            "x",
        ]));
        assert_eq!(
            (c.network.name.as_str(), c.default_namespace.as_str()),
            ("t0", "x")
        );
        assert_eq!(c.network.subnet.to_string(), "10.9.0.0/24");
        assert_eq!(
            local_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
    }
}

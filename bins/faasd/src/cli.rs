//! The command line: clap types only; their doc comments are `faasd --help`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use faas_provider_containerd::Ipv4Net;

use crate::install::DEFAULT_REGISTRY;

/// faasd: OpenFaaS functions on containerd, on one machine, in one process — the gateway
/// (basic auth always on), the containerd provider and the durable async queue. Logging:
/// RUST_LOG (default info).
#[derive(Debug, Parser)]
#[command(name = "faasd", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the platform: gateway, provider and async queue (needs root and containerd).
    Up(UpArgs),
    /// Install faasd as the services `faasd`, `faasd-provider` and `faasd-registry`: write
    /// their systemd units, the local registry's configuration and the gateway credentials;
    /// where systemd runs, enable and start them and build the templates' base images
    /// (`faasd base-images`); elsewhere print the commands that do it by hand.
    Install(InstallArgs),
    /// Prepare the host for functions (the `faasd-provider` unit runs it once at boot): check
    /// containerd answers, load br_netfilter, set net.bridge.bridge-nf-call-iptables=1 and
    /// net.ipv4.conf.all.forwarding=1, check the CNI plugins, write the network conf, create
    /// the state folders. Each step is logged.
    Provider(ProviderArgs),
    /// Build the base images of every shipped template (faas/fwatchdog:latest,
    /// faas/busybox:latest, faas/python:3, faas/python:2.7) from Debian packages with buildah and
    /// push them to the local registry, for this machine's architecture. Run it again to
    /// rebuild or update them (delete the cache dir's root filesystems to refresh packages).
    BaseImages(BaseImagesArgs),
    /// Import an image archive (OCI layout or `docker save` tar) into a function namespace, so
    /// a deployment with `image: NAME` runs it without a registry.
    Import(ImportArgs),
}

/// `faasd up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Address the gateway (the OpenFaaS API, /function/*, /async-function/*) listens on. With
    /// port 0 the bound address is written to <state-dir>/gateway.addr.
    #[arg(long, env = "FAASD_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// State dir, containerd socket and namespace.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The network bridge functions are attached to (also names the CNI network).
    #[arg(long, env = "FAASD_BRIDGE", default_value = "openfaas0")]
    pub bridge: String,
    /// The functions' subnet; the bridge takes its first address.
    #[arg(long, env = "FAASD_SUBNET", default_value = "10.62.0.0/16", value_parser = parse_subnet)]
    pub subnet: Ipv4Net,
    /// A registry reached over plain HTTP (repeatable; localhost and 127.0.0.1 always are).
    #[arg(
        long = "insecure-registry",
        env = "FAASD_INSECURE_REGISTRIES",
        value_delimiter = ',',
        value_name = "HOST:PORT"
    )]
    pub insecure_registries: Vec<String>,
    /// The NATS JetStream server of the async queue. Unset: faasd runs and supervises its own
    /// `nats-server -js` on 127.0.0.1 with its store under <state-dir>/nats.
    #[arg(long, env = "FAASD_NATS_URL", conflicts_with = "no_queue")]
    pub nats_url: Option<String>,
    /// Run without the async queue (/async-function answers 404).
    #[arg(long)]
    pub no_queue: bool,
    /// Keep no standby replica for functions at zero replicas. By default each such function
    /// keeps one created but not started (a containerd shim and a parked `runc init`), so
    /// scaling from zero only starts a process.
    #[arg(long, env = "FAASD_NO_STANDBY")]
    pub no_standby: bool,
    /// Address of the Prometheus metrics endpoint (/metrics: gateway and queue metrics).
    #[arg(long, env = "FAASD_METRICS_LISTEN", default_value = "127.0.0.1:8082")]
    pub metrics_listen: SocketAddr,
    /// The resolv.conf functions get, used as is. Unset: one is generated in the state dir from
    /// /etc/resolv.conf without its loopback resolvers (unreachable from a function), or from
    /// --upstream-resolv-conf when /etc/resolv.conf lists only loopback ones.
    #[arg(long, env = "FAASD_RESOLV_CONF", value_name = "PATH")]
    pub resolv_conf: Option<PathBuf>,
    /// The resolvers a local (loopback) resolver forwards to: used for functions when
    /// /etc/resolv.conf lists only loopback resolvers (systemd-resolved's 127.0.0.53).
    #[arg(
        long,
        env = "FAASD_UPSTREAM_RESOLV_CONF",
        value_name = "PATH",
        default_value = "/run/systemd/resolve/resolv.conf"
    )]
    pub upstream_resolv_conf: PathBuf,
    /// A replica's log file is rotated before it grows past this size (bytes, or with a
    /// suffix: 512Ki, 5Mi, 1M).
    #[arg(long, env = "FAASD_LOG_MAX_SIZE", default_value = "5Mi", value_parser = parse_size)]
    pub log_max_size: u64,
    /// Rotated log files kept per replica besides the current one (0: the file is emptied).
    #[arg(long, env = "FAASD_LOG_FILES", default_value_t = 1)]
    pub log_files: u32,
}

/// Flags `up` shares with `install` and `import`.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// faasd's directory: secrets/basic-auth-{user,password}, function state, hosts and
    /// resolv.conf, the NATS store, gateway.addr.
    #[arg(long, env = "FAASD_STATE_DIR", default_value = "/var/lib/faasd")]
    pub state_dir: PathBuf,
    /// containerd's socket.
    #[arg(
        long,
        env = "FAASD_CONTAINERD_SOCKET",
        default_value = "/run/containerd/containerd.sock"
    )]
    pub containerd_socket: PathBuf,
    /// The default function namespace (a containerd namespace).
    #[arg(long, env = "FAASD_NAMESPACE", default_value = "openfaas-fn")]
    pub namespace: String,
}

/// `faasd install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// faasd's directory: the credentials, the registry's configuration and storage.
    #[arg(long, env = "FAASD_STATE_DIR", default_value = "/var/lib/faasd")]
    pub state_dir: PathBuf,
    /// Where faasd.service, faasd-provider.service and faasd-registry.service are written.
    #[arg(long, default_value = "/etc/systemd/system")]
    pub unit_dir: PathBuf,
    /// The local registry's address: a loopback address only.
    #[arg(long, env = "FAASD_REGISTRY", default_value = DEFAULT_REGISTRY)]
    pub registry: SocketAddr,
    /// Write the files only: start no service and build no image.
    #[arg(long)]
    pub no_start: bool,
    /// The static watchdog the base images use (see `faasd base-images --help`).
    #[arg(long, env = "FAASD_FWATCHDOG")]
    pub fwatchdog: Option<PathBuf>,
}

/// `faasd provider`.
#[derive(Debug, Args)]
pub struct ProviderArgs {
    /// faasd's directory.
    #[arg(long, env = "FAASD_STATE_DIR", default_value = "/var/lib/faasd")]
    pub state_dir: PathBuf,
    /// containerd's socket.
    #[arg(
        long,
        env = "FAASD_CONTAINERD_SOCKET",
        default_value = "/run/containerd/containerd.sock"
    )]
    pub containerd_socket: PathBuf,
    /// Where the network conf (10-openfaas.conflist) is written.
    #[arg(long, env = "FAASD_CNI_CONF_DIR", default_value = "/etc/cni/net.d")]
    pub cni_conf_dir: PathBuf,
}

/// `faasd base-images`.
#[derive(Debug, Args)]
pub struct BaseImagesArgs {
    /// The local registry to push to (loopback; it must be running).
    #[arg(long, env = "FAASD_REGISTRY", default_value = DEFAULT_REGISTRY)]
    pub registry: SocketAddr,
    /// The static watchdog. Unset: `fwatchdog` next to this binary, else
    /// /usr/local/lib/faasd/fwatchdog, else the source tree's static build.
    #[arg(long, env = "FAASD_FWATCHDOG")]
    pub fwatchdog: Option<PathBuf>,
    /// Where the Debian root filesystems are cached between builds.
    #[arg(long, env = "FAASD_CACHE_DIR", default_value = "/var/cache/faas")]
    pub cache_dir: PathBuf,
}

/// `faasd import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The archive: an OCI image layout tar or a `docker save` tar.
    pub archive: PathBuf,
    /// The image name deployments use, e.g. `local/hello:1`.
    pub name: String,
    /// State dir, containerd socket and namespace.
    #[command(flatten)]
    pub common: CommonArgs,
}

fn parse_size(text: &str) -> Result<u64, String> {
    match faas_core::quantity::parse_memory_bytes(text) {
        Ok(n) if n >= 1024 => Ok(n),
        Ok(_) => Err(format!("{text:?} is too small: at least 1Ki")),
        Err(e) => Err(format!("{text:?} is not a size like 5Mi: {e}")),
    }
}

fn parse_subnet(text: &str) -> Result<Ipv4Net, String> {
    Ipv4Net::parse(text).ok_or_else(|| format!("{text:?} is not an IPv4 CIDR like 10.62.0.0/16"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_consistent_and_has_defaults() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "faasd",
            "up",
            "--insecure-registry",
            "a:1",
            "--insecure-registry",
            "b:2",
        ])
        .unwrap();
        let Command::Up(up) = cli.command else {
            panic!("not up")
        };
        assert_eq!(up.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(up.subnet.to_string(), "10.62.0.0/16");
        assert_eq!(up.insecure_registries, ["a:1", "b:2"]);
        assert_eq!(up.common.namespace, "openfaas-fn");
        assert!(
            Cli::try_parse_from(["faasd", "up", "--no-queue", "--nats-url", "nats://x"]).is_err()
        );
        assert!(Cli::try_parse_from(["faasd", "up", "--subnet", "10.0.0.0"]).is_err());
        assert_eq!(up.log_max_size, 5 * 1024 * 1024);
        assert_eq!(up.log_files, 1);
        assert_eq!(
            up.upstream_resolv_conf,
            PathBuf::from("/run/systemd/resolve/resolv.conf")
        );
        assert!(up.resolv_conf.is_none());
        let Command::Up(up) = Cli::try_parse_from(["faasd", "up", "--log-max-size", "512Ki"])
            .unwrap()
            .command
        else {
            panic!("not up")
        };
        assert_eq!(up.log_max_size, 512 * 1024);
        assert!(Cli::try_parse_from(["faasd", "up", "--log-max-size", "big"]).is_err());
        assert!(Cli::try_parse_from(["faasd", "up", "--log-max-size", "10"]).is_err());
    }
}

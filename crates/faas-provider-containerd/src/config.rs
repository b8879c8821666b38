//! [`ContainerdConfig`]: everything the provider needs to know about the machine, with the
//! faasd defaults (docs/containerd.md §1, §4).

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

/// How the provider reaches containerd, names its network and stores its state.
///
/// `ContainerdConfig::new(state_dir)` gives the faasd defaults; tests override the socket,
/// bridge, subnet and CNI directories to stay out of each other's way.
#[derive(Debug, Clone)]
pub struct ContainerdConfig {
    /// The containerd socket (default `/run/containerd/containerd.sock`).
    pub socket: PathBuf,
    /// The provider's own directory: desired state, secrets, logs, generated hosts/resolv.conf
    /// (faasd: `/var/lib/faasd-provider`).
    pub state_dir: PathBuf,
    /// The namespace created at start and used when none is given (`openfaas-fn`).
    pub default_namespace: String,
    /// The snapshotter (default `overlayfs`).
    pub snapshotter: String,
    /// The CNI network functions join.
    pub network: NetworkConfig,
    /// Registries reached over plain HTTP besides `localhost` and `127.0.0.1`.
    pub insecure_registries: Vec<String>,
    /// A docker `config.json` with registry credentials, when present.
    pub registry_auth_file: Option<PathBuf>,
    /// Pull on every deploy and update, even when the registry's tag names the stored image
    /// (default: pull only when it names another one, see [`crate::image::resolve`]).
    pub always_pull: bool,
    /// `/etc/hosts` for functions; `None` generates one in the state dir.
    pub hosts_file: Option<PathBuf>,
    /// `/etc/resolv.conf` for functions, used as is; `None` generates one in the state dir
    /// from [`host_resolv_conf`](Self::host_resolv_conf) (see [`crate::resolv`]).
    pub resolv_conf: Option<PathBuf>,
    /// The host's resolv.conf (`/etc/resolv.conf`); its loopback resolvers are dropped.
    pub host_resolv_conf: PathBuf,
    /// The resolvers a loopback resolver of the host forwards to, used when the host's file
    /// lists only loopback ones (systemd-resolved's `/run/systemd/resolve/resolv.conf`).
    pub upstream_resolv_conf: PathBuf,
    /// Size and number of each replica's log files.
    pub logs: crate::logs::LogLimits,
    /// Where a replica is probed for readiness.
    pub readiness: Readiness,
    /// The port functions listen on (8080).
    pub function_port: u16,
    /// How long a replica may take to become ready during an update before the update fails.
    pub ready_timeout: Duration,
    /// Grace between SIGTERM and SIGKILL when a replica stops.
    pub stop_grace: Duration,
    /// How often the reconciler compares running tasks with the desired state.
    pub reconcile_interval: Duration,
    /// Keep a standby replica (created, on the network, not started) for every function at
    /// zero replicas, so scaling from zero only starts a process. Costs a containerd shim and
    /// a parked `runc init` per such function; off, scaling from zero creates a replica anew.
    pub standby: bool,
}

/// A replica's readiness check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// A TCP connect to `ip:port` succeeds.
    TcpConnect,
    /// `GET <path>` on `ip:port` answers 2xx (the watchdog's `/_/health`).
    HttpGet(String),
}

/// The CNI bridge network (docs/containerd.md §4).
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// The CNI network name (`openfaas-cni-bridge`); also names host-local's directory.
    pub name: String,
    /// The bridge device (`openfaas0`).
    pub bridge: String,
    /// The subnet (10.62.0.0/16); the bridge takes its first address.
    pub subnet: Ipv4Net,
    /// Where the plugin binaries are (`/usr/lib/cni`, then `/opt/cni/bin`).
    pub plugin_dirs: Vec<PathBuf>,
    /// host-local's data directory (`/var/run/cni`).
    pub ipam_dir: PathBuf,
    /// The interface inside the function (`eth1`).
    pub interface: String,
    /// Add the `firewall` plugin (FORWARD accept rules) after the bridge.
    pub firewall: bool,
}

/// An IPv4 network in CIDR form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Net {
    /// The network address.
    pub addr: Ipv4Addr,
    /// The prefix length.
    pub prefix: u8,
}

impl Ipv4Net {
    /// Parses `a.b.c.d/n`, masking host bits.
    pub fn parse(s: &str) -> Option<Self> {
        let (a, p) = s.split_once('/')?;
        let addr: Ipv4Addr = a.parse().ok()?;
        let prefix: u8 = p.parse().ok()?;
        if prefix > 32 {
            return None;
        }
        let net = Self { addr, prefix };
        Some(Self {
            addr: Ipv4Addr::from(u32::from(addr) & net.mask()),
            prefix,
        })
    }

    /// The netmask as an integer.
    pub fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        }
    }

    /// The first host address: the bridge's, and the functions' gateway.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) + 1)
    }

    /// Whether the two networks share any address.
    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        let mask = self.mask() & other.mask();
        u32::from(self.addr) & mask == u32::from(other.addr) & mask
    }
}

impl std::fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            name: "openfaas-cni-bridge".to_owned(),
            bridge: "openfaas0".to_owned(),
            subnet: Ipv4Net {
                addr: Ipv4Addr::new(10, 62, 0, 0),
                prefix: 16,
            },
            plugin_dirs: vec!["/usr/lib/cni".into(), "/opt/cni/bin".into()],
            ipam_dir: "/var/run/cni".into(),
            interface: "eth1".to_owned(),
            firewall: true,
        }
    }
}

impl ContainerdConfig {
    /// The faasd defaults with state under `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            socket: "/run/containerd/containerd.sock".into(),
            state_dir: state_dir.into(),
            default_namespace: faas_core::DEFAULT_NAMESPACE.to_owned(),
            snapshotter: "overlayfs".to_owned(),
            network: NetworkConfig::default(),
            insecure_registries: Vec::new(),
            registry_auth_file: None,
            always_pull: false,
            hosts_file: None,
            resolv_conf: None,
            host_resolv_conf: "/etc/resolv.conf".into(),
            upstream_resolv_conf: "/run/systemd/resolve/resolv.conf".into(),
            logs: crate::logs::LogLimits::default(),
            readiness: Readiness::TcpConnect,
            function_port: 8080,
            ready_timeout: Duration::from_secs(60),
            stop_grace: Duration::from_secs(10),
            reconcile_interval: Duration::from_secs(1),
            standby: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_math() {
        let n = Ipv4Net::parse("10.62.3.4/16").unwrap();
        assert_eq!(n.to_string(), "10.62.0.0/16");
        assert_eq!(n.gateway(), Ipv4Addr::new(10, 62, 0, 1));
        assert!(n.overlaps(&Ipv4Net::parse("10.62.9.0/24").unwrap()));
        assert!(n.overlaps(&Ipv4Net::parse("10.0.0.0/8").unwrap()));
        assert!(!n.overlaps(&Ipv4Net::parse("10.63.0.0/16").unwrap()));
        assert!(Ipv4Net::parse("10.0.0.0/33").is_none());
        assert_eq!(Ipv4Net::parse("0.0.0.0/0").unwrap().mask(), 0);
    }
}

//! The test harness: finds or starts containerd and the registry (with scripts/services), gives
//! each test its own containerd namespace, bridge, subnet and state dir, and cleans them up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use faas_core::{FunctionRef, Provider};
use faas_provider_containerd::client::Containerd;
use faas_provider_containerd::cni::conflicting_route;
use faas_provider_containerd::namespaces::Namespaces;
use faas_provider_containerd::{ContainerdConfig, ContainerdProvider, Ipv4Net, NetworkConfig};

/// The services the tests use.
pub(crate) struct Services {
    /// containerd's socket.
    pub(crate) socket: PathBuf,
    /// The registry, `127.0.0.1:port`.
    pub(crate) registry: String,
}

static SERVICES: OnceLock<Result<Services, String>> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_script(args: &[&str]) -> Result<String, String> {
    let out = Command::new("bash")
        .args(args)
        .current_dir(repo_root())
        .output()
        .map_err(|e| format!("running {args:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Starts (or finds) the services while holding a lock on `svc/services.lock`: nextest runs each
/// test in its own process, and two processes starting the registry at once would stop each
/// other's.
fn start_services() -> Result<Services, String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("svc");
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("services.lock"))
        .map_err(|e| format!("opening the services lock: {e}"))?;
    let _lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| format!("locking the services lock: {e}"))?;
    start_services_locked()
}

fn start_services_locked() -> Result<Services, String> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the effective user.
    if std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(1)
        != 0
    {
        return Err("containerd tests need root".to_owned());
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("svc");
    let socket = match std::env::var_os("FAAS_CONTAINERD_SOCK") {
        Some(s) => PathBuf::from(s),
        None => {
            if Command::new("containerd")
                .arg("--version")
                .output()
                .is_err()
            {
                return Err("containerd is not installed (scripts/install-deps.sh)".to_owned());
            }
            PathBuf::from(run_script(&[
                "scripts/services/containerd.sh",
                &dir.join("containerd").to_string_lossy(),
            ])?)
        }
    };
    let registry = match std::env::var("FAAS_REGISTRY_ADDR") {
        Ok(a) => a,
        Err(_) => {
            let reg_dir = dir.join("registry");
            let port = std::fs::read_to_string(reg_dir.join("address"))
                .ok()
                .and_then(|a| a.trim().rsplit(':').next().map(str::to_owned))
                .unwrap_or_else(|| {
                    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                    l.local_addr().unwrap().port().to_string()
                });
            run_script(&[
                "scripts/services/registry.sh",
                &port,
                &reg_dir.to_string_lossy(),
            ])?
        }
    };
    Ok(Services { socket, registry })
}

/// The services, or `None` after printing why the test is skipped (a failure with
/// `FAAS_REQUIRE_SERVICES=1`).
pub(crate) fn services() -> Option<&'static Services> {
    match SERVICES.get_or_init(start_services) {
        Ok(s) => Some(s),
        Err(why) => {
            if std::env::var("FAAS_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("FAAS_REQUIRE_SERVICES=1 but {why}");
            }
            // The one line a skipped test prints, on purpose.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("skip: {why}");
            }
            None
        }
    }
}

/// One test's world: its namespace, network, state dir and provider configuration.
pub(crate) struct TestEnv {
    /// The shared services.
    pub(crate) services: &'static Services,
    /// `faas-test-<pid>-<n>`.
    pub(crate) namespace: String,
    /// The provider configuration.
    pub(crate) config: ContainerdConfig,
    /// Holds the state and IPAM dirs.
    pub(crate) dir: tempfile::TempDir,
}

impl TestEnv {
    /// A fresh environment; sweeps stale `faas-test-*` namespaces of dead processes first.
    pub(crate) async fn new() -> Option<Self> {
        let services = services()?;
        sweep_stale(services).await;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let namespace = format!("faas-test-{pid}-{n}");
        let dir = tempfile::tempdir().unwrap();
        let routes = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
        let subnet = (0..200u32)
            .map(|i| (pid + n * 7 + i) % 200 + 20)
            .map(|k| Ipv4Net::parse(&format!("10.231.{k}.0/24")).unwrap())
            .find(|s| conflicting_route(&routes, s, "").is_none())
            .expect("a free test subnet");
        let mut config = ContainerdConfig::new(dir.path().join("state"));
        config.socket = services.socket.clone();
        config.default_namespace = namespace.clone();
        config.network = NetworkConfig {
            name: namespace.clone(),
            bridge: format!("ft{pid}x{n}"),
            subnet,
            ipam_dir: dir.path().join("ipam"),
            ..NetworkConfig::default()
        };
        config.stop_grace = Duration::from_millis(300);
        config.ready_timeout = Duration::from_secs(20);
        config.reconcile_interval = Duration::from_millis(300);
        Some(Self {
            services,
            namespace,
            config,
            dir,
        })
    }

    /// A provider on this environment.
    pub(crate) async fn provider(&self) -> ContainerdProvider {
        ContainerdProvider::start(self.config.clone())
            .await
            .expect("starting the provider")
    }

    /// A function reference in this environment's namespace.
    pub(crate) fn function(&self, name: &str) -> FunctionRef {
        FunctionRef::new(name, Some(&self.namespace))
    }

    /// Network namespaces still pinned under the provider's state dir for this namespace.
    pub(crate) fn pinned_netns(&self) -> Vec<String> {
        let dir = self.config.state_dir.join("netns").join(&self.namespace);
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let prefix = dir.to_string_lossy().into_owned();
        left.extend(
            mountinfo
                .lines()
                .filter_map(|l| l.split(' ').nth(4))
                .filter(|m| m.starts_with(&prefix))
                .map(|m| format!("mounted {m}")),
        );
        left
    }

    /// Files left in host-local's directory for this network (IP reservations).
    pub(crate) fn ipam_entries(&self) -> Vec<String> {
        std::fs::read_dir(self.config.network.ipam_dir.join(&self.config.network.name))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.parse::<std::net::Ipv4Addr>().is_ok())
            .collect()
    }

    /// Removes the namespace and bridge. A namespace containerd will not delete yet (content
    /// its collector has not reached) is reported and left to the next run's sweep: what the
    /// test checks was checked before.
    #[allow(clippy::print_stderr)]
    pub(crate) async fn cleanup(self) {
        let client = Containerd::connect(&self.services.socket).await.unwrap();
        if let Err(e) = Namespaces::new(client)
            .purge(&self.namespace, "overlayfs")
            .await
        {
            eprintln!(
                "cleanup: namespace {} left for the next sweep: {e:?}",
                self.namespace
            );
        }
        faas_provider_containerd::netns::remove_all(&self.config.state_dir.join("netns"));
        // Masquerade rules of replicas the purge removed without a CNI DEL.
        faas_provider_containerd::cni::remove_network_nat(&self.config.network.name).await;
        let _ = Command::new("ip")
            .args(["link", "del", &self.config.network.bridge])
            .output();
    }
}

async fn sweep_stale(services: &Services) {
    static SWEPT: OnceLock<()> = OnceLock::new();
    if SWEPT.set(()).is_err() {
        return;
    }
    let Ok(client) = Containerd::connect(&services.socket).await else {
        return;
    };
    let namespaces = Namespaces::new(client.clone());
    let Ok(list) = client
        .namespaces()
        .list(containerd_client::services::v1::ListNamespacesRequest {
            filter: String::new(),
        })
        .await
    else {
        return;
    };
    for ns in list.into_inner().namespaces {
        let Some(rest) = ns.name.strip_prefix("faas-test-") else {
            continue;
        };
        let pid: u32 = rest
            .split('-')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let _ = namespaces.purge(&ns.name, "overlayfs").await;
        faas_provider_containerd::cni::remove_network_nat(&ns.name).await;
        if let Some(n) = rest.split('-').nth(1) {
            let _ = Command::new("ip")
                .args(["link", "del", &format!("ft{pid}x{n}")])
                .output();
        }
    }
}

/// Polls `check` every 100 ms for up to `secs` seconds.
pub(crate) async fn eventually<F: FnMut() -> bool>(secs: u64, mut check: F) -> bool {
    for _ in 0..secs * 10 {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    check()
}

/// Waits until `function` has `n` available replicas (per `get`).
pub(crate) async fn wait_available(p: &ContainerdProvider, function: &FunctionRef, n: u64) {
    for _ in 0..300 {
        if p.get(function.clone(), false)
            .await
            .unwrap()
            .available_replicas
            == n
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let s = p.get(function.clone(), false).await.unwrap();
    panic!("{function}: {} available, wanted {n}", s.available_replicas);
}

/// GET / on a replica.
pub(crate) fn invoke(addr: std::net::SocketAddr) -> String {
    let (status, _, body) = crate::images::request(&addr.to_string(), "GET", "/", None, &[]);
    assert_eq!(status, 200, "invoking {addr}");
    String::from_utf8_lossy(&body).into_owned()
}

/// What exists in a containerd namespace, for leak checks.
pub(crate) struct Inventory {
    /// Container ids.
    pub(crate) containers: Vec<String>,
    /// Task ids with pids.
    pub(crate) tasks: Vec<(String, u32)>,
    /// Snapshot keys that are not image layers (layers are named by `sha256:` chain IDs).
    pub(crate) replica_snapshots: Vec<String>,
}

/// The containers, tasks and replica snapshots of `ns`.
pub(crate) async fn inventory(p: &ContainerdProvider, ns: &str) -> Inventory {
    use faas_provider_containerd::client::in_namespace;
    let c = p.containerd();
    let mut containers: Vec<String> = c
        .containers()
        .list(in_namespace(
            ns,
            containerd_client::services::v1::ListContainersRequest { filters: vec![] },
        ))
        .await
        .unwrap()
        .into_inner()
        .containers
        .into_iter()
        .map(|c| c.id)
        .collect();
    containers.sort();
    let tasks = c
        .tasks()
        .list(in_namespace(
            ns,
            containerd_client::services::v1::ListTasksRequest {
                filter: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .tasks
        .into_iter()
        .map(|t| (t.id, t.pid))
        .collect();
    let mut stream = c
        .snapshots()
        .list(in_namespace(
            ns,
            containerd_client::services::v1::snapshots::ListSnapshotsRequest {
                snapshotter: "overlayfs".into(),
                filters: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut replica_snapshots = Vec::new();
    while let Ok(Some(m)) = stream.message().await {
        replica_snapshots.extend(
            m.info
                .into_iter()
                .map(|i| i.name)
                .filter(|n| !n.starts_with("sha256:")),
        );
    }
    Inventory {
        containers,
        tasks,
        replica_snapshots,
    }
}

/// The nat rules and chains that mention `subnet` or the masquerade chain of a replica.
pub(crate) fn iptables_leftovers(env: &TestEnv, replica_ids: &[String]) -> Vec<String> {
    let out = Command::new("iptables")
        .args(["-w", "-t", "nat", "-S"])
        .output()
        .unwrap();
    let net = &env.config.network;
    let chains: Vec<String> = replica_ids
        .iter()
        .map(|id| faas_provider_containerd::cni::masquerade_chain(&net.name, id))
        .collect();
    let prefix = net.subnet.to_string();
    let prefix = prefix
        .rsplit_once('.')
        .map(|(a, _)| a.to_owned())
        .unwrap_or_default();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            chains.iter().any(|c| l.contains(c.as_str())) || l.contains(&format!("{prefix}."))
        })
        .map(str::to_owned)
        .collect()
}

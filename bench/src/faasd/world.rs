//! What the faasd benchmark runs against, and how it is taken down again: containerd and the
//! registry (started with `scripts/services/*.sh` unless `FAAS_CONTAINERD_SOCK` /
//! `FAAS_REGISTRY_ADDR` name running ones), a free /24 for the `fbench0` bridge, and the
//! `faasd up` process with its own state dir and containerd namespace (`faas-bench-<pid>`).
//!
//! Everything started here is stopped by its pid (the scripts' pid files, the child's id);
//! nothing is looked up or killed by name.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::Instant;

use anyhow::Context;
use faas_provider_containerd::client::Containerd;
use faas_provider_containerd::cni::conflicting_route;
use faas_provider_containerd::namespaces::Namespaces;
use faas_provider_containerd::Ipv4Net;

/// The bridge the benchmark's functions join.
pub(crate) const BRIDGE: &str = "fbench0";
/// Namespaces of this benchmark are `faas-bench-<pid>`.
const NAMESPACE_PREFIX: &str = "faas-bench-";

/// The workspace root (scripts are run from there).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Fails with a clear message unless the effective user is root (containerd, CNI, iptables).
pub(crate) fn require_root() -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the effective user.
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid())?;
    anyhow::ensure!(
        uid == 0,
        "the faasd benchmark needs root (containerd, CNI bridge, iptables); running as uid {uid}"
    );
    Ok(())
}

fn run_script(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("bash")
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {args:?}"))?;
    anyhow::ensure!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// containerd and the registry.
pub(crate) struct Services {
    /// containerd's socket.
    pub(crate) socket: PathBuf,
    /// The registry, `host:port`.
    pub(crate) registry: String,
    /// containerd's pid when this run started it (its CPU is then measured too).
    pub(crate) containerd_pid: Option<u32>,
    /// The services' directory when this run started any; stopped and removed on [`Self::stop`].
    dir: Option<tempfile::TempDir>,
}

impl Services {
    /// Uses the running services named by the environment, or starts private ones.
    pub(crate) fn start() -> anyhow::Result<Self> {
        // A short path: a unix socket path must stay under ~100 bytes.
        let dir = tempfile::Builder::new()
            .prefix("faas-bench-svc-")
            .tempdir_in("/tmp")?;
        let mut started = false;
        let mut containerd_pid = None;
        let socket = match std::env::var_os("FAAS_CONTAINERD_SOCK") {
            Some(s) => PathBuf::from(s),
            None => {
                let cdir = dir.path().join("containerd");
                let socket =
                    run_script(&["scripts/services/containerd.sh", &cdir.to_string_lossy()])?;
                started = true;
                containerd_pid = std::fs::read_to_string(cdir.join("containerd.pid"))
                    .ok()
                    .and_then(|p| p.trim().parse().ok());
                PathBuf::from(socket)
            }
        };
        let registry = match std::env::var("FAAS_REGISTRY_ADDR") {
            Ok(a) => a,
            Err(_) => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")?
                    .local_addr()?
                    .port();
                started = true;
                let rdir = dir.path().join("registry");
                run_script(&[
                    "scripts/services/registry.sh",
                    &port.to_string(),
                    &rdir.to_string_lossy(),
                ])?
            }
        };
        Ok(Self {
            socket,
            registry,
            containerd_pid,
            dir: started.then_some(dir),
        })
    }

    /// Stops what [`Self::start`] started (by the pid files) and removes its directory.
    pub(crate) fn stop(mut self) {
        let Some(dir) = self.dir.take() else {
            return;
        };
        for sub in ["containerd", "registry"] {
            let d = dir.path().join(sub);
            if d.exists() {
                if let Err(e) = run_script(&["scripts/services/stop.sh", &d.to_string_lossy()]) {
                    eprintln!("faas-bench: stopping {sub}: {e:#}");
                }
            }
        }
        // containerd's root holds overlay snapshots; unmounted once its tasks are gone.
        if let Err(e) = dir.close() {
            eprintln!("faas-bench: removing the services' directory: {e}");
        }
    }
}

/// A /24 under 10.234.0.0/16 that no route on this machine overlaps (a stale `fbench0` route
/// does not count: the bridge is ours and is recreated).
pub(crate) fn free_subnet() -> anyhow::Result<Ipv4Net> {
    let routes = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    (0..=255u32)
        .map(|k| (std::process::id() + k) % 200 + 20)
        .filter_map(|k| Ipv4Net::parse(&format!("10.234.{k}.0/24")))
        .find(|s| conflicting_route(&routes, s, BRIDGE).is_none())
        .context("no free /24 under 10.234.0.0/16")
}

/// This run's containerd namespace.
pub(crate) fn namespace() -> String {
    format!("{NAMESPACE_PREFIX}{}", std::process::id())
}

/// Removes `faas-bench-<pid>` namespaces whose process is gone and a stale `fbench0` bridge,
/// left by a run that was killed before it could clean up.
pub(crate) async fn sweep_stale(socket: &Path) -> anyhow::Result<()> {
    let client = Containerd::connect(socket).await?;
    let list = client
        .namespaces()
        .list(containerd_client::services::v1::ListNamespacesRequest {
            filter: String::new(),
        })
        .await?
        .into_inner()
        .namespaces;
    let namespaces = Namespaces::new(client);
    for ns in list {
        let Some(pid) = ns.name.strip_prefix(NAMESPACE_PREFIX) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new(&format!("/proc/{pid}")).exists() {
            eprintln!("faas-bench: removing stale namespace {}", ns.name);
            namespaces.purge(&ns.name, "overlayfs").await?;
        }
    }
    delete_bridge();
    Ok(())
}

/// Removes the benchmark's namespace (tasks, containers, images, snapshots), bridge and
/// host-local IPAM directory (faasd names the CNI network after a non-default bridge), and
/// warns about NAT rules still mentioning `subnet`.
pub(crate) async fn purge(socket: &Path, namespace: &str, subnet: &Ipv4Net) -> anyhow::Result<()> {
    let client = Containerd::connect(socket).await?;
    Namespaces::new(client)
        .purge(namespace, "overlayfs")
        .await
        .with_context(|| format!("purging namespace {namespace}"))?;
    delete_bridge();
    let ipam = Path::new("/var/run/cni").join(BRIDGE);
    if ipam.is_dir() {
        std::fs::remove_dir_all(&ipam).with_context(|| format!("removing {}", ipam.display()))?;
    }
    let prefix = subnet.to_string();
    let prefix = prefix.rsplit_once('.').map_or("", |(a, _)| a).to_owned() + ".";
    let nat = Command::new("iptables")
        .args(["-w", "-t", "nat", "-S"])
        .output();
    if let Ok(out) = nat {
        let left: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains(&prefix))
            .map(str::to_owned)
            .collect();
        if !left.is_empty() {
            eprintln!(
                "faas-bench: NAT rules left for {subnet}:\n{}",
                left.join("\n")
            );
        }
    }
    Ok(())
}

/// How many containers of function `name` exist in `namespace` (replica ids are
/// `<name>.<generation>-<n>`): zero once a scale-down has finished tearing replicas down.
pub(crate) async fn containers_of(
    containerd: &Containerd,
    namespace: &str,
    name: &str,
) -> anyhow::Result<usize> {
    use faas_provider_containerd::client::in_namespace;
    let request = containerd_client::services::v1::ListContainersRequest { filters: vec![] };
    let prefix = format!("{name}.");
    Ok(containerd
        .containers()
        .list(in_namespace(namespace, request))
        .await?
        .into_inner()
        .containers
        .iter()
        .filter(|c| c.id.starts_with(&prefix))
        .count())
}

fn delete_bridge() {
    if Path::new("/sys/class/net").join(BRIDGE).exists() {
        let _ = Command::new("ip").args(["link", "del", BRIDGE]).output();
    }
}

/// A running `faasd up`.
pub(crate) struct Faasd {
    child: Child,
    /// Its gateway.
    pub(crate) addr: SocketAddr,
    /// Basic-auth user and password (from its `secrets/`).
    pub(crate) user: String,
    /// See `user`.
    pub(crate) password: String,
    /// Its state dir (removed on drop).
    pub(crate) state_dir: tempfile::TempDir,
    log: PathBuf,
}

/// How to start faasd.
pub(crate) struct FaasdOptions<'a> {
    /// The binary.
    pub(crate) binary: &'a Path,
    /// containerd's socket.
    pub(crate) socket: &'a Path,
    /// The functions' namespace.
    pub(crate) namespace: &'a str,
    /// The bridge subnet.
    pub(crate) subnet: Ipv4Net,
    /// The registry (`host:port`, plain HTTP).
    pub(crate) registry: &'a str,
}

impl Faasd {
    /// Starts `faasd up` and waits (30 s at most) for it to write `gateway.addr`.
    pub(crate) fn start(o: &FaasdOptions<'_>) -> anyhow::Result<Self> {
        let state_dir = tempfile::Builder::new()
            .prefix("faas-bench-faasd-")
            .tempdir_in("/tmp")?;
        let log = std::env::temp_dir().join(format!("faas-bench-faasd-{}.log", std::process::id()));
        let log_file = std::fs::File::create(&log)?;
        let child = Command::new(o.binary)
            .arg("up")
            .args(["--listen", "127.0.0.1:0"])
            .arg("--state-dir")
            .arg(state_dir.path())
            .arg("--containerd-socket")
            .arg(o.socket)
            .args(["--namespace", o.namespace, "--bridge", BRIDGE])
            .args(["--subnet", &o.subnet.to_string()])
            .args(["--insecure-registry", o.registry, "--no-queue"])
            // Its default, 127.0.0.1:8082, may be taken by another faasd on this machine.
            .args(["--metrics-listen", "127.0.0.1:0"])
            .env_remove("FAASD_NATS_URL")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", o.binary.display()))?;
        let mut faasd = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            user: String::new(),
            password: String::new(),
            state_dir,
            log,
        };
        let addr_file = faasd.state_dir.path().join("gateway.addr");
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            if let Some(addr) = std::fs::read_to_string(&addr_file)
                .ok()
                .and_then(|s| s.trim().parse::<SocketAddr>().ok())
            {
                break addr;
            }
            if let Some(status) = faasd.child.try_wait()? {
                anyhow::bail!(
                    "faasd exited ({status}) before listening:\n{}",
                    faasd.log_tail()
                );
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "faasd wrote no {} within 30 s:\n{}",
                addr_file.display(),
                faasd.log_tail()
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        let secrets = faasd.state_dir.path().join("secrets");
        let read = |f: &str| {
            std::fs::read_to_string(secrets.join(f))
                .map(|s| s.trim().to_owned())
                .with_context(|| format!("reading {}", secrets.join(f).display()))
        };
        faasd.user = read("basic-auth-user")?;
        faasd.password = read("basic-auth-password")?;
        faasd.addr = addr;
        Ok(faasd)
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines faasd logged.
    pub(crate) fn log_tail(&self) -> String {
        let Ok(f) = std::fs::File::open(&self.log) else {
            return String::new();
        };
        let lines: Vec<String> = std::io::BufReader::new(f)
            .lines()
            .map_while(Result::ok)
            .collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// SIGTERM, up to 10 s to exit, then SIGKILL.
    pub(crate) fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("faas-bench: faasd did not exit 10 s after SIGTERM; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Faasd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_file(&self.log);
    }
}

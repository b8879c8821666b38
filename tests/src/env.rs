//! [`TestEnv`]: one test's world — its containerd namespace, bridge, subnet and state dir — and
//! the cleanup that removes it, plus a sweep of worlds left by killed test processes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use faas_provider_containerd::client::Containerd;
use faas_provider_containerd::cni::conflicting_route;
use faas_provider_containerd::namespaces::Namespaces;
use faas_provider_containerd::Ipv4Net;
use serde_json::{json, Value};

use crate::faasd::Faasd;
use crate::services::{services, work_dir, Services};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// One test's isolated world. Create it first, start `faasd` in it, end with [`TestEnv::finish`].
#[derive(Debug)]
pub struct TestEnv {
    /// The shared services.
    pub services: &'static Services,
    /// The containerd socket this world's faasd uses (the shared one unless replaced).
    pub socket: PathBuf,
    /// `faas-test-<pid>-<n>`: the containerd namespace, also faasd's `--namespace`.
    pub namespace: String,
    /// `fe<pid>x<n>`: the bridge device, also the CNI network name.
    pub bridge: String,
    /// A free /24 under 10.2xx.0.0.
    pub subnet: Ipv4Net,
    /// `target/tmp/e2e/w-<pid>-<n>`: faasd's `--state-dir` and the test's scratch space.
    pub dir: PathBuf,
}

impl TestEnv {
    /// A fresh world on the shared services, or `None` after the skip line. Sweeps worlds of
    /// dead test processes first.
    pub async fn new() -> Option<Self> {
        let services = services()?;
        Some(Self::on_socket(services, services.socket.clone()).await)
    }

    /// A fresh world on the containerd at `socket` (e.g. a private one a test restarts).
    pub async fn on_socket(services: &'static Services, socket: PathBuf) -> Self {
        sweep_stale(&socket).await;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let namespace = format!("faas-test-{pid}-{n}");
        let routes = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
        let subnet = (0..2000u32)
            .map(|i| (pid.wrapping_mul(31) + n * 7 + i) % 2000)
            .map(|k| format!("10.{}.{}.0/24", 200 + k / 250, k % 250))
            .filter_map(|s| Ipv4Net::parse(&s))
            .find(|s| conflicting_route(&routes, s, "").is_none())
            .expect("a free test subnet");
        let dir = work_dir().join(format!("w-{pid}-{n}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating the test dir");
        Self {
            services,
            socket,
            namespace,
            bridge: format!("fe{pid}x{n}"),
            subnet,
            dir,
        }
    }

    /// faasd's state dir.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// `faasd up` in this world (`--listen 127.0.0.1:0 --no-queue` and this world's socket,
    /// namespace, bridge, subnet, state dir, the registry as insecure), plus `extra` args;
    /// returns once the gateway answers.
    pub async fn start_faasd(&self, extra: &[&str]) -> Faasd {
        let mut args = self.faasd_args();
        if !extra.iter().any(|a| a.starts_with("--nats-url")) {
            args.push("--no-queue".to_owned());
        }
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        Faasd::spawn(&self.state_dir(), &args).await
    }

    /// The `faasd up` arguments of this world, without `--no-queue`.
    pub fn faasd_args(&self) -> Vec<String> {
        vec![
            "up".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--metrics-listen".into(),
            "127.0.0.1:0".into(),
            "--state-dir".into(),
            self.state_dir().to_string_lossy().into_owned(),
            "--containerd-socket".into(),
            self.socket.to_string_lossy().into_owned(),
            "--namespace".into(),
            self.namespace.clone(),
            "--bridge".into(),
            self.bridge.clone(),
            "--subnet".into(),
            self.subnet.to_string(),
            "--insecure-registry".into(),
            self.services.registry.clone(),
        ]
    }

    /// A deployment body for `name` running `image` in this world's namespace.
    pub fn deployment(&self, name: &str, image: &str) -> Value {
        json!({ "service": name, "image": image, "namespace": self.namespace })
    }

    /// Pushes `image` to the registry as `<namespace>/<repository>:<tag>`; the reference to
    /// deploy.
    pub fn push(
        &self,
        image: &crate::test_image::TestImage,
        repository: &str,
        tag: &str,
    ) -> String {
        let repo = format!("{}/{repository}", self.namespace);
        crate::test_image::push(image, &self.services.registry, &repo, tag)
            .expect("pushing a test image");
        format!("{}/{repo}:{tag}", self.services.registry)
    }

    /// host-local's directory for this world's network.
    pub fn ipam_dir(&self) -> PathBuf {
        Path::new("/var/run/cni").join(&self.bridge)
    }

    /// Kills `faasd` and removes the world: namespace (tasks, containers, snapshots, images),
    /// bridge, IPAM dir and test dir.
    pub async fn finish(self, faasd: Faasd) {
        faasd.kill();
        self.cleanup().await;
    }

    /// Removes the world (faasd must be gone).
    pub async fn cleanup(self) {
        if let Ok(client) = Containerd::connect(&self.socket).await {
            let _ = Namespaces::new(client)
                .purge(&self.namespace, "overlayfs")
                .await;
        }
        // Replicas purged with the namespace (or left by a killed faasd) keep their network
        // namespaces pinned under the state dir: unpin them, or they outlive the test.
        faas_provider_containerd::netns::remove_all(&self.state_dir().join("netns"));
        remove_network(&self.bridge).await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the world's bridge, its IPAM dir and the masquerade rules of its replicas (CNI DEL
/// never ran for replicas purged with the namespace or left by a killed faasd).
pub async fn remove_network(bridge: &str) {
    faas_provider_containerd::cni::remove_network_nat(bridge).await;
    let _ = Command::new("ip").args(["link", "del", bridge]).output();
    let _ = std::fs::remove_dir_all(Path::new("/var/run/cni").join(bridge));
}

/// Purges `faas-test-*` namespaces (and their bridges) whose test process is gone, once per
/// process.
async fn sweep_stale(socket: &Path) {
    static SWEPT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    if SWEPT.set(()).is_err() {
        return;
    }
    let Ok(client) = Containerd::connect(socket).await else {
        return;
    };
    let Ok(list) = Namespaces::new(client.clone()).list().await else {
        return;
    };
    for (name, _) in list {
        let Some(rest) = name.strip_prefix("faas-test-") else {
            continue;
        };
        let mut parts = rest.split('-');
        let pid: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let _ = Namespaces::new(client.clone())
            .purge(&name, "overlayfs")
            .await;
        if let Some(n) = parts.next() {
            remove_network(&format!("fe{pid}x{n}")).await;
            let _ = std::fs::remove_dir_all(work_dir().join(format!("w-{pid}-{n}")));
        }
    }
}

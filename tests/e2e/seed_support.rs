//! What the seed walkthrough tests share: a [`SeedWorld`] — a test world with `faasd up`
//! running, the base images in the registry and a [`FaasCli`] whose buildah uses the tests'
//! storage and whose `OPENFAAS_URL` is the gateway — plus the edits the tutorial asks the reader
//! to make to a generated stack file.
//!
//! The tutorial never names a namespace: its commands (`faas list`, `faas invoke`, `curl
//! /function/NAME`, `faas login`) use the gateway's default one, `openfaas-fn`. So each world's
//! faasd serves `--namespace openfaas-fn` on a containerd of its own (started under
//! `target/tmp/e2e/seed-<pid>-<n>` and stopped by [`SeedWorld::finish`]), where no other test's
//! faasd reconciles that namespace. runc's state (`/run/containerd/runc/<namespace>`) and the
//! cgroup tree are still shared by all containerds of the machine, keyed by namespace and
//! container id, so the seed tests give their functions distinct names — and one world exists
//! at a time on the machine (a file lock, `/run/lock/faas-e2e-seed-world.lock`, machine-wide so
//! that checkouts with target folders of their own wait for each other too, held from
//! [`SeedWorld::start`] until the world is dropped): with two worlds in `openfaas-fn` at once,
//! one world's teardown has made the other's first task fail to mount its root filesystem.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use faas_e2e::faas_cli::base_images::{base_images, BaseImages};
use faas_e2e::faas_cli::{parse_list, FaasCli, ListedFunction};
use faas_e2e::services::{repo_root, services, start_containerd, work_dir};
use faas_e2e::test_image::{self, RawResponse};
use faas_e2e::{Faasd, GatewayClient, TestEnv};
use faas_provider_containerd::client::Containerd;
use faas_provider_containerd::namespaces::Namespaces;
use nix::fcntl::{Flock, FlockArg};

/// The namespace the tutorial's commands use without saying so.
const DEFAULT_NAMESPACE: &str = "openfaas-fn";

static NEXT_CONTAINERD: AtomicU32 = AtomicU32::new(0);

/// One walkthrough's world.
pub(crate) struct SeedWorld {
    pub(crate) env: TestEnv,
    pub(crate) faasd: Faasd,
    /// The base images, for worlds that build function images.
    pub(crate) images: Option<&'static BaseImages>,
    pub(crate) cli: FaasCli,
    /// The private containerd's folder.
    containerd_dir: PathBuf,
    /// The lock that makes this world the only one; released last, when the world is dropped.
    _only_world: Flock<File>,
}

impl SeedWorld {
    /// Base images (built once per run), a fresh world and `faasd up` in it, and a CLI shell;
    /// `None` after the one skip line when buildah, containerd or root is missing.
    pub(crate) async fn start() -> Option<Self> {
        let images = base_images()?;
        Self::start_with(Some(images)).await
    }

    /// A world for tests that only deploy images they push themselves (no base images).
    pub(crate) async fn start_without_builds() -> Option<Self> {
        Self::start_with(None).await
    }

    async fn start_with(images: Option<&'static BaseImages>) -> Option<Self> {
        let services = services()?;
        let only_world = tokio::task::spawn_blocking(lock_the_only_world)
            .await
            .expect("the lock task");
        stop_stale_containerds().await;
        let n = NEXT_CONTAINERD.fetch_add(1, Ordering::Relaxed);
        let containerd_dir = work_dir().join(format!("seed-{}-{n}", std::process::id()));
        let socket = start_containerd(&containerd_dir)
            .unwrap_or_else(|e| panic!("starting a private containerd: {e}"));
        let mut env = TestEnv::on_socket(services, socket).await;
        env.namespace = DEFAULT_NAMESPACE.to_owned();
        // For the sweep of a run killed before `finish`.
        std::fs::write(containerd_dir.join("bridge"), &env.bridge).expect("noting the bridge");
        let faasd = env.start_faasd(&[]).await;
        let mut cli = FaasCli::new(&env.dir.join("cli"));
        for (name, value) in images.map(|i| i.storage.env()).unwrap_or_default() {
            cli.export(&name, &value);
        }
        cli.export("OPENFAAS_URL", &format!("http://{}", faasd.addr));
        Some(Self {
            env,
            faasd,
            images,
            cli,
            containerd_dir,
            _only_world: only_world,
        })
    }

    /// The gateway, with faasd's credentials.
    pub(crate) fn gateway(&self) -> GatewayClient {
        self.faasd.gateway()
    }

    /// `http://<gateway>`.
    pub(crate) fn gateway_url(&self) -> String {
        format!("http://{}", self.faasd.addr)
    }

    /// `<registry>/user/<name>:latest`: the tutorial's `josanabr/<name>:latest` on our registry.
    pub(crate) fn user_image(&self, name: &str) -> String {
        format!("{}/user/{name}:latest", self.env.services.registry)
    }

    /// `faas ARGS… --build-arg …` with the base image build args appended; panics unless it
    /// exits 0.
    pub(crate) async fn with_build_args(&self, args: &[&str]) {
        let build_args = self.images.expect("a world with base images").build_args();
        let mut all: Vec<&str> = args.to_vec();
        all.extend(build_args.iter().map(String::as_str));
        self.cli.ok(&all).await;
    }

    /// `echo -n $PASSWORD | faas login --password-stdin`, the password read from faasd's state
    /// dir.
    pub(crate) async fn login(&self) {
        let password =
            std::fs::read_to_string(self.env.state_dir().join("secrets/basic-auth-password"))
                .expect("faasd's basic-auth-password");
        self.cli
            .run(&["login", "--password-stdin"], password.trim().as_bytes())
            .await
            .success();
    }

    /// `curl http://<gateway>/function/<path> -d BODY` (a POST with curl's content type, no
    /// credentials), or a plain GET when `body` is `None`.
    pub(crate) async fn curl(&self, path: &str, body: Option<&str>) -> RawResponse {
        let addr = self.faasd.addr.to_string();
        let path = path.to_owned();
        let body = body.map(str::to_owned);
        tokio::task::spawn_blocking(move || match body {
            Some(b) => test_image::request(
                &addr,
                "POST",
                &path,
                Some("application/x-www-form-urlencoded"),
                b.as_bytes(),
            ),
            None => test_image::request(&addr, "GET", &path, None, b""),
        })
        .await
        .expect("the request task")
        .unwrap_or_else(|e| panic!("request failed: {e}"))
    }

    /// Waits until the function is deployed with one available replica.
    pub(crate) async fn wait_ready(&self, name: &str) {
        self.gateway()
            .wait_available(name, &self.env.namespace, 1)
            .await;
    }

    /// Polls `faas list` (up to 10 s) until `name`'s row satisfies `wanted`; the last table's
    /// row for `name` otherwise (`None` when it is not listed).
    pub(crate) async fn list_until(
        &self,
        name: &str,
        wanted: impl Fn(Option<&ListedFunction>) -> bool,
    ) -> Option<ListedFunction> {
        let mut last = None;
        for _ in 0..50 {
            let listed = parse_list(&self.cli.ok(&["list"]).await.stdout);
            last = listed.into_iter().find(|f| f.name == name);
            if wanted(last.as_ref()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        last
    }

    /// Kills faasd, removes the world and stops its containerd.
    pub(crate) async fn finish(self) {
        self.env.finish(self.faasd).await;
        stop_containerd(&self.containerd_dir);
    }
}

/// Waits for the exclusive lock on `/run/lock/faas-e2e-seed-world.lock` (machine-wide: every
/// checkout's worlds use the namespace `openfaas-fn` on the one runc state root).
fn lock_the_only_world() -> Flock<File> {
    let dir = Path::new("/run/lock");
    std::fs::create_dir_all(dir).expect("creating /run/lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("faas-e2e-seed-world.lock"))
        .expect("opening the seed world lock");
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .expect("locking the seed world lock")
}

/// Stops the containerd started under `dir` (by its pid file) and removes the folder.
fn stop_containerd(dir: &Path) {
    let _ = std::process::Command::new("bash")
        .arg("scripts/services/stop.sh")
        .arg(dir)
        .current_dir(repo_root())
        .output();
    let _ = std::fs::remove_dir_all(dir);
}

/// Removes the worlds of test processes that are gone (killed before `finish`): their functions,
/// their bridge and their private containerd.
async fn stop_stale_containerds() {
    let Ok(entries) = std::fs::read_dir(work_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("seed-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let dir = entry.path();
        if let Ok(client) = Containerd::connect(&dir.join("containerd.sock")).await {
            let _ = Namespaces::new(client)
                .purge(DEFAULT_NAMESPACE, "overlayfs")
                .await;
        }
        if let Ok(bridge) = std::fs::read_to_string(dir.join("bridge")) {
            faas_e2e::env::remove_network(bridge.trim()).await;
        }
        stop_containerd(&dir);
    }
}

/// The tutorial's edit of a generated stack file: `provider.gateway` set to `gateway`, the
/// function's `image:` to `image`. Panics when the file lacks either line.
pub(crate) fn point_stack_at(stack: &str, gateway: &str, image: &str) -> String {
    let mut gateway_set = false;
    let mut image_set = false;
    let lines: Vec<String> = stack
        .lines()
        .map(|line| {
            let indent = &line[..line.len() - line.trim_start().len()];
            if line.trim_start().starts_with("gateway:") {
                gateway_set = true;
                format!("{indent}gateway: {gateway}")
            } else if line.trim_start().starts_with("image:") {
                image_set = true;
                format!("{indent}image: {image}")
            } else {
                line.to_owned()
            }
        })
        .collect();
    assert!(
        gateway_set && image_set,
        "no gateway or image line in:\n{stack}"
    );
    lines.join("\n") + "\n"
}

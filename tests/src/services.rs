//! The services end-to-end tests share: containerd, a registry and (for async tests) nats-server.
//!
//! Each is taken from the environment when given (`FAAS_CONTAINERD_SOCK`, `FAAS_REGISTRY_ADDR`,
//! `FAAS_NATS_URL`), otherwise started once with `scripts/services/*.sh` under
//! `target/tmp/e2e/` and left running for the next run (the scripts are idempotent). Starting
//! is serialised across test processes with a file lock, since nextest runs each test in its
//! own process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The shared services of this test run.
#[derive(Debug)]
pub struct Services {
    /// containerd's socket.
    pub socket: PathBuf,
    /// The registry, `127.0.0.1:port` (plain HTTP).
    pub registry: String,
}

static SERVICES: OnceLock<Result<Services, String>> = OnceLock::new();
static NATS: OnceLock<Result<String, String>> = OnceLock::new();

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `target/tmp/e2e`: where the harness keeps services and test worlds.
pub fn work_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("tmp").join("e2e")
}

/// Whether a missing service fails the test (`FAAS_REQUIRE_SERVICES=1`) instead of skipping it.
pub fn services_required() -> bool {
    std::env::var("FAAS_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// Runs `bash script args…` from the repository root; its trimmed stdout.
pub fn run_script(script: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .current_dir(repo_root())
        .output()
        .map_err(|e| format!("running {script}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{script} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs `f` holding an exclusive lock on `work_dir()/name.lock`.
pub fn with_lock<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let dir = work_dir();
    let _ = std::fs::create_dir_all(&dir);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{name}.lock")))
        .expect("opening a lock file");
    let _lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| e)
        .expect("locking");
    f()
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the effective user.
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// A free TCP port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts containerd under `dir` (idempotent); its socket.
pub fn start_containerd(dir: &Path) -> Result<PathBuf, String> {
    if Command::new("containerd")
        .arg("--version")
        .output()
        .is_err()
    {
        return Err("containerd is not installed (scripts/install-deps.sh)".to_owned());
    }
    run_script("scripts/services/containerd.sh", &[&dir.to_string_lossy()]).map(PathBuf::from)
}

fn start_services() -> Result<Services, String> {
    if !is_root() {
        return Err("faasd end-to-end tests need root".to_owned());
    }
    if !Path::new(faas_provider_containerd::test_image::BUSYBOX).exists() {
        return Err("busybox-static is not installed (scripts/install-deps.sh)".to_owned());
    }
    with_lock("services", || {
        let dir = work_dir();
        let socket = match std::env::var_os("FAAS_CONTAINERD_SOCK") {
            Some(s) => PathBuf::from(s),
            None => start_containerd(&dir.join("containerd"))?,
        };
        let registry = match std::env::var("FAAS_REGISTRY_ADDR") {
            Ok(a) => a,
            Err(_) => {
                let reg_dir = dir.join("registry");
                let port = std::fs::read_to_string(reg_dir.join("address"))
                    .ok()
                    .and_then(|a| a.trim().rsplit(':').next().map(str::to_owned))
                    .unwrap_or_else(|| free_port().to_string());
                run_script(
                    "scripts/services/registry.sh",
                    &[&port, &reg_dir.to_string_lossy()],
                )?
            }
        };
        Ok(Services { socket, registry })
    })
}

/// Prints the skip line for `why`, or panics when services are required.
pub fn skip(why: &str) {
    if services_required() {
        panic!("FAAS_REQUIRE_SERVICES=1 but {why}");
    }
    eprintln!("skip: {why}");
}

/// The shared services, or `None` after printing why the test is skipped (a panic with
/// `FAAS_REQUIRE_SERVICES=1`).
pub fn services() -> Option<&'static Services> {
    match SERVICES.get_or_init(start_services) {
        Ok(s) => Some(s),
        Err(why) => {
            skip(why);
            None
        }
    }
}

/// The NATS URL (a JetStream server started under `target/tmp/e2e/nats` unless
/// `FAAS_NATS_URL` is set), or `None` after the skip line.
pub fn nats_url() -> Option<&'static str> {
    let url = NATS.get_or_init(|| {
        if let Ok(url) = std::env::var("FAAS_NATS_URL") {
            return Ok(url);
        }
        with_lock("nats", || {
            let dir = work_dir().join("nats");
            let port = std::fs::read_to_string(dir.join("url"))
                .ok()
                .and_then(|u| u.trim().rsplit(':').next().map(str::to_owned))
                .unwrap_or_else(|| free_port().to_string());
            run_script("scripts/services/nats.sh", &[&port, &dir.to_string_lossy()])
        })
    });
    match url {
        Ok(u) => Some(u.as_str()),
        Err(why) => {
            skip(why);
            None
        }
    }
}

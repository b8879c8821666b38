//! [`Faasd`]: a running `faasd up` child process, found through the address file it writes.
//!
//! The binary is `FAASD_BIN` when set, otherwise `target/debug/faasd`, built once per test
//! process with `cargo build -p faasd` (a no-op when fresh).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::gateway::GatewayClient;

/// A `faasd up` process. Dropping it kills it (SIGKILL), so a failing test leaves no faasd.
#[derive(Debug)]
pub struct Faasd {
    child: Option<Child>,
    /// The gateway's bound address, from `<state>/gateway.addr`.
    pub addr: SocketAddr,
    /// The state dir it was started with.
    pub state_dir: PathBuf,
    /// Where its stdout and stderr go (`<state>/../faasd-<n>.log`).
    pub log: PathBuf,
}

/// The faasd binary to run.
pub fn faasd_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("FAASD_BIN") {
            return PathBuf::from(bin);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = crate::services::with_lock("build-faasd", || {
            Command::new(cargo)
                .args(["build", "-q", "-p", "faasd", "--bin", "faasd"])
                .current_dir(crate::services::repo_root())
                .status()
        });
        assert!(
            status.map(|s| s.success()).unwrap_or(false),
            "cargo build -p faasd failed"
        );
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::services::repo_root().join("target"));
        target.join("debug").join("faasd")
    })
}

impl Faasd {
    /// Runs `faasd args…` (which must include `up --state-dir state_dir`) and waits up to 60 s
    /// for `<state_dir>/gateway.addr` and a first answer from the gateway.
    pub async fn spawn(state_dir: &Path, args: &[String]) -> Self {
        let addr_file = state_dir.join("gateway.addr");
        let _ = std::fs::remove_file(&addr_file);
        std::fs::create_dir_all(state_dir).expect("creating the state dir");
        let log = next_log_path(state_dir);
        let out = std::fs::File::create(&log).expect("creating the faasd log");
        let err = out.try_clone().expect("cloning the log handle");
        let child = Command::new(faasd_binary())
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawning faasd");
        let mut faasd = Self {
            child: Some(child),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: state_dir.to_path_buf(),
            log,
        };
        let found = crate::poll(Duration::from_secs(60), || {
            let addr = std::fs::read_to_string(&addr_file)
                .ok()
                .and_then(|a| a.trim().parse::<SocketAddr>().ok());
            async move { addr }
        })
        .await;
        match found {
            Some(addr) => faasd.addr = addr,
            None => {
                let status = faasd
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                panic!(
                    "faasd wrote no gateway.addr within 60 s (exit: {status:?}); log:\n{}",
                    faasd.log_text()
                );
            }
        }
        let gw = faasd.gateway();
        let up = crate::poll(Duration::from_secs(10), || {
            let gw = gw.clone();
            async move {
                gw.try_get("/healthz")
                    .await
                    .ok()
                    .filter(|r| r.status == 200)
            }
        })
        .await;
        assert!(
            up.is_some(),
            "faasd's gateway does not answer; log:\n{}",
            faasd.log_text()
        );
        faasd
    }

    /// A client for the gateway, with the credentials from the state dir.
    pub fn gateway(&self) -> GatewayClient {
        GatewayClient::new(self.addr, &self.state_dir.join("secrets"))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// What faasd logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `kill -9` and reap.
    pub fn kill(mut self) {
        self.kill_now();
    }

    /// SIGTERM, then waits up to `grace` for a clean exit; the exit code (`None`: killed after
    /// the grace).
    pub async fn terminate(mut self, grace: Duration) -> Option<i32> {
        let mut child = self.child.take()?;
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    fn kill_now(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Faasd {
    fn drop(&mut self) {
        self.kill_now();
    }
}

fn next_log_path(state_dir: &Path) -> PathBuf {
    let parent = state_dir.parent().unwrap_or(state_dir);
    (0..)
        .map(|n| parent.join(format!("faasd-{n}.log")))
        .find(|p| !p.exists())
        .expect("a free log name")
}

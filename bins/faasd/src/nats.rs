//! The local `nats-server -js` that `faasd up` runs for the async queue when no `--nats-url` is
//! given: on 127.0.0.1 (port 4222 when free, else any free port), store under `<state>/nats`,
//! restarted when it dies, stopped with SIGTERM at shutdown.
//!
//! A server left behind by a faasd killed with `kill -9` is found by its pid file and stopped
//! before a new one starts (never by name).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::sync::watch;

use crate::error::Error;

/// The preferred port.
pub const DEFAULT_PORT: u16 = 4222;

/// A supervised nats-server. [`NatsServer::stop`] ends it; dropping it kills it.
#[derive(Debug)]
pub struct NatsServer {
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
    stop: watch::Sender<bool>,
    supervisor: tokio::task::JoinHandle<()>,
}

/// How to run the server.
#[derive(Debug, Clone)]
struct Launch {
    binary: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl NatsServer {
    /// Starts nats-server with its store under `dir`, waits until it accepts connections (10 s)
    /// and supervises it.
    pub async fn start(dir: &Path) -> Result<Self, Error> {
        let binary = find_binary().ok_or_else(|| {
            Error::Preflight(
                "nats-server is not installed: apt-get install nats-server (or run faasd up with --nats-url URL or --no-queue)"
                    .to_owned(),
            )
        })?;
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        stop_leftover(dir).await;
        let port = if port_is_free(DEFAULT_PORT) {
            DEFAULT_PORT
        } else {
            free_port().map_err(|e| Error::Nats(format!("finding a free port: {e}")))?
        };
        let launch = Launch {
            binary,
            dir: dir.to_path_buf(),
            port,
        };
        let child = launch.spawn()?;
        wait_accepting(port, Duration::from_secs(10)).await?;
        let url = format!("nats://127.0.0.1:{port}");
        tracing::info!(%url, store = %dir.join("store").display(), "started nats-server");
        let (stop, stopped) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(launch, child, stopped));
        Ok(Self {
            url,
            stop,
            supervisor,
        })
    }

    /// Stops the server (SIGTERM, then SIGKILL after 5 s) and its supervision.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.supervisor.await;
    }
}

impl Launch {
    fn spawn(&self) -> Result<Child, Error> {
        let log_path = self.dir.join("nats.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| Error::io("opening", &log_path, e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| Error::io("opening", &log_path, e))?;
        let child = Command::new(&self.binary)
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.dir.join("store"))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::Nats(format!("starting {}: {e}", self.binary.display())))?;
        if let Some(pid) = child.id() {
            let pid_file = self.dir.join("nats.pid");
            crate::write_atomically(&pid_file, pid.to_string().as_bytes(), 0o644)
                .map_err(|e| Error::io("writing", &pid_file, e))?;
        }
        Ok(child)
    }
}

async fn supervise(launch: Launch, mut child: Child, mut stopped: watch::Receiver<bool>) {
    loop {
        let status = tokio::select! {
            status = child.wait() => status,
            () = stop_requested(&mut stopped) => {
                terminate(&mut child).await;
                let _ = std::fs::remove_file(launch.dir.join("nats.pid"));
                return;
            }
        };
        tracing::warn!(?status, log = %launch.dir.join("nats.log").display(), "nats-server exited; restarting it in 1 s");
        loop {
            let wait = tokio::time::sleep(Duration::from_secs(1));
            tokio::select! {
                () = wait => {}
                () = stop_requested(&mut stopped) => return,
            }
            match launch.spawn() {
                Ok(c) => {
                    child = c;
                    break;
                }
                Err(e) => tracing::error!("restarting nats-server: {e}"),
            }
        }
    }
}

/// Completes once a stop is requested (or the sender is gone).
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        let pid = nix::unistd::Pid::from_raw(pid as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        if tokio::time::timeout(Duration::from_secs(5), child.wait())
            .await
            .is_ok()
        {
            tracing::info!("nats-server stopped");
            return;
        }
    }
    let _ = child.kill().await;
}

/// Stops the nats-server a previous faasd started from `dir`, if it still runs.
async fn stop_leftover(dir: &Path) {
    let Some(pid) = std::fs::read_to_string(dir.join("nats.pid"))
        .ok()
        .and_then(|p| p.trim().parse::<i32>().ok())
    else {
        return;
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() != "nats-server" {
        return;
    }
    tracing::info!(
        pid,
        "stopping the nats-server a previous faasd left running"
    );
    let pid = nix::unistd::Pid::from_raw(pid);
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    for _ in 0..50 {
        if nix::sys::signal::kill(pid, None).is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
}

fn find_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn wait_accepting(port: u16, timeout: Duration) -> Result<(), Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(Error::Nats(format!(
        "not accepting connections on 127.0.0.1:{port} after {timeout:?}"
    )))
}

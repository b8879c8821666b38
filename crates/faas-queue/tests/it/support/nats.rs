//! A private nats-server with JetStream for one test: its own port and store directory, stopped
//! by PID when dropped.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// A running nats-server.
pub struct NatsServer {
    binary: PathBuf,
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

/// The nats-server binary: on `PATH`, else where Debian installs it.
fn find_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([
            "/usr/sbin".into(),
            "/usr/local/bin".into(),
            "/usr/bin".into(),
        ])
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
}

impl NatsServer {
    /// Starts a server, or returns `None` after printing one skip line when nats-server is not
    /// installed — unless `FAAS_REQUIRE_SERVICES=1`, which makes that a failure.
    pub fn start(test: &str) -> Option<Self> {
        let Some(binary) = find_binary() else {
            if std::env::var("FAAS_REQUIRE_SERVICES").as_deref() == Ok("1") {
                panic!("{test}: nats-server is not installed (scripts/install-deps.sh) and FAAS_REQUIRE_SERVICES=1");
            }
            println!("skipping {test}: nats-server not installed (scripts/install-deps.sh)");
            return None;
        };
        let port = free_port();
        let dir = tempfile::Builder::new()
            .prefix("faas-queue-nats-")
            .tempdir()
            .expect("temp dir");
        let mut server = Self {
            binary,
            child: None,
            port,
            dir,
        };
        server.spawn();
        Some(server)
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("nats.log")).expect("log file");
        let child = Command::new(&self.binary)
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(self.dir.path().join("store"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting nats-server");
        self.child = Some(child);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        for _ in 0..200 {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("nats-server did not listen on {addr} within 5 s");
    }

    /// Stops the server with `signal` (SIGTERM: graceful; SIGKILL: crash) and waits for it.
    pub fn stop(&mut self, signal: Signal) {
        if let Some(mut child) = self.child.take() {
            let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits i32"));
            let _ = kill(pid, signal);
            let _ = child.wait();
        }
    }

    /// Starts it again after [`NatsServer::stop`].
    pub fn start_again(&mut self) {
        self.spawn();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("binding port 0");
    listener.local_addr().expect("local addr").port()
}

//! Starting a watchdog, talking HTTP to it, and looking at processes through `/proc`.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The binary under test.
pub(crate) const FWATCHDOG: &str = env!("CARGO_BIN_EXE_fwatchdog");

/// A request body.
pub(crate) type RequestBody = BoxBody<Bytes, Infallible>;

/// A running watchdog, killed when dropped.
pub(crate) struct Watchdog {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
    /// Its metrics port (`metrics_port`): a free port unless the test sets one.
    pub(crate) metrics_port: u16,
    /// Its `TMPDIR` (holds `.lock` and `watchdog.log`) and the test's scratch files.
    pub(crate) dir: tempfile::TempDir,
}

/// A port nobody listens on right now.
pub(crate) fn free_port() -> u16 {
    free_ports::<1>()[0]
}

/// `N` distinct ports nobody listens on right now.
pub(crate) fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: [std::net::TcpListener; N] = std::array::from_fn(|_| {
        std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port")
    });
    listeners.map(|l| l.local_addr().unwrap().port())
}

impl Watchdog {
    /// Starts `fwatchdog` with a clean environment plus `vars`, and waits for `/_/health` = 200.
    pub(crate) async fn start(vars: &[(&str, &str)]) -> Watchdog {
        let watchdog = Self::spawn(tempfile::tempdir().unwrap(), vars);
        watchdog.wait_healthy(Duration::from_secs(10)).await;
        watchdog
    }

    /// Starts `fwatchdog` in `dir` without waiting for it. The metrics port is a free one
    /// (never the shared default 8081) unless `vars` sets `metrics_port`.
    pub(crate) fn spawn(dir: tempfile::TempDir, vars: &[(&str, &str)]) -> Watchdog {
        let [port, free_metrics_port] = free_ports();
        let metrics_port = vars
            .iter()
            .find(|(name, _)| *name == "metrics_port")
            .map_or(free_metrics_port, |(_, value)| value.parse().unwrap());
        let log = std::fs::File::create(dir.path().join("watchdog.log")).unwrap();
        let child = Command::new(FWATCHDOG)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TMPDIR", dir.path())
            .env("port", port.to_string())
            .env("metrics_port", metrics_port.to_string())
            .env("RUST_LOG", "info")
            // Exit promptly when dropped (SIGTERM); tests of the drain set their own.
            .env("healthcheck_interval", "0")
            .envs(vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start fwatchdog");
        Watchdog {
            child: Some(child),
            port,
            metrics_port,
            dir,
        }
    }

    /// Waits until `/_/health` answers 200, panicking with the log after `limit`.
    pub(crate) async fn wait_healthy(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(response) = self.try_request(get("/_/health")).await {
                if response.0 == StatusCode::OK {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "watchdog not healthy after {limit:?}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The watchdog's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// The watchdog's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("watchdog.log")).unwrap_or_default()
    }

    /// A path in the test's scratch directory.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Sends a request on a new connection and collects the whole response.
    pub(crate) async fn request(
        &self,
        request: Request<RequestBody>,
    ) -> (StatusCode, hyper::HeaderMap, Bytes) {
        match self.try_request(request).await {
            Ok(response) => response,
            Err(error) => panic!("request failed: {error}; log:\n{}", self.log()),
        }
    }

    /// Like [`Watchdog::request`], but returns errors.
    pub(crate) async fn try_request(
        &self,
        request: Request<RequestBody>,
    ) -> Result<(StatusCode, hyper::HeaderMap, Bytes), SendError> {
        request_to(self.port, request).await
    }

    /// Sends a request on a new connection and returns the response with its body unread.
    pub(crate) async fn send(
        &self,
        request: Request<RequestBody>,
    ) -> Result<Response<Incoming>, SendError> {
        send_to(self.port, request).await
    }

    /// `GET /metrics` on the metrics port: the metrics text, panicking with the log on failure.
    pub(crate) async fn metrics(&self) -> String {
        match self.try_metrics().await {
            Ok((StatusCode::OK, _, body)) => String::from_utf8(body.to_vec()).unwrap(),
            Ok((status, _, _)) => panic!("/metrics answered {status}; log:\n{}", self.log()),
            Err(error) => panic!("/metrics failed: {error}; log:\n{}", self.log()),
        }
    }

    /// `GET /metrics` on the metrics port, errors returned.
    pub(crate) async fn try_metrics(
        &self,
    ) -> Result<(StatusCode, hyper::HeaderMap, Bytes), SendError> {
        request_to(self.metrics_port, get("/metrics")).await
    }

    /// Sends SIGTERM.
    pub(crate) fn terminate(&self) {
        let pid = nix::unistd::Pid::from_raw(self.pid() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    }

    /// Waits for the watchdog to exit, up to `limit`.
    pub(crate) async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        let child = self.child.as_mut().unwrap();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Watchdog {
    /// SIGTERM first, so an http-mode watchdog stops its upstream process (which lives in its
    /// own process group and would outlive a SIGKILLed watchdog); SIGKILL after 3 s.
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        for _ in 0..150 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Sends a request to `port` on 127.0.0.1 on a new connection and collects the response.
pub(crate) async fn request_to(
    port: u16,
    request: Request<RequestBody>,
) -> Result<(StatusCode, hyper::HeaderMap, Bytes), SendError> {
    let (parts, body) = send_to(port, request).await?.into_parts();
    let body = body.collect().await.map_err(SendError::Http)?.to_bytes();
    Ok((parts.status, parts.headers, body))
}

/// Sends a request to `port` on 127.0.0.1 on a new connection; the body is left unread.
pub(crate) async fn send_to(
    port: u16,
    request: Request<RequestBody>,
) -> Result<Response<Incoming>, SendError> {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(SendError::Connect)?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(SendError::Http)?;
    tokio::spawn(connection);
    sender.send_request(request).await.map_err(SendError::Http)
}

/// Why a request could not be sent.
#[derive(Debug)]
pub(crate) enum SendError {
    /// TCP connect failed (refused: nobody listens).
    Connect(std::io::Error),
    /// HTTP failed.
    Http(hyper::Error),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Connect(e) => write!(f, "connect: {e}"),
            SendError::Http(e) => write!(f, "http: {e}"),
        }
    }
}

/// A bodiless GET.
pub(crate) fn get(path: &str) -> Request<RequestBody> {
    Request::get(path)
        .header("host", "127.0.0.1")
        .body(empty())
        .unwrap()
}

/// A POST with a body.
pub(crate) fn post(path: &str, body: &'static str) -> Request<RequestBody> {
    Request::post(path)
        .header("host", "127.0.0.1")
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(body.as_bytes())).boxed())
        .unwrap()
}

/// An empty body.
pub(crate) fn empty() -> RequestBody {
    Full::new(Bytes::new()).boxed()
}

/// Writes an executable shell script into `dir` and returns its `fprocess` (`sh <path>`).
pub(crate) fn script(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    format!("sh {}", path.display())
}

/// A body of `len` bytes produced on the fly in 64 KiB chunks, never held whole.
pub(crate) struct GeneratedBody {
    remaining: u64,
    chunk: Bytes,
}

impl GeneratedBody {
    /// `len` bytes of `x`.
    pub(crate) fn new(len: u64) -> Self {
        GeneratedBody {
            remaining: len,
            chunk: Bytes::from(vec![b'x'; 64 * 1024]),
        }
    }
}

impl Body for GeneratedBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = self.remaining.min(self.chunk.len() as u64);
        self.remaining -= n;
        let data = self.chunk.slice(..n as usize);
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.remaining)
    }
}

/// A process as `/proc/<pid>/stat` describes it.
#[derive(Debug)]
pub(crate) struct ProcStat {
    /// Process id.
    pub(crate) pid: u32,
    /// One-letter state (`Z` = zombie).
    pub(crate) state: char,
    /// Process group id.
    pub(crate) pgrp: u32,
}

/// Reads `/proc/<pid>/stat`, `None` when the process is gone.
pub(crate) fn proc_stat(pid: u32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &text[text.rfind(')')? + 2..];
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(ProcStat { pid, state, pgrp })
}

/// True while `pid` exists and is not a zombie.
pub(crate) fn is_alive(pid: u32) -> bool {
    proc_stat(pid).is_some_and(|s| s.state != 'Z')
}

/// Live (non-zombie) processes in process group `pgid`.
pub(crate) fn group_members(pgid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(proc_stat)
        .filter(|s| s.pgrp == pgid && s.state != 'Z')
        .map(|s| s.pid)
        .collect()
}

/// The TCP ports `pid` listens on (IPv4 and IPv6), from its socket descriptors and
/// `/proc/net/tcp*`, sorted.
pub(crate) fn listening_ports(pid: u32) -> Vec<u16> {
    let sockets: std::collections::HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_str()?;
            let inode = target.strip_prefix("socket:[")?.strip_suffix(']')?;
            Some(inode.to_owned())
        })
        .collect();
    let mut ports: Vec<u16> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|text| {
            text.lines()
                .skip(1)
                .filter_map(|line| {
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let listening = fields.get(3) == Some(&"0A");
                    let port = fields.get(1)?.rsplit(':').next()?;
                    (listening && sockets.contains(*fields.get(9)?))
                        .then(|| u16::from_str_radix(port, 16).ok())
                        .flatten()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// The value of one sample in a metrics text: `series` is the name with its labels exactly as
/// printed (`http_requests_total{code="200",method="post"}`); `None` when absent.
pub(crate) fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

/// Resident memory of `pid` in KiB (`VmRSS`).
pub(crate) fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS in /proc status")
}

/// Waits until `condition` holds, up to `limit`.
pub(crate) async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

//! A replica's output pipes and the task that reads them: each line is stamped when it
//! arrives, written to the replica's rotating file and handed to followers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use faas_core::LogMessage;
use jiff::Timestamp;
use tokio::io::AsyncReadExt as _;
use tokio::net::unix::pipe;
use tokio::sync::{broadcast, oneshot, watch};

use super::record::{encode, LineSplitter, Stream};
use super::rotate::RotatingFile;
use super::LogLimits;
use crate::error::{Error, Result};

/// The FIFOs a replica's task writes its standard output and error to (containerd takes a
/// plain path as a FIFO the shim opens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stdio {
    /// Standard output's FIFO.
    pub stdout: PathBuf,
    /// Standard error's FIFO.
    pub stderr: PathBuf,
}

impl Stdio {
    /// The FIFOs of replica `id` in `dir`.
    pub fn new(dir: &Path, id: &str) -> Self {
        Self {
            stdout: dir.join(format!("{id}.stdout")),
            stderr: dir.join(format!("{id}.stderr")),
        }
    }

    /// Makes both FIFOs (a stale non-FIFO file in the way is replaced).
    pub fn create(&self) -> Result<()> {
        use std::os::unix::fs::FileTypeExt as _;
        for p in [&self.stdout, &self.stderr] {
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
            }
            match std::fs::symlink_metadata(p) {
                Ok(m) if m.file_type().is_fifo() => continue,
                Ok(_) => {
                    let _ = std::fs::remove_file(p);
                }
                Err(_) => {}
            }
            nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600))
                .map_err(|e| Error::io("creating the log pipe", p, e.into()))?;
        }
        Ok(())
    }

    /// Removes both FIFOs.
    pub fn remove(&self) {
        let _ = std::fs::remove_file(&self.stdout);
        let _ = std::fs::remove_file(&self.stderr);
    }

    /// Opens both for reading. Read-write, so the pipes never report end-of-file while the
    /// task's shim reopens them (a restart) and nothing written is lost when it closes them.
    pub fn open(&self) -> Result<(pipe::Receiver, pipe::Receiver)> {
        let open = |p: &Path| {
            pipe::OpenOptions::new()
                .read_write(true)
                .open_receiver(p)
                .map_err(|e| Error::io("opening the log pipe", p, e))
        };
        Ok((open(&self.stdout)?, open(&self.stderr)?))
    }
}

/// Where a replica's lines go: its file and the followers.
pub(super) struct Output {
    pub(super) namespace: String,
    pub(super) function: String,
    pub(super) instance: String,
    pub(super) file: RotatingFile,
    pub(super) live: broadcast::Sender<Arc<LogMessage>>,
    pub(super) last: Timestamp,
}

impl Output {
    /// Stamps and records one line (or piece of a long one).
    fn emit(&mut self, stream: Stream, text: &str, partial: bool) {
        let mut now = Timestamp::now();
        if now <= self.last {
            // Strictly increasing per replica, so a follower can tell what it has seen.
            now = self.last + jiff::SignedDuration::from_nanos(1);
        }
        self.last = now;
        if let Err(e) = self.file.write(&encode(now, stream, partial, text)) {
            tracing::warn!(replica = %self.instance, error = %e, "writing the log file");
        }
        if self.live.receiver_count() > 0 {
            let _ = self.live.send(Arc::new(LogMessage {
                name: self.function.clone(),
                namespace: self.namespace.clone(),
                instance: self.instance.clone(),
                timestamp: now,
                text: text.to_owned(),
            }));
        }
    }
}

/// The line splitters of both streams and the output they feed.
pub(super) struct Sink {
    stdout: LineSplitter,
    stderr: LineSplitter,
    out: Output,
}

impl Sink {
    /// A sink writing to `out`, cutting lines at the limits' line length.
    pub(super) fn new(out: Output, limits: &LogLimits) -> Self {
        Self {
            stdout: LineSplitter::new(limits.max_line_bytes),
            stderr: LineSplitter::new(limits.max_line_bytes),
            out,
        }
    }

    fn feed(&mut self, stream: Stream, bytes: &[u8]) {
        let Self {
            stdout,
            stderr,
            out,
        } = self;
        let splitter = match stream {
            Stream::Stdout => stdout,
            Stream::Stderr => stderr,
        };
        splitter.push(bytes, &mut |text, partial| out.emit(stream, text, partial));
    }

    fn flush(&mut self) {
        let Self {
            stdout,
            stderr,
            out,
        } = self;
        stdout.flush(&mut |t, p| out.emit(Stream::Stdout, t, p));
        stderr.flush(&mut |t, p| out.emit(Stream::Stderr, t, p));
    }
}

/// Reads both pipes into `sink` until `stop` (drain what is buffered, then end) or `shutdown`
/// (the provider is gone: end at once, as after `kill -9`; the pipes keep what is unread for
/// the next provider).
pub(super) async fn run(
    pipes: (pipe::Receiver, pipe::Receiver),
    mut sink: Sink,
    mut stop: oneshot::Receiver<()>,
    mut shutdown: watch::Receiver<()>,
) {
    let (mut stdout, mut stderr) = pipes;
    let mut out_buf = vec![0u8; 8192];
    let mut err_buf = vec![0u8; 8192];
    loop {
        tokio::select! {
            r = stdout.read(&mut out_buf) => match r {
                Ok(0) => tokio::time::sleep(Duration::from_millis(100)).await,
                Ok(n) => sink.feed(Stream::Stdout, &out_buf[..n]),
                Err(e) => {
                    tracing::warn!(replica = %sink.out.instance, error = %e, "reading stdout");
                    return;
                }
            },
            r = stderr.read(&mut err_buf) => match r {
                Ok(0) => tokio::time::sleep(Duration::from_millis(100)).await,
                Ok(n) => sink.feed(Stream::Stderr, &err_buf[..n]),
                Err(e) => {
                    tracing::warn!(replica = %sink.out.instance, error = %e, "reading stderr");
                    return;
                }
            },
            _ = &mut stop => {
                drain(&stdout, Stream::Stdout, &mut sink, &mut out_buf);
                drain(&stderr, Stream::Stderr, &mut sink, &mut err_buf);
                sink.flush();
                return;
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Reads what is left in `pipe` now (non-blocking reads on the descriptor itself: the
/// runtime's readiness may not have seen the last bytes yet).
fn drain(pipe: &pipe::Receiver, stream: Stream, sink: &mut Sink, buf: &mut [u8]) {
    use std::os::fd::AsFd as _;
    while let Ok(n) = nix::unistd::read(pipe.as_fd(), buf) {
        if n == 0 {
            break;
        }
        sink.feed(stream, &buf[..n]);
    }
}

//! Function logs: every line a replica prints, with the time faasd received it, in a file per
//! replica rotated by size, served as [`LogMessage`]s (history and follow).
//!
//! # Design
//!
//! Each replica's task writes its standard output and error to two FIFOs under
//! `<state dir>/logs/<ns>/pipes/` (containerd's shim opens a plain stdio path as a FIFO). faasd
//! reads them in one small task per replica, cuts the bytes into lines (at most
//! [`LogLimits::max_line_bytes`] each: longer lines are stored as pieces, so no line makes
//! faasd's memory grow), stamps each line with the time it arrives, appends it to
//! `<state dir>/logs/<ns>/<replica>.log` (format in [`record`]), and hands it to the followers
//! of the function. When the file would pass [`LogLimits::max_file_bytes`] it is rotated
//! (`<replica>.log.1`, …, [`LogLimits::rotated_files`] kept), so a replica's logs take at most
//! `max_file_bytes × (rotated_files + 1)` on disk. Reading spans the rotated files and the
//! current one; `since` compares with the recorded times, so it is exact; following needs no
//! polling: it subscribes to the lines as they are written.
//!
//! After a faasd restart the FIFOs are still there and still held open by the shims; the new
//! faasd reopens those of every replica it adopts and reads on. What a function printed while
//! faasd was down waited in the pipes and is stamped when faasd reads it.
//!
//! Trade-offs, against the alternatives:
//! - The shim writing `file://` itself (what this replaced) costs faasd nothing but gives no
//!   time per line (`since` was approximate) and no bound on the file.
//! - containerd's `binary://` log driver (a logger process per replica) survives faasd
//!   restarts without buffering, but costs a process (a few MB of RSS) per replica — too much
//!   on a Raspberry Pi with dozens of functions.
//! - Here a replica costs faasd one tokio task, two 8 KiB read buffers and at most two line
//!   buffers; faasd's CPU is a read, a format and a write per line. The price: while faasd is
//!   down, a function printing more than the pipes hold (about 64 KiB in the FIFO, as much
//!   again in the shim's pipe) blocks on its next write until faasd is back, and lines read
//!   after a restart carry the time they were read.
//!
//! Measured roughly (a debug build on 2 vCPUs, the provider in a test process): 20 quiet
//! replicas add about 0.75 MB to faasd's RSS (~37 KB each, readers and the rest of a replica's
//! state) and no measurable CPU; a function printing as fast as busybox can (about 80 000
//! lines/s of 60 bytes) costs faasd about 4.5 µs of CPU per line, i.e. a third of a core, and
//! its logs stay within `max_file_bytes × (rotated_files + 1)`.
//!
//! Files of replicas that existed before this format (bare lines) are still read, each line
//! stamped with its file's modification time.

pub mod pipe;
pub mod record;
pub mod rotate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faas_core::{LogMessage, LogRequest, LogStream};
use jiff::Timestamp;
use tokio::sync::{broadcast, oneshot, watch};

use crate::error::Result;
pub use pipe::Stdio;

/// How much of a replica's output is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// A log file is rotated before it would grow past this (default 5 MiB).
    pub max_file_bytes: u64,
    /// Rotated files kept besides the current one (default 1).
    pub rotated_files: u32,
    /// Longer lines are stored in pieces of this size (default 16 KiB).
    pub max_line_bytes: usize,
}

impl Default for LogLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 5 * 1024 * 1024,
            rotated_files: 1,
            max_line_bytes: 16 * 1024,
        }
    }
}

/// A replica's running reader.
struct Reader {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    dir: PathBuf,
    limits: LogLimits,
    live: broadcast::Sender<Arc<LogMessage>>,
    readers: Mutex<HashMap<String, Reader>>,
    /// Dropped with the store: every reader ends.
    _shutdown: watch::Sender<()>,
    shutdown_rx: watch::Receiver<()>,
}

/// The log files of every replica and the readers writing them. Cheap to clone; dropping
/// the last clone stops the readers (the pipes keep what they have not read).
#[derive(Clone)]
pub struct LogStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for LogStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStore")
            .field("dir", &self.shared.dir)
            .field("limits", &self.shared.limits)
            .finish_non_exhaustive()
    }
}

impl LogStore {
    /// A store under `state_dir` keeping `limits` (a line piece is at most half a file).
    pub fn new(state_dir: &Path, mut limits: LogLimits) -> Self {
        let half_file = usize::try_from(limits.max_file_bytes / 2).unwrap_or(usize::MAX);
        limits.max_line_bytes = limits.max_line_bytes.min(half_file).max(1);
        let (shutdown, shutdown_rx) = watch::channel(());
        Self {
            shared: Arc::new(Shared {
                dir: state_dir.join("logs"),
                limits,
                live: broadcast::channel(1024).0,
                readers: Mutex::new(HashMap::new()),
                _shutdown: shutdown,
                shutdown_rx,
            }),
        }
    }

    fn readers(&self) -> std::sync::MutexGuard<'_, HashMap<String, Reader>> {
        self.shared
            .readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The FIFOs of replica `id` in `ns`.
    pub fn stdio(&self, ns: &str, id: &str) -> Stdio {
        Stdio::new(&self.shared.dir.join(ns).join("pipes"), id)
    }

    /// The FIFOs replica `id` of `ns` must write to, with a reader on them (made when there is
    /// none: a new replica, or one adopted after a restart). Needs a tokio runtime.
    pub fn attach(&self, ns: &str, id: &str) -> Result<Stdio> {
        let stdio = self.stdio(ns, id);
        let key = format!("{ns}/{id}");
        let mut readers = self.readers();
        if readers.get(&key).is_some_and(|r| !r.task.is_finished()) {
            return Ok(stdio);
        }
        stdio.create()?;
        let pipes = stdio.open()?;
        let function = id.split('.').next().unwrap_or(id).to_owned();
        let out = pipe::Output {
            namespace: ns.to_owned(),
            function,
            instance: id.to_owned(),
            file: rotate::RotatingFile::new(&self.shared.dir.join(ns), id, self.shared.limits),
            live: self.shared.live.clone(),
            last: Timestamp::UNIX_EPOCH,
        };
        let sink = pipe::Sink::new(out, &self.shared.limits);
        let (stop, stop_rx) = oneshot::channel();
        let task = tokio::spawn(pipe::run(
            pipes,
            sink,
            stop_rx,
            self.shared.shutdown_rx.clone(),
        ));
        readers.insert(key, Reader { stop, task });
        Ok(stdio)
    }

    /// Stops the reader of replica `id` (its task is gone) after it read what is left in the
    /// pipes, and removes the pipes. Its log files stay until the function is deleted.
    pub async fn detach(&self, ns: &str, id: &str) {
        let reader = self.readers().remove(&format!("{ns}/{id}"));
        if let Some(r) = reader {
            let _ = r.stop.send(());
            if tokio::time::timeout(Duration::from_secs(5), r.task)
                .await
                .is_err()
            {
                tracing::warn!(replica = id, "the log reader did not stop");
            }
        }
        self.stdio(ns, id).remove();
    }

    /// Removes the files of function `name` in `ns`.
    pub fn remove_function(&self, ns: &str, name: &str) {
        for (_, paths) in self.files(ns, name) {
            for p in paths {
                let _ = std::fs::remove_file(p);
            }
        }
    }

    /// The replicas of function `name` in `ns` with their files, oldest first, sorted by id.
    fn files(&self, ns: &str, name: &str) -> Vec<(String, Vec<PathBuf>)> {
        let prefix = format!("{name}.");
        let mut by_id: HashMap<String, Vec<(u32, PathBuf)>> = HashMap::new();
        for e in std::fs::read_dir(self.shared.dir.join(ns))
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(file) = e.file_name().into_string() else {
                continue;
            };
            let Some((id, generation)) = rotate::parse_name(&file) else {
                continue;
            };
            if id.starts_with(&prefix) {
                by_id
                    .entry(id.to_owned())
                    .or_default()
                    .push((generation, e.path()));
            }
        }
        let mut out: Vec<(String, Vec<PathBuf>)> = by_id
            .into_iter()
            .map(|(id, mut files)| {
                files.sort_by_key(|f| std::cmp::Reverse(f.0));
                (id, files.into_iter().map(|(_, p)| p).collect())
            })
            .collect();
        out.sort();
        out
    }

    /// The lines `req` asks for, following new lines when asked.
    pub fn stream(&self, req: LogRequest) -> LogStream {
        // Subscribed before the files are read: a line written in between is in both, and
        // told apart by its time (strictly increasing per replica).
        let live = req.follow.then(|| self.shared.live.subscribe());
        let since = match (req.since, req.tail) {
            (Some(t), _) => Some(t),
            (None, None) => Some(Timestamp::now() - jiff::SignedDuration::from_secs(300)),
            (None, Some(_)) => None,
        };
        let mut history = Vec::new();
        let mut seen: HashMap<String, Timestamp> = HashMap::new();
        for (id, paths) in self.files(&req.namespace, &req.name) {
            if req.instance.as_ref().is_some_and(|i| *i != id) {
                continue;
            }
            for path in paths {
                let Ok(body) = std::fs::read(&path) else {
                    continue;
                };
                let modified = std::fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| Timestamp::try_from(t).ok())
                    .unwrap_or_else(Timestamp::now);
                for line in String::from_utf8_lossy(&body).lines() {
                    let r = record::decode(line, modified);
                    let last = seen.entry(id.clone()).or_insert(r.timestamp);
                    *last = (*last).max(r.timestamp);
                    if since.is_some_and(|s| r.timestamp < s) {
                        continue;
                    }
                    history.push(message(&req, &id, r.timestamp, r.text));
                }
            }
        }
        history.sort_by_key(|m| m.timestamp);
        if let Some(n) = req.tail {
            history.drain(..history.len().saturating_sub(n));
        }
        let past = futures_util::stream::iter(history.into_iter().map(Ok));
        let Some(live) = live else {
            return Box::pin(past);
        };
        let follow = futures_util::stream::unfold(
            (live, req, seen),
            |(mut live, req, seen)| async move {
                loop {
                    match live.recv().await {
                        Ok(m) => {
                            let wanted = m.name == req.name
                                && m.namespace == req.namespace
                                && req.instance.as_ref().is_none_or(|i| *i == m.instance)
                                && seen.get(&m.instance).is_none_or(|t| m.timestamp > *t);
                            if wanted {
                                return Some((Ok((*m).clone()), (live, req, seen)));
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::warn!(function = %req.name, skipped = n, "a log follower fell behind; lines skipped");
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        );
        Box::pin(futures_util::StreamExt::chain(past, follow))
    }
}

fn message(req: &LogRequest, instance: &str, timestamp: Timestamp, text: String) -> LogMessage {
    LogMessage {
        name: req.name.clone(),
        namespace: req.namespace.clone(),
        instance: instance.to_owned(),
        timestamp,
        text,
    }
}

#[cfg(test)]
mod tests;

//! Function logs: each replica's stdout and stderr go to `<state dir>/logs/<ns>/<replica>.log`
//! (the shim writes the file; no process per function), served as [`LogMessage`] lines.
//!
//! Lines carry no time of their own: lines already in a file are stamped with the file's
//! modification time, lines read while following with the time they were read.

use std::path::{Path, PathBuf};
use std::time::Duration;

use faas_core::{LogMessage, LogRequest, LogStream};
use jiff::Timestamp;

/// The log files of every replica.
#[derive(Debug, Clone)]
pub struct LogStore {
    dir: PathBuf,
}

impl LogStore {
    /// A store under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("logs"),
        }
    }

    /// The file of replica `id` in `ns` (its directory is created).
    pub fn file(&self, ns: &str, id: &str) -> PathBuf {
        let dir = self.dir.join(ns);
        let _ = std::fs::create_dir_all(&dir);
        dir.join(format!("{id}.log"))
    }

    /// Removes the files of function `name` in `ns`.
    pub fn remove_function(&self, ns: &str, name: &str) {
        for (_, path) in self.files(ns, name) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// `(replica id, file)` of function `name`, sorted.
    fn files(&self, ns: &str, name: &str) -> Vec<(String, PathBuf)> {
        let prefix = format!("{name}.");
        let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(self.dir.join(ns))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let file = e.file_name().into_string().ok()?;
                let id = file.strip_suffix(".log")?;
                id.starts_with(&prefix).then(|| (id.to_owned(), e.path()))
            })
            .collect();
        out.sort();
        out
    }

    /// The lines `req` asks for, following new lines when asked.
    pub fn stream(&self, req: LogRequest) -> LogStream {
        let files: Vec<(String, PathBuf)> = self
            .files(&req.namespace, &req.name)
            .into_iter()
            .filter(|(id, _)| req.instance.as_ref().is_none_or(|i| i == id))
            .collect();
        let since = match (req.since, req.tail) {
            (Some(t), _) => Some(t),
            (None, None) => Some(Timestamp::now() - jiff::SignedDuration::from_secs(300)),
            (None, Some(_)) => None,
        };
        let mut history = Vec::new();
        let mut offsets = Vec::new();
        for (id, path) in &files {
            let body = std::fs::read(path).unwrap_or_default();
            offsets.push((id.clone(), path.clone(), body.len() as u64));
            let stamp = std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| Timestamp::try_from(t).ok())
                .unwrap_or_else(Timestamp::now);
            if since.is_some_and(|s| stamp < s) {
                continue;
            }
            for line in String::from_utf8_lossy(&body).lines() {
                history.push(message(&req, id, stamp, line));
            }
        }
        history.sort_by_key(|m| m.timestamp);
        if let Some(n) = req.tail {
            history.drain(..history.len().saturating_sub(n));
        }
        let past = futures_util::stream::iter(history.into_iter().map(Ok));
        if !req.follow {
            return Box::pin(past);
        }
        let dir = self.dir.clone();
        let follow = futures_util::stream::unfold(
            (req, offsets, Vec::<LogMessage>::new(), dir),
            |(req, mut offsets, mut pending, dir)| async move {
                loop {
                    if let Some(m) = pending.pop() {
                        return Some((Ok(m), (req, offsets, pending, dir)));
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    // New replicas' files join the stream.
                    let store = LogStore { dir: dir.clone() };
                    for (id, path) in store.files(&req.namespace, &req.name) {
                        if req.instance.as_ref().is_some_and(|i| *i != id) {
                            continue;
                        }
                        if !offsets.iter().any(|(i, _, _)| *i == id) {
                            offsets.push((id, path, 0));
                        }
                    }
                    let now = Timestamp::now();
                    for (id, path, offset) in offsets.iter_mut() {
                        let Ok(body) = std::fs::read(&*path) else {
                            continue;
                        };
                        if (body.len() as u64) < *offset {
                            *offset = 0; // truncated
                        }
                        let new = &body[*offset as usize..];
                        let Some(end) = new.iter().rposition(|b| *b == b'\n') else {
                            continue;
                        };
                        for line in String::from_utf8_lossy(&new[..end]).lines() {
                            pending.push(message(&req, id, now, line));
                        }
                        *offset += end as u64 + 1;
                    }
                    pending.reverse();
                }
            },
        );
        Box::pin(futures_util::StreamExt::chain(past, follow))
    }
}

fn message(req: &LogRequest, instance: &str, timestamp: Timestamp, text: &str) -> LogMessage {
    LogMessage {
        name: req.name.clone(),
        namespace: req.namespace.clone(),
        instance: instance.to_owned(),
        timestamp,
        text: text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn tail_and_instance_filters() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::new(dir.path());
        std::fs::write(store.file("ns", "echo.1-0"), "a\nb\nc\n").unwrap();
        std::fs::write(store.file("ns", "echo.1-1"), "d\n").unwrap();
        std::fs::write(store.file("ns", "other.1-0"), "x\n").unwrap();
        let req = LogRequest {
            name: "echo".into(),
            namespace: "ns".into(),
            instance: None,
            tail: Some(2),
            since: None,
            follow: false,
        };
        let lines: Vec<_> = store
            .stream(req.clone())
            .map(|m| m.unwrap().text)
            .collect()
            .await;
        assert_eq!(lines.len(), 2);
        let only: Vec<_> = store
            .stream(LogRequest {
                instance: Some("echo.1-1".into()),
                tail: None,
                ..req
            })
            .map(|m| m.unwrap().text)
            .collect()
            .await;
        assert_eq!(only, vec!["d"]);
    }
}

//! The desired state persisted under the state dir, one JSON file per function, written
//! atomically (temporary file + rename) so a `kill -9` leaves either the old or the new file.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use faas_core::{FunctionDeployment, FunctionRef};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What the provider must remember about a function to bring it back after a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunctionRecord {
    /// The deployment as last accepted.
    pub deployment: FunctionDeployment,
    /// When the function was first deployed (`createdAt`; kept across updates).
    pub created_at: Timestamp,
    /// Desired replicas.
    pub replicas: u64,
    /// Bumped by every update; replica ids carry it so old and new versions are told apart.
    pub generation: u64,
    /// The replicas that exist, by container id.
    #[serde(default)]
    pub replica_records: BTreeMap<String, ReplicaRecord>,
    /// While the function is at zero replicas: a replica created and on the network but not
    /// started, which the first call starts in milliseconds. Not counted as a replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby: Option<ReplicaRecord>,
}

/// One replica: enough to reach it and to release its network after a crash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReplicaRecord {
    /// The containerd container id (`<name>.<generation>-<n>`).
    pub id: String,
    /// The deployment generation it runs.
    pub generation: u64,
    /// The task's pid, while it runs.
    pub pid: Option<u32>,
    /// The CNI ADD result, passed as `prevResult` on DEL.
    pub cni_result: Option<serde_json::Value>,
    /// Where it listens.
    pub addr: Option<SocketAddr>,
    /// How long it may drain after SIGTERM before SIGKILL, in ms (from its function's
    /// environment, see [`crate::replica::stop_grace`]); `None`: the provider's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_grace_ms: Option<u64>,
}

/// JSON files under `<state dir>/functions/<namespace>/<name>.json`.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

impl StateStore {
    /// A store under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("functions"),
        }
    }

    fn path(&self, f: &FunctionRef) -> PathBuf {
        self.dir.join(&f.namespace).join(format!("{}.json", f.name))
    }

    /// Writes `record` atomically.
    pub fn save(&self, record: &FunctionRecord) -> Result<()> {
        let path = self.path(&record.deployment.function_ref());
        let body = serde_json::to_vec_pretty(record).map_err(|source| Error::Json {
            what: "function record".to_owned(),
            source,
        })?;
        write_atomically(&path, &body, 0o600)
    }

    /// Removes a function's file; absent is fine.
    pub fn remove(&self, f: &FunctionRef) -> Result<()> {
        let path = self.path(f);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("removing", path, e)),
        }
    }

    /// Every record; unreadable files are skipped with a warning.
    pub fn load_all(&self) -> Vec<FunctionRecord> {
        let mut out = Vec::new();
        let Ok(namespaces) = std::fs::read_dir(&self.dir) else {
            return out;
        };
        for ns in namespaces.flatten() {
            let Ok(files) = std::fs::read_dir(ns.path()) else {
                continue;
            };
            for file in files.flatten() {
                let p = file.path();
                if p.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                match std::fs::read(&p)
                    .map_err(|e| e.to_string())
                    .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
                {
                    Ok(r) => out.push(r),
                    Err(e) => {
                        tracing::warn!(path = %p.display(), error = %e, "skipping unreadable function record")
                    }
                }
            }
        }
        out
    }
}

/// Writes `body` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomically(path: &Path, body: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(|e| Error::io("creating", &tmp, e))?;
    f.write_all(body)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io("writing", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("renaming into place", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path());
        let rec = FunctionRecord {
            deployment: FunctionDeployment {
                service: "echo".into(),
                image: "x".into(),
                ..Default::default()
            },
            created_at: Timestamp::UNIX_EPOCH,
            replicas: 2,
            generation: 1,
            replica_records: BTreeMap::new(),
            standby: None,
        };
        store.save(&rec).unwrap();
        store.save(&rec).unwrap();
        let all = store.load_all();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].replicas, 2);
        let files: Vec<_> = std::fs::read_dir(dir.path().join("functions/openfaas-fn"))
            .unwrap()
            .collect();
        assert_eq!(files.len(), 1, "no temporary file left");
        store.remove(&rec.deployment.function_ref()).unwrap();
        assert!(store.load_all().is_empty());
    }
}

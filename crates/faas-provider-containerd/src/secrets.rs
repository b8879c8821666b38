//! Function secrets on disk: `<state dir>/secrets/<namespace>/<name>`, files 0600 root in
//! directories 0700, rewritten in place on update so running functions see the new value
//! through their read-only bind mount. Functions running as root mount these files; others
//! mount copies owned by their user ([`crate::secret_mounts`]).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The secret files of every namespace.
#[derive(Debug, Clone)]
pub struct SecretStore {
    dir: PathBuf,
}

impl SecretStore {
    /// A store under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("secrets"),
        }
    }

    /// The file of one secret (names are validated DNS subdomains: no `/`, no `..`).
    pub fn path(&self, namespace: &str, name: &str) -> PathBuf {
        self.dir.join(namespace).join(name)
    }

    /// Whether the secret exists.
    pub fn exists(&self, namespace: &str, name: &str) -> bool {
        self.path(namespace, name).is_file()
    }

    /// Secret names in `namespace`, sorted.
    pub fn list(&self, namespace: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.join(namespace))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    /// Creates a secret; `AlreadyExists` when it exists.
    pub fn create(&self, namespace: &str, name: &str, value: &[u8]) -> Result<()> {
        let dir = self.dir.join(namespace);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Error::io("creating", &dir, e))?;
        let path = dir.join(name);
        let mut f = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::AlreadyExists(format!(
                    "secret {name:?} already exists in namespace {namespace}"
                )))
            }
            Err(e) => return Err(Error::io("creating secret", path, e)),
        };
        f.write_all(value)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io("writing secret", &path, e))
    }

    /// Replaces a secret's value in place (same inode); `NotFound` when absent.
    pub fn update(&self, namespace: &str, name: &str, value: &[u8]) -> Result<()> {
        let path = self.path(namespace, name);
        let mut f = match std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound(format!(
                    "secret {name:?} not found in namespace {namespace}"
                )))
            }
            Err(e) => return Err(Error::io("opening secret", path, e)),
        };
        f.write_all(value)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io("writing secret", &path, e))
    }

    /// Deletes a secret; `NotFound` when absent.
    pub fn delete(&self, namespace: &str, name: &str) -> Result<()> {
        let path = self.path(namespace, name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NotFound(format!(
                "secret {name:?} not found in namespace {namespace}"
            ))),
            Err(e) => Err(Error::io("removing secret", path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn lifecycle_keeps_the_inode_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let s = SecretStore::new(dir.path());
        s.create("ns", "key", b"one").unwrap();
        assert!(matches!(
            s.create("ns", "key", b"x"),
            Err(Error::AlreadyExists(_))
        ));
        let p = s.path("ns", "key");
        let ino = std::fs::metadata(&p).unwrap().ino();
        s.update("ns", "key", b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::metadata(&p).unwrap().ino(), ino);
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(s.list("ns"), vec!["key"]);
        s.delete("ns", "key").unwrap();
        assert!(matches!(s.delete("ns", "key"), Err(Error::NotFound(_))));
        assert!(matches!(
            s.update("ns", "key", b""),
            Err(Error::NotFound(_))
        ));
    }
}

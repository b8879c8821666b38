//! What a function's `/var/openfaas/secrets/<name>` bind mounts point at, so a function whose
//! image runs as a non-root user can read its secrets, as Kubernetes makes a secret volume
//! readable by the pod's user.
//!
//! The secrets themselves ([`crate::secrets`]) are files `0600 root`. A function running as
//! root mounts them directly. A function running as another user (the image's `User`, numeric
//! or a name resolved in its `/etc/passwd`) mounts a per-function copy instead:
//!
//! `<state dir>/secret-mounts/<namespace>/<function>/<uid>.<gid>/<secret>`, mode `0400`, owned
//! by that uid and gid, under directories `0700 root`.
//!
//! - Inside the container the file is readable by the function's user and, being bind-mounted
//!   read-only, writable by nobody. On the host nobody but root can reach it (the directories).
//! - A secret update rewrites the secret and every copy of it in place (same inode), so running
//!   functions see the new value, as with a direct mount.
//! - Copies are keyed by user, so an update that changes the image's user makes new copies
//!   and leaves the old version's untouched while it still serves; once an update succeeds the
//!   copies the new version does not use are removed ([`SecretMounts::prune`]), and removing a
//!   function (or a failed deploy) removes its directory. Deleting a secret removes any copy.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::secrets::SecretStore;

/// The per-function copies of secrets for functions that do not run as root.
#[derive(Debug)]
pub struct SecretMounts {
    dir: PathBuf,
    /// Serialises copying and rewriting, so a copy never misses an update made meanwhile.
    lock: Mutex<()>,
}

impl SecretMounts {
    /// The copies under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("secret-mounts"),
            lock: Mutex::new(()),
        }
    }

    fn function_dir(&self, namespace: &str, function: &str) -> PathBuf {
        self.dir.join(namespace).join(function)
    }

    fn user_dir(&self, namespace: &str, function: &str, user: (u32, u32)) -> PathBuf {
        self.function_dir(namespace, function)
            .join(format!("{}.{}", user.0, user.1))
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The host file to mount for each of `secrets` of `function` running as `user`: the
    /// secret itself for root, else a fresh copy owned by `user` (made or rewritten now).
    pub fn sources(
        &self,
        store: &SecretStore,
        namespace: &str,
        function: &str,
        user: (u32, u32),
        secrets: &[String],
    ) -> Result<Vec<PathBuf>> {
        if user.0 == 0 {
            return Ok(secrets.iter().map(|s| store.path(namespace, s)).collect());
        }
        let _order = self.guard();
        let dir = self.user_dir(namespace, function, user);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Error::io("creating", &dir, e))?;
        let mut out = Vec::with_capacity(secrets.len());
        for s in secrets {
            let source = store.path(namespace, s);
            let value =
                std::fs::read(&source).map_err(|e| Error::io("reading secret", &source, e))?;
            let copy = dir.join(s);
            write_copy(&copy, &value, Some(user))?;
            out.push(copy);
        }
        Ok(out)
    }

    /// Rewrites, in place, every copy of secret `name` in `namespace` with `value`.
    pub fn update(&self, namespace: &str, name: &str, value: &[u8]) -> Result<()> {
        let _order = self.guard();
        for copy in self.copies(namespace, Some(name)) {
            write_copy(&copy, value, None)?;
        }
        Ok(())
    }

    /// Removes every copy of secret `name` in `namespace`.
    pub fn remove_secret(&self, namespace: &str, name: &str) {
        let _order = self.guard();
        for copy in self.copies(namespace, Some(name)) {
            let _ = std::fs::remove_file(copy);
        }
    }

    /// Keeps only the copies `function` uses running as `user` with `secrets`.
    pub fn prune(&self, namespace: &str, function: &str, user: (u32, u32), secrets: &[String]) {
        let _order = self.guard();
        let keep = self.user_dir(namespace, function, user);
        for entry in read_dir(&self.function_dir(namespace, function)) {
            if entry != keep || user.0 == 0 {
                let _ = std::fs::remove_dir_all(&entry);
                continue;
            }
            for file in read_dir(&entry) {
                let used = file
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| secrets.iter().any(|s| s == n));
                if !used {
                    let _ = std::fs::remove_file(file);
                }
            }
        }
    }

    /// Removes every copy `function` has.
    pub fn remove_function(&self, namespace: &str, function: &str) {
        let _order = self.guard();
        let dir = self.function_dir(namespace, function);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "removing a function's secret copies")
            }
        }
    }

    /// The copies in `namespace`, of secret `name` or all.
    fn copies(&self, namespace: &str, name: Option<&str>) -> Vec<PathBuf> {
        read_dir(&self.dir.join(namespace))
            .into_iter()
            .flat_map(|function| read_dir(&function))
            .flat_map(|user| match name {
                Some(n) => vec![user.join(n)],
                None => read_dir(&user),
            })
            .filter(|p| p.is_file())
            .collect()
    }
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect()
}

/// Writes `value` into `path` in place (created `0400` when missing), then, with `owner`, sets
/// its owner and mode `0400`.
fn write_copy(path: &Path, value: &[u8], owner: Option<(u32, u32)>) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(owner.is_some())
        .truncate(true)
        .mode(0o400)
        .open(path)
        .map_err(|e| Error::io("opening secret copy", path, e))?;
    f.write_all(value)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io("writing secret copy", path, e))?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::fchown(&f, Some(uid), Some(gid))
            .and_then(|()| f.set_permissions(std::fs::Permissions::from_mode(0o400)))
            .map_err(|e| Error::io("giving the secret copy to its function's user", path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn is_root() -> bool {
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }

    #[test]
    fn copies_belong_to_the_function_user_and_follow_updates() {
        if !is_root() {
            // The one line a skipped test prints, on purpose.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("skip: giving files to another user needs root");
            }
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::new(dir.path());
        let mounts = SecretMounts::new(dir.path());
        store.create("ns", "api-key", b"one").unwrap();
        store.create("ns", "other", b"x").unwrap();
        let names = vec!["api-key".to_owned(), "other".to_owned()];

        // Root mounts the secret itself.
        let root = mounts.sources(&store, "ns", "fn", (0, 0), &names).unwrap();
        assert_eq!(root[0], store.path("ns", "api-key"));

        let copies = mounts
            .sources(&store, "ns", "fn", (1000, 1001), &names)
            .unwrap();
        let copy = &copies[0];
        assert_ne!(copy, &store.path("ns", "api-key"));
        let meta = std::fs::metadata(copy).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (1000, 1001));
        assert_eq!(meta.mode() & 0o777, 0o400);
        assert_eq!(std::fs::read(copy).unwrap(), b"one");
        // Every directory above the copy is root's alone.
        let mut d = copy.parent().unwrap();
        while d != dir.path() {
            let m = std::fs::metadata(d).unwrap();
            assert_eq!((m.uid(), m.mode() & 0o777), (0, 0o700), "{}", d.display());
            d = d.parent().unwrap();
        }
        // The secret itself stays root's.
        let m = std::fs::metadata(store.path("ns", "api-key")).unwrap();
        assert_eq!((m.uid(), m.mode() & 0o777), (0, 0o600));

        // An update reaches the copy in place.
        let inode = meta.ino();
        store.update("ns", "api-key", b"two").unwrap();
        mounts.update("ns", "api-key", b"two").unwrap();
        assert_eq!(std::fs::read(copy).unwrap(), b"two");
        let after = std::fs::metadata(copy).unwrap();
        assert_eq!(
            (after.ino(), after.uid(), after.mode() & 0o777),
            (inode, 1000, 0o400)
        );

        // A new user gets its own copies; pruning keeps only the current user's used ones.
        let next = mounts
            .sources(&store, "ns", "fn", (2000, 2000), &names[..1])
            .unwrap();
        assert_eq!(std::fs::metadata(&next[0]).unwrap().uid(), 2000);
        assert!(copy.exists());
        mounts.prune("ns", "fn", (2000, 2000), &names[..1]);
        assert!(!copy.exists());
        assert!(next[0].exists());
        mounts.prune("ns", "fn", (2000, 2000), &[]);
        assert!(!next[0].exists());

        let again = mounts
            .sources(&store, "ns", "fn", (1000, 1001), &names)
            .unwrap();
        mounts.remove_secret("ns", "other");
        assert!(!again[1].exists());
        assert!(again[0].exists());
        mounts.remove_function("ns", "fn");
        assert!(!dir.path().join("secret-mounts/ns/fn").exists());
    }
}

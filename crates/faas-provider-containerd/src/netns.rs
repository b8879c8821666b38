//! Network namespaces made before the task, as a CNI runtime does (containerd's CRI plugin
//! too): a new namespace pinned by a bind mount on a file, so the CNI plugins can wire it up
//! while containerd creates the task in parallel, and the task joins it by path
//! (`linux.namespaces[].path` in the OCI spec).

use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};

use crate::error::{Error, Result};

/// Creates a network namespace pinned at `path` (made, with its directory, if missing). A
/// namespace already pinned there is replaced. Blocks for well under a millisecond; it runs on
/// a thread of its own, since the thread that unshares stays in the new namespace.
pub fn create(path: &Path) -> Result<()> {
    remove(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    }
    std::fs::File::create(path).map_err(|e| Error::io("creating", path, e))?;
    let target = path.to_owned();
    let pinned = std::thread::spawn(move || -> nix::Result<()> {
        unshare(CloneFlags::CLONE_NEWNET)?;
        mount(
            Some("/proc/thread-self/ns/net"),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
    })
    .join();
    match pinned {
        Ok(Ok(())) => Ok(()),
        Ok(Err(errno)) => {
            let _ = std::fs::remove_file(path);
            Err(Error::io(
                "pinning a network namespace at",
                path,
                std::io::Error::from(errno),
            ))
        }
        Err(_) => Err(Error::Invalid(format!(
            "the thread creating the network namespace {} panicked",
            path.display()
        ))),
    }
}

/// Whether a namespace is pinned at `path` (a file that is a mount point of `nsfs`).
pub fn is_pinned(path: &Path) -> bool {
    std::fs::read_to_string("/proc/self/mountinfo").is_ok_and(|info| {
        let p = path.to_string_lossy();
        info.lines()
            .any(|l| l.split(' ').nth(4) == Some(p.as_ref()) && l.contains(" - nsfs "))
    })
}

/// Unpins and removes the namespace at `path`; the namespace itself goes with its last user.
/// Absent is fine.
pub fn remove(path: &Path) {
    let _ = umount2(path, MntFlags::MNT_DETACH);
    let _ = std::fs::remove_file(path);
}

/// Unpins every namespace pinned under `dir` (`<state-dir>/netns`: one folder per containerd
/// namespace, one file per replica) and removes the files; for tearing down a whole state dir
/// whose replicas were removed behind the provider's back. Returns how many were pinned.
pub fn remove_all(dir: &Path) -> usize {
    let mut unpinned = 0;
    let Ok(namespaces) = std::fs::read_dir(dir) else {
        return 0;
    };
    for ns in namespaces.flatten() {
        let Ok(replicas) = std::fs::read_dir(ns.path()) else {
            continue;
        };
        for replica in replicas.flatten() {
            let path = replica.path();
            if is_pinned(&path) {
                unpinned += 1;
            }
            remove(&path);
        }
    }
    unpinned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::print_stderr)] // the skip line when not root
    fn pins_and_removes_a_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ns/a");
        if let Err(e) = create(&path) {
            let denied = matches!(&e, Error::Io { source, .. }
                if source.kind() == std::io::ErrorKind::PermissionDenied);
            assert!(denied, "{e}");
            eprintln!("skip: pinning a network namespace needs root ({e})");
            return;
        }
        assert!(is_pinned(&path));
        let ours = std::fs::read_link("/proc/self/ns/net").unwrap();
        let pinned = std::fs::metadata(&path).unwrap();
        let host = std::fs::metadata("/proc/self/ns/net").unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_ne!(
            pinned.ino(),
            host.ino(),
            "a new namespace, not ours ({ours:?})"
        );
        create(&path).unwrap(); // replaced, not stacked
        assert!(is_pinned(&path));
        remove(&path);
        assert!(!is_pinned(&path));
        assert!(!path.exists());
        create(&path).unwrap();
        create(&dir.path().join("ns/b")).unwrap();
        assert_eq!(remove_all(dir.path()), 2);
        assert!(!is_pinned(&path));
    }
}

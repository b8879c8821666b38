//! Health, readiness and the lock file (docs/watchdog.md §5).
//!
//! The watchdog is *healthy* when it accepts connections, can serve (in http mode: the upstream
//! has accepted a connection) and its lock file exists. The lock file is written once the
//! watchdog can serve and removed at SIGTERM, so `cat /tmp/.lock` probes follow the same state.
//! With `suppress_lock` there is no file and health follows the in-memory state alone.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use http::{Method, Response, StatusCode};

use crate::body::ResponseBody;
use crate::error::Error;
use crate::response;

/// The lock file other tools probe (`$TMPDIR/.lock`).
#[derive(Debug)]
pub(crate) struct LockFile {
    path: PathBuf,
    suppressed: bool,
}

impl LockFile {
    /// The lock file at `path`; with `suppressed` nothing is ever written.
    pub(crate) fn new(path: PathBuf, suppressed: bool) -> Self {
        LockFile { path, suppressed }
    }

    /// Writes the (empty) lock file.
    pub(crate) fn write(&self) -> Result<(), Error> {
        if self.suppressed {
            return Ok(());
        }
        std::fs::write(&self.path, b"").map_err(|source| Error::LockFileFailed {
            path: self.path.display().to_string(),
            source,
        })?;
        tracing::info!(path = %self.path.display(), "wrote lock file");
        Ok(())
    }

    /// Removes the lock file; a missing file is fine.
    pub(crate) fn remove(&self) {
        if self.suppressed {
            return;
        }
        match std::fs::remove_file(&self.path) {
            Ok(()) => tracing::info!(path = %self.path.display(), "removed lock file"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(path = %self.path.display(), %error, "removing lock file"),
        }
    }

    /// True when the file exists, or when it is suppressed (nothing to check).
    pub(crate) fn is_present(&self) -> bool {
        self.suppressed || self.path.exists()
    }
}

/// Whether the watchdog can serve and still accepts new work.
#[derive(Debug, Default)]
pub(crate) struct Lifecycle {
    serving: AtomicBool,
    draining: AtomicBool,
}

impl Lifecycle {
    /// Marks the watchdog able to serve (after the lock file is written).
    pub(crate) fn set_serving(&self) {
        self.serving.store(true, Ordering::Release);
    }

    /// Marks the start of the shutdown drain: health and readiness answer 503 from now on.
    pub(crate) fn set_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// True while serving and not draining.
    pub(crate) fn is_up(&self) -> bool {
        self.serving.load(Ordering::Acquire) && !self.draining.load(Ordering::Acquire)
    }
}

/// `GET /_/health`: 200 `OK` when up and the lock file exists, else 503 (docs/watchdog.md §5).
pub(crate) fn health(
    method: &Method,
    lifecycle: &Lifecycle,
    lock: &LockFile,
) -> Response<ResponseBody> {
    if method != Method::GET {
        return response::method_not_allowed();
    }
    if lifecycle.is_up() && lock.is_present() {
        response::text(StatusCode::OK, "OK")
    } else {
        response::empty(StatusCode::SERVICE_UNAVAILABLE)
    }
}

/// The part of `/_/ready` that does not depend on the mode: `Some(response)` when the answer is
/// already known (405, 503, 429), `None` when the mode should decide.
pub(crate) fn ready_precheck(
    method: &Method,
    lifecycle: &Lifecycle,
    lock: &LockFile,
    saturated: Option<usize>,
) -> Option<Response<ResponseBody>> {
    if method != Method::GET && method != Method::HEAD {
        return Some(response::method_not_allowed());
    }
    if !(lifecycle.is_up() && lock.is_present()) {
        return Some(response::empty(StatusCode::SERVICE_UNAVAILABLE));
    }
    saturated.map(response::too_many_requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_follows_lifecycle_and_lock() {
        let dir = tempfile::tempdir().unwrap();
        let lock = LockFile::new(dir.path().join(".lock"), false);
        let lifecycle = Lifecycle::default();
        let status = |l: &Lifecycle, f: &LockFile| health(&Method::GET, l, f).status();
        assert_eq!(status(&lifecycle, &lock), StatusCode::SERVICE_UNAVAILABLE);
        lock.write().unwrap();
        lifecycle.set_serving();
        assert_eq!(status(&lifecycle, &lock), StatusCode::OK);
        lock.remove();
        assert_eq!(status(&lifecycle, &lock), StatusCode::SERVICE_UNAVAILABLE);
        lock.write().unwrap();
        lifecycle.set_draining();
        assert_eq!(status(&lifecycle, &lock), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            health(&Method::POST, &lifecycle, &lock).status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    #[test]
    fn ready_reports_saturation() {
        let lock = LockFile::new(PathBuf::from("/nonexistent/.lock"), true);
        let lifecycle = Lifecycle::default();
        lifecycle.set_serving();
        assert!(ready_precheck(&Method::GET, &lifecycle, &lock, None).is_none());
        let busy = ready_precheck(&Method::GET, &lifecycle, &lock, Some(3)).unwrap();
        assert_eq!(busy.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}

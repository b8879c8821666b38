//! [`BaseImages`]: the images the function templates build on (`faas/fwatchdog`, `faas/busybox`,
//! `faas/python:3`, `faas/python:2.7`), built by `scripts/build-base-images.sh` (the script
//! `faasd base-images` runs) and pushed to the shared registry once per test run, and [`BuildahStorage`], the private buildah storage the tests' `faas build`
//! and `faas push` use.
//!
//! "Once per test run": nextest runs every test in a process of its own, so the build is
//! serialised with a file lock and remembered in `target/tmp/e2e/base-images.run` under the run's
//! id (`NEXTEST_RUN_ID`, or the process id under `cargo test`, which runs all tests in one
//! process). The script caches the Debian root filesystems in `/var/cache/faas`: the first run on
//! a machine takes a few minutes (debootstrap), later ones well under a minute.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::services::{repo_root, services, skip, with_lock, work_dir};

/// Where the base images are, and how to build on them.
#[derive(Debug)]
pub struct BaseImages {
    /// The registry holding them, `127.0.0.1:port`.
    pub registry: String,
    /// The buildah storage function images are built in.
    pub storage: BuildahStorage,
}

/// A buildah storage of the tests' own under `target/tmp/e2e/buildah` (never the machine's
/// `/var/lib/containers`), with the overlay driver when the kernel has it, else vfs.
#[derive(Debug)]
pub struct BuildahStorage {
    /// `overlay` or `vfs`.
    pub driver: String,
    /// The `storage.conf` naming the storage's root folders.
    pub conf: PathBuf,
}

impl BuildahStorage {
    /// The variables that point buildah (run by `faas build`/`faas push` or the script) at this
    /// storage, with chroot isolation (no runtime or network namespace needed for `RUN`).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("BUILDAH_STORAGE_DRIVER".to_owned(), self.driver.clone()),
            (
                "CONTAINERS_STORAGE_CONF".to_owned(),
                self.conf.to_string_lossy().into_owned(),
            ),
            ("BUILDAH_ISOLATION".to_owned(), "chroot".to_owned()),
        ]
    }
}

impl BaseImages {
    /// `<registry>/faas/fwatchdog:latest`.
    pub fn watchdog(&self) -> String {
        format!("{}/faas/fwatchdog:latest", self.registry)
    }

    /// `<registry>/faas/python:3`.
    pub fn python(&self) -> String {
        format!("{}/faas/python:3", self.registry)
    }

    /// `<registry>/faas/python:2.7`.
    pub fn python2(&self) -> String {
        format!("{}/faas/python:2.7", self.registry)
    }

    /// `<registry>/faas/busybox:latest`.
    pub fn busybox(&self) -> String {
        format!("{}/faas/busybox:latest", self.registry)
    }

    /// The `--build-arg` flags that point a template's Dockerfile at these images, for
    /// `faas build` and `faas up`.
    pub fn build_args(&self) -> Vec<String> {
        [
            ("WATCHDOG_IMAGE", self.watchdog()),
            ("PYTHON_IMAGE", self.python()),
            ("PYTHON2_IMAGE", self.python2()),
            ("BUSYBOX_IMAGE", self.busybox()),
        ]
        .into_iter()
        .flat_map(|(name, image)| ["--build-arg".to_owned(), format!("{name}={image}")])
        .collect()
    }
}

/// The base images in the shared registry, built once per test run; `None` after the skip line
/// when buildah, debootstrap or the services are missing (a panic with
/// `FAAS_REQUIRE_SERVICES=1`). Panics when the build itself fails.
pub fn base_images() -> Option<&'static BaseImages> {
    static IMAGES: OnceLock<Result<BaseImages, String>> = OnceLock::new();
    let services = services()?;
    let images = IMAGES.get_or_init(|| {
        for tool in ["buildah", "debootstrap"] {
            if !on_path(tool) {
                return Err(format!("{tool} is not installed (scripts/install-deps.sh)"));
            }
        }
        let storage = buildah_storage();
        with_lock(BASE_IMAGES_LOCK, || {
            build_for_this_run(&services.registry, &storage)
        });
        Ok(BaseImages {
            registry: services.registry.clone(),
            storage,
        })
    });
    match images {
        Ok(images) => Some(images),
        Err(why) => {
            skip(why);
            None
        }
    }
}

/// The tests' buildah storage for a test that builds base images itself (e.g. with an
/// installed `faasd base-images`); `None` after the skip line when buildah or debootstrap is
/// missing. Such a build must hold [`BASE_IMAGES_LOCK`] (`with_lock`): it shares the storage's
/// local image names with [`base_images`].
pub fn buildah_storage_for_builds() -> Option<BuildahStorage> {
    for tool in ["buildah", "debootstrap"] {
        if !on_path(tool) {
            skip(&format!(
                "{tool} is not installed (scripts/install-deps.sh)"
            ));
            return None;
        }
    }
    Some(buildah_storage())
}

/// The lock name every base image build in the tests' buildah storage holds.
pub const BASE_IMAGES_LOCK: &str = "base-images";

/// This test run's id: nextest's run id, else this process (`cargo test` runs every test of the
/// binary in one process).
fn run_id() -> String {
    std::env::var("NEXTEST_RUN_ID").unwrap_or_else(|_| format!("pid-{}", std::process::id()))
}

/// Runs the script unless this run already did (the caller holds the lock).
fn build_for_this_run(registry: &str, storage: &BuildahStorage) {
    let marker = work_dir().join("base-images.run");
    let stamp = format!("{} {registry}", run_id());
    if std::fs::read_to_string(&marker).is_ok_and(|s| s.trim() == stamp) {
        return;
    }
    let log = work_dir().join("base-images.log");
    let out = std::fs::File::create(&log).expect("creating the base image log");
    let err = out.try_clone().expect("cloning the log handle");
    // Untagged images of earlier runs (replaced by newer builds under the same tag).
    let _ = Command::new("buildah")
        .args(["rmi", "--prune"])
        .envs(storage.env())
        .output();
    let status = Command::new("bash")
        .arg("scripts/build-base-images.sh")
        .arg(registry)
        .current_dir(repo_root())
        .envs(storage.env())
        .stdout(out)
        .stderr(err)
        .status()
        .expect("running scripts/build-base-images.sh");
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        status.success(),
        "scripts/build-base-images.sh {registry} failed ({status}); its log {}:\n{}",
        log.display(),
        tail(&output, 40)
    );
    std::fs::write(&marker, stamp).expect("writing the base image marker");
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Writes `target/tmp/e2e/buildah/storage.conf` (once; idempotent) and picks the driver.
fn buildah_storage() -> BuildahStorage {
    let dir = work_dir().join("buildah");
    let driver = if kernel_has_overlay() {
        "overlay"
    } else {
        "vfs"
    };
    // A storage once used with one driver refuses the other: keep one root per driver.
    let root = dir.join(driver);
    let conf = dir.join(format!("storage-{driver}.conf"));
    let text = format!(
        "[storage]\ndriver = \"{driver}\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
        root.join("root").display(),
        root.join("run").display()
    );
    std::fs::create_dir_all(&dir).expect("creating the buildah folder");
    if std::fs::read_to_string(&conf).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&conf, text).expect("writing storage.conf");
    }
    BuildahStorage {
        driver: driver.to_owned(),
        conf,
    }
}

/// Whether overlayfs is available (loading its module first when it is one).
fn kernel_has_overlay() -> bool {
    let listed = || {
        std::fs::read_to_string("/proc/filesystems").is_ok_and(|fs| {
            fs.lines()
                .any(|l| l.split_whitespace().last() == Some("overlay"))
        })
    };
    if !listed() {
        let _ = Command::new("modprobe").arg("overlay").output();
    }
    listed()
}

/// Whether `program` is an executable on `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| is_executable(&d.join(program))))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

//! `faasd base-images`: builds the base images of every shipped template (see [`IMAGES`]) with
//! buildah from Debian packages and pushes them to the local registry, for this machine's
//! architecture. The build itself is the bash script embedded here ([`SCRIPT`], also run by the
//! source tree's `scripts/build-base-images.sh`); this module finds its inputs.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// The build script (one source of truth for the image contents).
pub const SCRIPT: &str = include_str!("base_images.sh");

/// The images the script pushes, as `<registry>/<name>`.
pub const IMAGES: [&str; 4] = [
    "faas/fwatchdog:latest",
    "faas/busybox:latest",
    "faas/python:3",
    "faas/python:2.7",
];

/// Where the static watchdog is installed by `scripts/install.sh`.
pub const INSTALLED_FWATCHDOG: &str = "/usr/local/lib/faasd/fwatchdog";

/// What one build needs.
#[derive(Debug, Clone)]
pub struct BaseImagesPlan {
    /// The registry to push to (loopback).
    pub registry: std::net::SocketAddr,
    /// The static watchdog binary.
    pub fwatchdog: PathBuf,
    /// Where the Debian root filesystems are cached.
    pub cache_dir: PathBuf,
}

/// The static watchdog: `given` (`--fwatchdog`/`FAASD_FWATCHDOG`), else `fwatchdog` next to
/// `faasd`, else [`INSTALLED_FWATCHDOG`], else the source tree's static build (when this binary
/// was built from one); an error naming every place looked at when none is a file.
pub fn find_fwatchdog(given: Option<&Path>, faasd: &Path) -> Result<PathBuf, Error> {
    if let Some(path) = given {
        return if path.is_file() && is_static(path) {
            Ok(path.to_path_buf())
        } else if path.is_file() {
            Err(Error::BadConfig(format!(
                "--fwatchdog {}: not a static binary, it cannot run in an empty image (build \
                 it with scripts/build-fwatchdog.sh)",
                path.display()
            )))
        } else {
            Err(Error::BadConfig(format!(
                "--fwatchdog {}: no such file (build it with scripts/build-fwatchdog.sh)",
                path.display()
            )))
        };
    }
    let candidates = fwatchdog_candidates(faasd);
    candidates
        .iter()
        .find(|p| p.is_file() && is_static(p))
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            Error::Preflight(format!(
                "no static fwatchdog found (looked at {}): install faasd with scripts/install.sh, \
                 or build it with scripts/build-fwatchdog.sh and pass --fwatchdog PATH",
                looked.join(", ")
            ))
        })
}

fn fwatchdog_candidates(faasd: &Path) -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(dir) = faasd.parent() {
        candidates.push(dir.join("fwatchdog"));
    }
    candidates.push(PathBuf::from(INSTALLED_FWATCHDOG));
    // bins/faasd → the workspace root's static build.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    candidates.push(repo.join("target/x86_64-unknown-linux-gnu/release/fwatchdog"));
    candidates
}

/// Whether `path` is an ELF executable without a program interpreter (statically linked): a
/// dynamic build (`target/debug/fwatchdog`) cannot run in the `FROM scratch` watchdog image.
pub fn is_static(path: &Path) -> bool {
    let Ok(elf) = std::fs::read(path) else {
        return false;
    };
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 || elf[5] != 1 {
        return false; // not a little-endian 64-bit ELF
    }
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let mut phoff = [0u8; 8];
    phoff.copy_from_slice(&elf[0x20..0x28]);
    let (phoff, size, count) = (
        u64::from_le_bytes(phoff) as usize,
        u16_at(0x36),
        u16_at(0x38),
    );
    (0..count).all(|i| {
        let at = phoff + i * size;
        // PT_INTERP (3) names the dynamic loader.
        elf.get(at..at + 4)
            .is_some_and(|t| u32::from_le_bytes([t[0], t[1], t[2], t[3]]) != 3)
    })
}

/// Runs the script with bash (its output goes to this process's stdout and stderr); buildah's
/// storage settings (`BUILDAH_STORAGE_DRIVER`, `CONTAINERS_STORAGE_CONF`, ...) are inherited.
pub fn build(plan: &BaseImagesPlan) -> Result<(), Error> {
    crate::install::check_loopback(&plan.registry)?;
    tracing::info!(
        registry = %plan.registry,
        fwatchdog = %plan.fwatchdog.display(),
        "building the base images {}",
        IMAGES.join(", ")
    );
    // From a file, not `bash -c`: the script would otherwise be the process's command line.
    let script = std::env::temp_dir().join(format!("faasd-base-images-{}.sh", std::process::id()));
    crate::write_atomically(&script, SCRIPT.as_bytes(), 0o600)
        .map_err(|e| Error::io("writing", &script, e))?;
    let status = std::process::Command::new("bash")
        .arg(&script)
        .env("REGISTRY", plan.registry.to_string())
        .env("FWATCHDOG", &plan.fwatchdog)
        .env("CACHE_DIR", &plan.cache_dir)
        .status();
    let _ = std::fs::remove_file(&script);
    let status =
        status.map_err(|e| Error::Preflight(format!("running bash for the base images: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Preflight(format!(
            "building the base images failed ({status}); the reason is above. Run `faasd \
             base-images` again once it is fixed"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_is_looked_for_next_to_faasd_first() {
        let dir = tempfile::tempdir().unwrap();
        let faasd = dir.path().join("faasd");
        // A dynamic binary next to faasd (a debug build) is passed over.
        std::fs::copy("/bin/sh", dir.path().join("fwatchdog")).unwrap();
        assert!(!is_static(&dir.path().join("fwatchdog")));
        assert_ne!(
            find_fwatchdog(None, &faasd).ok(),
            Some(dir.path().join("fwatchdog"))
        );
        let e = find_fwatchdog(Some(&dir.path().join("fwatchdog")), &faasd).unwrap_err();
        assert!(e.to_string().contains("not a static binary"), "{e}");
        let e = find_fwatchdog(Some(&dir.path().join("nope")), &faasd).unwrap_err();
        assert!(e.to_string().contains("scripts/build-fwatchdog.sh"), "{e}");
    }

    #[test]
    fn the_static_watchdog_build_is_static() {
        let built = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/x86_64-unknown-linux-gnu/release/fwatchdog");
        if built.is_file() {
            assert!(is_static(&built));
            assert_eq!(
                find_fwatchdog(Some(&built), Path::new("/x/faasd")).unwrap(),
                built
            );
        }
    }

    #[test]
    fn the_script_builds_every_listed_image() {
        for image in IMAGES {
            let (repo, tag) = image.split_once(':').unwrap();
            let pushed = SCRIPT
                .lines()
                .filter(|l| l.starts_with("push "))
                .any(|l| l.ends_with(&format!("{repo}:{tag}")));
            assert!(pushed, "{image} is not pushed by the script");
        }
    }

    #[test]
    fn the_registry_must_be_loopback() {
        let plan = BaseImagesPlan {
            registry: "10.0.0.1:5000".parse().unwrap(),
            fwatchdog: "/bin/true".into(),
            cache_dir: "/tmp".into(),
        };
        assert!(build(&plan).unwrap_err().to_string().contains("loopback"));
    }
}

//! CPU and memory use of a function, from its replicas' cgroups (`usage` of a function's status).
//!
//! Each replica runs in the cgroup `/<namespace>/<replica id>` (see [`crate::spec`]). Memory is
//! the cgroup's current usage (cgroup v2 `memory.current`, v1 `memory.usage_in_bytes`; both count
//! the page cache the function caused), summed over the function's running replicas.
//!
//! CPU is in **millicores** (thousandths of a core, as Kubernetes and the OpenFaaS API count
//! it): the CPU time the replica used between two measurements divided by the time between
//! them, summed over replicas. Nothing samples in the background and no request waits: each
//! measurement reads a couple of files per replica (v2 `cpu.stat` `usage_usec`, v1
//! `cpuacct.usage`) and compares with the previous sample of that replica kept in memory. A
//! replica measured for the first time is compared with its start (CPU used since its process
//! started, from `/proc`); a sample younger than [`MIN_WINDOW`] is not replaced, its rate is
//! answered again, so two calls in quick succession do not divide by a few microseconds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use faas_core::FunctionUsage;
use tokio::time::Instant;

/// The shortest interval a CPU rate is computed over.
pub const MIN_WINDOW: Duration = Duration::from_secs(1);

/// Where the cgroup files of a replica are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupLayout {
    /// cgroup v2: one hierarchy at this root.
    Unified(PathBuf),
    /// cgroup v1: the memory and cpuacct hierarchies' roots.
    Legacy {
        /// The memory controller's mount (`/sys/fs/cgroup/memory`).
        memory: PathBuf,
        /// The cpuacct controller's mount (`/sys/fs/cgroup/cpuacct`).
        cpuacct: PathBuf,
    },
}

impl CgroupLayout {
    /// The layout under `root` (`/sys/fs/cgroup`): v2 when `cgroup.controllers` is there, v1
    /// when the memory and cpuacct hierarchies are; `None` otherwise.
    pub fn detect(root: &Path) -> Option<Self> {
        if root.join("cgroup.controllers").is_file() {
            return Some(Self::Unified(root.to_owned()));
        }
        let memory = root.join("memory");
        let cpuacct = ["cpuacct", "cpu,cpuacct"]
            .iter()
            .map(|d| root.join(d))
            .find(|d| d.join("cpuacct.usage").is_file())?;
        memory
            .join("memory.usage_in_bytes")
            .is_file()
            .then_some(Self::Legacy { memory, cpuacct })
    }

    /// Memory in use by cgroup `path` (`/ns/id`), in bytes.
    pub fn memory_bytes(&self, path: &str) -> Option<u64> {
        let file = match self {
            Self::Unified(root) => join(root, path).join("memory.current"),
            Self::Legacy { memory, .. } => join(memory, path).join("memory.usage_in_bytes"),
        };
        std::fs::read_to_string(file).ok()?.trim().parse().ok()
    }

    /// CPU time used by cgroup `path` so far, in microseconds.
    pub fn cpu_usec(&self, path: &str) -> Option<u64> {
        match self {
            Self::Unified(root) => {
                parse_usage_usec(&std::fs::read_to_string(join(root, path).join("cpu.stat")).ok()?)
            }
            Self::Legacy { cpuacct, .. } => {
                let ns: u64 = std::fs::read_to_string(join(cpuacct, path).join("cpuacct.usage"))
                    .ok()?
                    .trim()
                    .parse()
                    .ok()?;
                Some(ns / 1000)
            }
        }
    }
}

fn join(root: &Path, cgroup: &str) -> PathBuf {
    root.join(cgroup.trim_start_matches('/'))
}

/// `usage_usec` of a cgroup v2 `cpu.stat`.
pub fn parse_usage_usec(cpu_stat: &str) -> Option<u64> {
    cpu_stat.lines().find_map(|l| {
        let (key, value) = l.split_once(' ')?;
        (key == "usage_usec").then(|| value.trim().parse().ok())?
    })
}

/// How long ago process `pid` started: its start time in `/proc/<pid>/stat` (field 22, clock
/// ticks since boot, 100 per second: Linux's fixed USER_HZ) against `/proc/uptime`.
fn process_age(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let started_ticks = parse_start_ticks(&stat)?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let age = uptime - started_ticks as f64 / 100.0;
    (age > 0.0).then(|| Duration::from_secs_f64(age))
}

/// Field 22 (`starttime`) of a `/proc/<pid>/stat` line; the command name (field 2) may hold
/// spaces and parentheses, so fields are counted after its closing parenthesis.
pub fn parse_start_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state) onwards: starttime is the 20th of them.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// One replica's last CPU sample.
#[derive(Debug, Clone, Copy)]
struct Sample {
    pid: u32,
    at: Instant,
    usage_usec: u64,
    millicores: f64,
}

/// Measures functions' usage, keeping the previous CPU sample of each replica.
#[derive(Debug)]
pub struct UsageSampler {
    layout: Option<CgroupLayout>,
    samples: Mutex<HashMap<String, Sample>>,
}

impl UsageSampler {
    /// Forgets the samples of function `name` in `ns` (deleted).
    pub fn forget(&self, ns: &str, name: &str) {
        let prefix = format!("{ns}/{name}.");
        self.samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| !k.starts_with(&prefix));
    }

    /// A sampler reading the cgroups under `root` (`/sys/fs/cgroup`).
    pub fn new(root: &Path) -> Self {
        let layout = CgroupLayout::detect(root);
        if layout.is_none() {
            tracing::info!(root = %root.display(), "no cgroup memory/cpu accounting found: functions' usage is not reported");
        }
        Self {
            layout,
            samples: Mutex::new(HashMap::new()),
        }
    }

    /// The usage of the running replicas `(id, pid)` of function `name` in namespace `ns`;
    /// `None` when it cannot be measured (no cgroup accounting, or no replica's cgroup could be
    /// read while some run). A function without running replicas uses nothing.
    pub fn measure(
        &self,
        ns: &str,
        name: &str,
        replicas: &[(String, u32)],
    ) -> Option<FunctionUsage> {
        let layout = self.layout.as_ref()?;
        let now = Instant::now();
        let mut memory = 0u64;
        let mut millicores = 0f64;
        let mut measured = 0usize;
        let mut samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        for (id, pid) in replicas {
            let path = format!("/{ns}/{id}");
            let (Some(mem), Some(usage)) = (layout.memory_bytes(&path), layout.cpu_usec(&path))
            else {
                continue;
            };
            measured += 1;
            memory += mem;
            let key = format!("{ns}/{id}");
            let rate = match samples.get(&key) {
                Some(s) if s.pid == *pid && now.duration_since(s.at) < MIN_WINDOW => s.millicores,
                Some(s) if s.pid == *pid => {
                    rate(usage.saturating_sub(s.usage_usec), now.duration_since(s.at))
                }
                // First sample of this process: since it started.
                _ => process_age(*pid).map_or(0.0, |age| rate(usage, age)),
            };
            let keep = samples
                .get(&key)
                .is_some_and(|s| s.pid == *pid && now.duration_since(s.at) < MIN_WINDOW);
            if !keep {
                samples.insert(
                    key,
                    Sample {
                        pid: *pid,
                        at: now,
                        usage_usec: usage,
                        millicores: rate,
                    },
                );
            }
            millicores += rate;
        }
        // Samples of this function's replicas that no longer run are dropped.
        let prefix = format!("{ns}/{name}.");
        samples.retain(|k, _| {
            k.strip_prefix(&prefix).is_none()
                || replicas
                    .iter()
                    .any(|(id, _)| k.ends_with(&format!("/{id}")))
        });
        if measured == 0 && !replicas.is_empty() {
            return None;
        }
        Some(FunctionUsage {
            cpu: millicores,
            total_memory_bytes: memory as f64,
        })
    }
}

/// CPU time `used_usec` over `window`, in millicores.
fn rate(used_usec: u64, window: Duration) -> f64 {
    let window_usec = window.as_micros() as f64;
    if window_usec <= 0.0 {
        return 0.0;
    }
    used_usec as f64 / window_usec * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_stat_and_proc_stat() {
        let stat = "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n";
        assert_eq!(parse_usage_usec(stat), Some(123_456));
        assert_eq!(parse_usage_usec("user_usec 1\n"), None);
        let proc_stat = "4242 (sh -c (x) y) S 1 4242 4242 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 98765 1200000 200 18446744073709551615";
        assert_eq!(parse_start_ticks(proc_stat), Some(98_765));
    }

    #[test]
    fn rate_is_in_millicores() {
        assert_eq!(rate(500_000, Duration::from_secs(1)), 500.0);
        assert_eq!(rate(3_000_000, Duration::from_secs(2)), 1500.0);
        assert_eq!(rate(1, Duration::ZERO), 0.0);
    }

    #[test]
    fn layouts_are_read_from_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let v2 = dir.path().join("v2");
        std::fs::create_dir_all(v2.join("ns/fn.1-0")).unwrap();
        std::fs::write(v2.join("cgroup.controllers"), "cpu memory\n").unwrap();
        std::fs::write(v2.join("ns/fn.1-0/memory.current"), "7340032\n").unwrap();
        std::fs::write(v2.join("ns/fn.1-0/cpu.stat"), "usage_usec 2000\n").unwrap();
        let l = CgroupLayout::detect(&v2).unwrap();
        assert_eq!(l, CgroupLayout::Unified(v2.clone()));
        assert_eq!(l.memory_bytes("/ns/fn.1-0"), Some(7_340_032));
        assert_eq!(l.cpu_usec("/ns/fn.1-0"), Some(2000));

        let v1 = dir.path().join("v1");
        for (d, f, v) in [
            ("memory", "memory.usage_in_bytes", "4096"),
            ("cpuacct", "cpuacct.usage", "5000000"),
        ] {
            std::fs::create_dir_all(v1.join(d).join("ns/fn.1-0")).unwrap();
            std::fs::write(v1.join(d).join(f), "0\n").unwrap();
            std::fs::write(v1.join(d).join("ns/fn.1-0").join(f), v).unwrap();
        }
        let l = CgroupLayout::detect(&v1).unwrap();
        assert!(matches!(l, CgroupLayout::Legacy { .. }));
        assert_eq!(l.memory_bytes("/ns/fn.1-0"), Some(4096));
        assert_eq!(l.cpu_usec("/ns/fn.1-0"), Some(5000));
        assert!(CgroupLayout::detect(&dir.path().join("none")).is_none());
    }
}

//! The OCI runtime spec of a function replica (docs/containerd.md §3), built as JSON from the image
//! config and the deployment. Pure: no I/O, tested with plain asserts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::error::{Error, Result};
use crate::image::manifest::ContainerConfig;

/// Where secrets appear inside a function.
pub const SECRETS_MOUNT_DIR: &str = "/var/openfaas/secrets";

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A read-only bind mount of a host file into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMount {
    /// The host path.
    pub source: PathBuf,
    /// The path inside the container.
    pub destination: String,
}

/// What a replica's spec is made of.
#[derive(Debug, Clone)]
pub struct SpecInput<'a> {
    /// The containerd namespace (part of the cgroup path).
    pub namespace: &'a str,
    /// The container ID (part of the cgroup path).
    pub container_id: &'a str,
    /// The function's name, used as host name.
    pub hostname: &'a str,
    /// The image's process defaults.
    pub image: &'a ContainerConfig,
    /// The deployment's environment (`envVars` + `fprocess`), overriding the image's.
    pub env: &'a BTreeMap<String, String>,
    /// The user and group to run as, resolved from the image's `User`.
    pub user: (u32, u32),
    /// `limits.memory` in bytes.
    pub memory_limit: Option<u64>,
    /// `limits.cpu` in millicores.
    pub cpu_millis: Option<u64>,
    /// Read-only root with a writable `/tmp`.
    pub read_only_root: bool,
    /// `/etc/hosts`, `/etc/resolv.conf` and secrets.
    pub mounts: &'a [BindMount],
    /// A network namespace made beforehand to join (see [`crate::netns`]); `None` makes a new
    /// one with the task.
    pub network_namespace: Option<&'a str>,
}

/// The spec as JSON, ready for `Container.spec`.
pub fn build_spec(input: &SpecInput<'_>) -> Result<Value> {
    let image = input.image;
    let args: Vec<String> = image
        .entrypoint
        .iter()
        .flatten()
        .chain(image.cmd.iter().flatten())
        .cloned()
        .collect();
    if args.is_empty() {
        return Err(Error::Invalid(
            "the image has neither an entrypoint nor a cmd: nothing to run".to_owned(),
        ));
    }
    let env = merge_env(image.env.as_deref().unwrap_or_default(), input.env);
    let cwd = image
        .working_dir
        .as_deref()
        .filter(|w| w.starts_with('/'))
        .unwrap_or("/");
    let caps = json!(["CAP_NET_RAW"]);

    let mut mounts = default_mounts();
    for m in input.mounts {
        mounts.push(json!({
            "destination": m.destination,
            "type": "bind",
            "source": m.source,
            "options": ["rbind", "ro", "nosuid", "nodev", "noexec"],
        }));
    }
    if input.read_only_root {
        mounts.push(json!({
            "destination": "/tmp",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "nodev", "mode=1777", "size=65536k"],
        }));
    }

    let mut resources = json!({ "devices": [{ "allow": false, "access": "rwm" }] });
    if let Some(bytes) = input.memory_limit {
        resources["memory"] = json!({ "limit": bytes });
    }
    if let Some(millis) = input.cpu_millis.filter(|m| *m > 0) {
        let period: u64 = 100_000;
        resources["cpu"] = json!({ "quota": millis * period / 1000, "period": period });
    }

    let network = match input.network_namespace {
        Some(path) => json!({ "type": "network", "path": path }),
        None => json!({ "type": "network" }),
    };
    Ok(json!({
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": false,
            "user": { "uid": input.user.0, "gid": input.user.1 },
            "args": args,
            "env": env,
            "cwd": cwd,
            "capabilities": {
                "bounding": caps, "effective": caps, "permitted": caps,
            },
            "rlimits": [{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }],
            "noNewPrivileges": true,
        },
        "root": { "path": "rootfs", "readonly": input.read_only_root },
        "hostname": input.hostname,
        "mounts": mounts,
        "linux": {
            "resources": resources,
            "cgroupsPath": format!("/{}/{}", input.namespace, input.container_id),
            "namespaces": [
                { "type": "pid" }, { "type": "ipc" }, { "type": "uts" },
                { "type": "mount" }, network,
            ],
            "maskedPaths": [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                "/proc/scsi",
            ],
            "readonlyPaths": [
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
            ],
        },
    }))
}

/// The image's `KEY=value` list with `overrides` replacing or adding keys, and a default PATH.
pub fn merge_env(image_env: &[String], overrides: &BTreeMap<String, String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in image_env {
        let key = e.split_once('=').map_or(e.as_str(), |(k, _)| k);
        if !overrides.contains_key(key) {
            out.push(e.clone());
        }
    }
    if !out.iter().any(|e| e.starts_with("PATH=")) && !overrides.contains_key("PATH") {
        out.insert(0, DEFAULT_PATH.to_owned());
    }
    out.extend(overrides.iter().map(|(k, v)| format!("{k}={v}")));
    out
}

/// Resolves an image `User` (`uid`, `uid:gid`, `name`, `name:group`) to numbers, looking names
/// up in the image's `/etc/passwd` and `/etc/group` when given.
pub fn resolve_user(user: &str, passwd: Option<&str>, group: Option<&str>) -> Result<(u32, u32)> {
    let user = user.trim();
    if user.is_empty() {
        return Ok((0, 0));
    }
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let lookup = |file: Option<&str>, name: &str, id_field: usize| -> Option<(u32, u32)> {
        file?.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.first() == Some(&name) && fields.len() > id_field + 1)
                .then(|| {
                    let id = fields[id_field].parse().ok()?;
                    let gid = fields
                        .get(id_field + 1)
                        .and_then(|g| g.parse().ok())
                        .unwrap_or(id);
                    Some((id, gid))
                })
                .flatten()
        })
    };
    let (uid, primary_gid) = match u.parse::<u32>() {
        Ok(uid) => (
            uid,
            passwd
                .and_then(|p| {
                    p.lines().find_map(|l| {
                        let f: Vec<&str> = l.split(':').collect();
                        (f.get(2) == Some(&u))
                            .then(|| f.get(3)?.parse().ok())
                            .flatten()
                    })
                })
                .unwrap_or(0),
        ),
        Err(_) => lookup(passwd, u, 2).ok_or_else(|| {
            Error::Invalid(format!("the image's user {u:?} is not in its /etc/passwd"))
        })?,
    };
    let gid = match g {
        None => primary_gid,
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => lookup(group, g, 2).map(|(id, _)| id).ok_or_else(|| {
                Error::Invalid(format!("the image's group {g:?} is not in its /etc/group"))
            })?,
        },
    };
    Ok((uid, gid))
}

fn default_mounts() -> Vec<Value> {
    vec![
        json!({"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]}),
        json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
        json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]}),
        json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}),
        json!({"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]}),
        json!({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}),
        json!({"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> ContainerConfig {
        ContainerConfig {
            env: Some(vec![
                "PATH=/bin".into(),
                "fprocess=old".into(),
                "A=1".into(),
            ]),
            entrypoint: Some(vec!["/bin/busybox".into()]),
            cmd: Some(vec!["httpd".into(), "-f".into()]),
            working_dir: Some("/home/app".into()),
            user: None,
        }
    }

    #[test]
    fn spec_follows_the_faasd_shape_with_our_limits() {
        let env: BTreeMap<String, String> = [("fprocess".to_owned(), "cat".to_owned())].into();
        let mounts = vec![BindMount {
            source: "/state/secrets/ns/key".into(),
            destination: format!("{SECRETS_MOUNT_DIR}/key"),
        }];
        let cfg = image();
        let spec = build_spec(&SpecInput {
            namespace: "openfaas-fn",
            container_id: "echo.abc",
            hostname: "echo",
            image: &cfg,
            env: &env,
            user: (0, 0),
            memory_limit: Some(128 << 20),
            cpu_millis: Some(500),
            read_only_root: true,
            mounts: &mounts,
            network_namespace: Some("/run/faasd/netns/x"),
        })
        .unwrap();
        assert_eq!(
            spec["process"]["args"],
            json!(["/bin/busybox", "httpd", "-f"])
        );
        assert_eq!(
            spec["process"]["env"],
            json!(["PATH=/bin", "A=1", "fprocess=cat"])
        );
        assert_eq!(spec["process"]["cwd"], "/home/app");
        assert_eq!(
            spec["process"]["capabilities"]["bounding"],
            json!(["CAP_NET_RAW"])
        );
        assert_eq!(spec["root"], json!({"path": "rootfs", "readonly": true}));
        assert_eq!(spec["hostname"], "echo");
        assert_eq!(spec["linux"]["cgroupsPath"], "/openfaas-fn/echo.abc");
        assert!(spec["linux"]["namespaces"]
            .as_array()
            .unwrap()
            .contains(&json!({"type": "network", "path": "/run/faasd/netns/x"})));
        assert_eq!(spec["linux"]["resources"]["memory"]["limit"], 128 << 20);
        assert_eq!(spec["linux"]["resources"]["cpu"]["quota"], 50_000);
        let m = spec["mounts"].as_array().unwrap();
        let secret = m
            .iter()
            .find(|m| m["destination"] == "/var/openfaas/secrets/key")
            .unwrap();
        assert!(secret["options"].as_array().unwrap().contains(&json!("ro")));
        assert!(m
            .iter()
            .any(|m| m["destination"] == "/tmp" && m["type"] == "tmpfs"));
    }

    #[test]
    fn nothing_to_run_is_invalid() {
        let cfg = ContainerConfig::default();
        let env = BTreeMap::new();
        let input = SpecInput {
            namespace: "n",
            container_id: "c",
            hostname: "h",
            image: &cfg,
            env: &env,
            user: (0, 0),
            memory_limit: None,
            cpu_millis: None,
            read_only_root: false,
            mounts: &[],
            network_namespace: None,
        };
        assert!(build_spec(&input).is_err());
    }

    #[test]
    fn env_gets_a_default_path() {
        let env = merge_env(&["A=1".to_owned()], &BTreeMap::new());
        assert_eq!(env[0], DEFAULT_PATH);
    }

    #[test]
    fn users_resolve_by_name_or_number() {
        let passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n";
        let group = "root:x:0:\nstaff:x:50:\n";
        assert_eq!(resolve_user("", None, None).unwrap(), (0, 0));
        assert_eq!(
            resolve_user("1000", Some(passwd), None).unwrap(),
            (1000, 1001)
        );
        assert_eq!(
            resolve_user("app", Some(passwd), None).unwrap(),
            (1000, 1001)
        );
        assert_eq!(
            resolve_user("app:staff", Some(passwd), Some(group)).unwrap(),
            (1000, 50)
        );
        assert_eq!(resolve_user("12:34", None, None).unwrap(), (12, 34));
        assert!(resolve_user("nobody", Some(passwd), None).is_err());
    }
}

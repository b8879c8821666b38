//! The OCI runtime spec of a function replica (docs/containerd.md §3), built with `oci-spec`'s
//! typed runtime builders from the image config and the deployment. Pure: no I/O, tested with
//! plain asserts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use oci_spec::runtime::{
    Capabilities, Capability, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxCpuBuilder,
    LinuxDeviceCgroupBuilder, LinuxMemoryBuilder, LinuxNamespaceBuilder, LinuxNamespaceType,
    LinuxResourcesBuilder, Mount, MountBuilder, PosixRlimitBuilder, PosixRlimitType,
    ProcessBuilder, RootBuilder, Spec, SpecBuilder, UserBuilder,
};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::image::manifest::ContainerConfig;

mod user;
pub use user::resolve_user;

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

/// The spec as JSON, ready for `Container.spec`: [`build_runtime_spec`] serialised.
pub fn build_spec(input: &SpecInput<'_>) -> Result<Value> {
    serde_json::to_value(build_runtime_spec(input)?).map_err(|source| Error::Json {
        what: "the runtime spec".to_owned(),
        source,
    })
}

/// The typed OCI runtime spec of a replica: the image's command, environment and working
/// directory, the resolved user, only `CAP_NET_RAW`, 1024 open files, no new privileges, its own
/// pid/ipc/uts/mount namespaces and the given network namespace, the deployment's memory and
/// CPU limits in the cgroup `/<namespace>/<container id>`, no device access, the usual `/proc`
/// paths masked or read-only, and the bind mounts (read-only) plus `/tmp` for a read-only root.
pub fn build_runtime_spec(input: &SpecInput<'_>) -> Result<Spec> {
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
    let caps: Capabilities = [Capability::NetRaw].into_iter().collect();
    let capabilities = LinuxCapabilitiesBuilder::default()
        .bounding(caps.clone())
        .effective(caps.clone())
        .permitted(caps)
        .build()
        .map_err(invalid_spec)?;
    // The builder fills unset sets with its defaults: only the three above are given.
    let mut capabilities = capabilities;
    capabilities.set_inheritable(None).set_ambient(None);
    let process = ProcessBuilder::default()
        .terminal(false)
        .user(
            UserBuilder::default()
                .uid(input.user.0)
                .gid(input.user.1)
                .build()
                .map_err(invalid_spec)?,
        )
        .args(args)
        .env(env)
        .cwd(cwd)
        .capabilities(capabilities)
        .rlimits(vec![PosixRlimitBuilder::default()
            .typ(PosixRlimitType::RlimitNofile)
            .hard(1024u64)
            .soft(1024u64)
            .build()
            .map_err(invalid_spec)?])
        .no_new_privileges(true)
        .build()
        .map_err(invalid_spec)?;

    let mut mounts = default_mounts()?;
    for m in input.mounts {
        mounts.push(mount(
            &m.destination,
            "bind",
            &m.source.to_string_lossy(),
            &["rbind", "ro", "nosuid", "nodev", "noexec"],
        )?);
    }
    if input.read_only_root {
        mounts.push(mount(
            "/tmp",
            "tmpfs",
            "tmpfs",
            &["nosuid", "nodev", "mode=1777", "size=65536k"],
        )?);
    }

    let mut resources =
        LinuxResourcesBuilder::default().devices(vec![LinuxDeviceCgroupBuilder::default()
            .allow(false)
            .access("rwm")
            .build()
            .map_err(invalid_spec)?]);
    if let Some(bytes) = input.memory_limit {
        let limit = i64::try_from(bytes)
            .map_err(|_| Error::Invalid(format!("memory limit {bytes} is too large")))?;
        resources = resources.memory(
            LinuxMemoryBuilder::default()
                .limit(limit)
                .build()
                .map_err(invalid_spec)?,
        );
    }
    if let Some(millis) = input.cpu_millis.filter(|m| *m > 0) {
        let period: u64 = 100_000;
        let quota = i64::try_from(millis * period / 1000)
            .map_err(|_| Error::Invalid(format!("CPU limit {millis}m is too large")))?;
        resources = resources.cpu(
            LinuxCpuBuilder::default()
                .quota(quota)
                .period(period)
                .build()
                .map_err(invalid_spec)?,
        );
    }

    let mut namespaces = [
        LinuxNamespaceType::Pid,
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Mount,
    ]
    .into_iter()
    .map(|typ| LinuxNamespaceBuilder::default().typ(typ).build())
    .collect::<std::result::Result<Vec<_>, _>>()
    .map_err(invalid_spec)?;
    let mut network = LinuxNamespaceBuilder::default().typ(LinuxNamespaceType::Network);
    if let Some(path) = input.network_namespace {
        network = network.path(path);
    }
    namespaces.push(network.build().map_err(invalid_spec)?);

    let linux = LinuxBuilder::default()
        .resources(resources.build().map_err(invalid_spec)?)
        .cgroups_path(format!("/{}/{}", input.namespace, input.container_id))
        .namespaces(namespaces)
        .masked_paths(strings(&[
            "/proc/acpi",
            "/proc/asound",
            "/proc/kcore",
            "/proc/keys",
            "/proc/latency_stats",
            "/proc/timer_list",
            "/proc/timer_stats",
            "/proc/sched_debug",
            "/sys/firmware",
            "/proc/scsi",
        ]))
        .readonly_paths(strings(&[
            "/proc/bus",
            "/proc/fs",
            "/proc/irq",
            "/proc/sys",
            "/proc/sysrq-trigger",
        ]))
        .build()
        .map_err(invalid_spec)?;
    // Nothing else of the builder's defaults (devices, id mappings, sysctls, seccomp…): runc's
    // own defaults and containerd's apply, as with a spec written by hand.
    let mut linux = linux;
    linux
        .set_devices(None)
        .set_uid_mappings(None)
        .set_gid_mappings(None)
        .set_sysctl(None)
        .set_seccomp(None)
        .set_rootfs_propagation(None)
        .set_mount_label(None)
        .set_intel_rdt(None)
        .set_personality(None);

    let spec = SpecBuilder::default()
        .version("1.0.2-dev")
        .process(process)
        .root(
            RootBuilder::default()
                .path("rootfs")
                .readonly(input.read_only_root)
                .build()
                .map_err(invalid_spec)?,
        )
        .hostname(input.hostname)
        .mounts(mounts)
        .linux(linux)
        .build()
        .map_err(invalid_spec)?;
    let mut spec = spec;
    spec.set_hooks(None)
        .set_annotations(None)
        .set_domainname(None);
    Ok(spec)
}

/// A builder's error: a value that cannot be in a spec (a bug here, not the user's input).
fn invalid_spec(e: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("building the runtime spec: {e}"))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn mount(destination: &str, typ: &str, source: &str, options: &[&str]) -> Result<Mount> {
    MountBuilder::default()
        .destination(destination)
        .typ(typ)
        .source(source)
        .options(strings(options))
        .build()
        .map_err(invalid_spec)
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

fn default_mounts() -> Result<Vec<Mount>> {
    [
        ("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"][..]),
        (
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        ),
        (
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        ),
        (
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        ),
        (
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        ),
        (
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", "ro"],
        ),
        (
            "/run",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        ),
    ]
    .into_iter()
    .map(|(destination, typ, source, options)| mount(destination, typ, source, options))
    .collect()
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

    fn input<'a>(
        cfg: &'a ContainerConfig,
        env: &'a BTreeMap<String, String>,
        mounts: &'a [BindMount],
    ) -> SpecInput<'a> {
        SpecInput {
            namespace: "openfaas-fn",
            container_id: "echo.abc",
            hostname: "echo",
            image: cfg,
            env,
            user: (1000, 1001),
            memory_limit: Some(128 << 20),
            cpu_millis: Some(500),
            read_only_root: true,
            mounts,
            network_namespace: Some("/run/faasd/netns/x"),
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
        let spec = build_runtime_spec(&input(&cfg, &env, &mounts)).unwrap();
        assert_eq!(spec.version(), "1.0.2-dev");
        let process = spec.process().as_ref().unwrap();
        assert_eq!(
            process.args().as_deref(),
            Some(&strings(&["/bin/busybox", "httpd", "-f"])[..])
        );
        assert_eq!(
            process.env().as_deref(),
            Some(&strings(&["PATH=/bin", "A=1", "fprocess=cat"])[..])
        );
        assert_eq!(process.cwd(), std::path::Path::new("/home/app"));
        assert_eq!(process.user().uid(), 1000);
        assert_eq!(process.user().gid(), 1001);
        assert!(!process.terminal().unwrap_or(true));
        assert_eq!(process.no_new_privileges(), Some(true));
        let only_net_raw: Capabilities = [Capability::NetRaw].into_iter().collect();
        let caps = process.capabilities().as_ref().unwrap();
        assert_eq!(caps.bounding().as_ref(), Some(&only_net_raw));
        assert_eq!(caps.effective().as_ref(), Some(&only_net_raw));
        assert_eq!(caps.permitted().as_ref(), Some(&only_net_raw));
        assert_eq!(caps.inheritable(), &None);
        assert_eq!(caps.ambient(), &None);
        let rlimits = process.rlimits().as_deref().unwrap();
        assert_eq!(rlimits.len(), 1);
        assert_eq!(rlimits[0].typ(), PosixRlimitType::RlimitNofile);
        assert_eq!((rlimits[0].soft(), rlimits[0].hard()), (1024, 1024));

        let root = spec.root().as_ref().unwrap();
        assert_eq!(root.path(), std::path::Path::new("rootfs"));
        assert_eq!(root.readonly(), Some(true));
        assert_eq!(spec.hostname().as_deref(), Some("echo"));
        assert_eq!(spec.hooks(), &None);
        assert_eq!(spec.annotations(), &None);

        let linux = spec.linux().as_ref().unwrap();
        assert_eq!(
            linux.cgroups_path().as_deref(),
            Some(std::path::Path::new("/openfaas-fn/echo.abc"))
        );
        let namespaces: Vec<_> = linux
            .namespaces()
            .as_deref()
            .unwrap()
            .iter()
            .map(|n| (n.typ(), n.path().clone()))
            .collect();
        assert_eq!(
            namespaces,
            vec![
                (LinuxNamespaceType::Pid, None),
                (LinuxNamespaceType::Ipc, None),
                (LinuxNamespaceType::Uts, None),
                (LinuxNamespaceType::Mount, None),
                (
                    LinuxNamespaceType::Network,
                    Some("/run/faasd/netns/x".into())
                ),
            ]
        );
        let resources = linux.resources().as_ref().unwrap();
        assert_eq!(
            resources.memory().as_ref().unwrap().limit(),
            Some(128 << 20)
        );
        let cpu = resources.cpu().as_ref().unwrap();
        assert_eq!((cpu.quota(), cpu.period()), (Some(50_000), Some(100_000)));
        let devices = resources.devices().as_deref().unwrap();
        assert_eq!(devices.len(), 1);
        assert!(!devices[0].allow());
        assert_eq!(devices[0].access().as_deref(), Some("rwm"));
        assert!(linux
            .masked_paths()
            .as_ref()
            .unwrap()
            .contains(&"/proc/kcore".to_owned()));
        assert!(linux
            .readonly_paths()
            .as_ref()
            .unwrap()
            .contains(&"/proc/sys".to_owned()));
        assert_eq!(linux.seccomp(), &None);
        assert_eq!(linux.devices(), &None);
        assert_eq!(linux.uid_mappings(), &None);

        let m = spec.mounts().as_deref().unwrap();
        let destinations: Vec<_> = m
            .iter()
            .map(|m| m.destination().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            destinations,
            strings(&[
                "/proc",
                "/dev",
                "/dev/pts",
                "/dev/shm",
                "/dev/mqueue",
                "/sys",
                "/run",
                "/var/openfaas/secrets/key",
                "/tmp",
            ])
        );
        let secret = &m[7];
        assert_eq!(secret.typ().as_deref(), Some("bind"));
        assert_eq!(
            secret.source().as_deref(),
            Some(std::path::Path::new("/state/secrets/ns/key"))
        );
        assert!(secret
            .options()
            .as_ref()
            .unwrap()
            .contains(&"ro".to_owned()));
        assert_eq!(m[8].typ().as_deref(), Some("tmpfs"));
    }

    #[test]
    fn json_is_what_containerd_reads() {
        let env = BTreeMap::new();
        let cfg = image();
        let mut i = input(&cfg, &env, &[]);
        i.read_only_root = false;
        i.memory_limit = None;
        i.cpu_millis = None;
        i.network_namespace = None;
        let spec = build_spec(&i).unwrap();
        assert_eq!(spec["ociVersion"], "1.0.2-dev");
        assert_eq!(
            spec["process"]["capabilities"]["bounding"],
            serde_json::json!(["CAP_NET_RAW"])
        );
        assert_eq!(spec["process"]["rlimits"][0]["type"], "RLIMIT_NOFILE");
        assert_eq!(
            spec["process"]["user"],
            serde_json::json!({"uid": 1000, "gid": 1001})
        );
        assert_eq!(
            spec["root"],
            serde_json::json!({"path": "rootfs", "readonly": false})
        );
        assert_eq!(spec["linux"]["cgroupsPath"], "/openfaas-fn/echo.abc");
        assert_eq!(
            spec["linux"]["namespaces"][4],
            serde_json::json!({"type": "network"})
        );
        assert_eq!(
            spec["linux"]["resources"],
            serde_json::json!({"devices": [{"allow": false, "access": "rwm"}]})
        );
        assert!(spec["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["destination"] != "/tmp"));
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
}

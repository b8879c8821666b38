//! `faasd provider`: prepares the host for faasd's functions, once (the `faasd-provider`
//! systemd unit runs it at boot, before `faasd up`), logging each step so that `systemctl status
//! faasd-provider` and `journalctl -u faasd-provider` show what was done:
//! containerd answers, `br_netfilter` is loaded, bridged traffic goes through iptables and IPv4
//! forwarding is on, the CNI plugins are installed, the network configuration is written (for
//! operators who read the CNI folder; `faasd up` builds its own from its flags) and the state
//! folders exist.

use std::path::{Path, PathBuf};

use faas_provider_containerd::NetworkConfig;

use crate::error::Error;

/// What `faasd provider` works on.
#[derive(Debug, Clone)]
pub struct ProviderPlan {
    /// containerd's socket.
    pub containerd_socket: PathBuf,
    /// faasd's state directory.
    pub state_dir: PathBuf,
    /// Where the CNI network configuration is written (`10-openfaas.conflist`).
    pub cni_conf_dir: PathBuf,
}

/// The kernel settings functions need: bridged packets through iptables (the CNI firewall and
/// port maps) and IPv4 forwarding (functions reach the outside through the host).
pub const SYSCTLS: [(&str, &str); 2] = [
    ("net.bridge.bridge-nf-call-iptables", "1"),
    ("net.ipv4.conf.all.forwarding", "1"),
];

/// The state folders faasd uses.
pub const STATE_DIRS: [&str; 3] = ["secrets", "netns", "registry"];

/// Runs every step; the first failure ends it with what to do.
pub async fn run(plan: &ProviderPlan) -> Result<(), Error> {
    tracing::info!("faasd-provider start");
    crate::preflight::check_socket(&plan.containerd_socket)?;
    let client = faas_provider_containerd::client::Containerd::connect(&plan.containerd_socket)
        .await
        .map_err(|e| {
            Error::Preflight(format!(
                "containerd does not answer at {}: {e} (systemctl restart containerd)",
                plan.containerd_socket.display()
            ))
        })?;
    let version = client.version().await.map_err(|e| {
        Error::Preflight(format!(
            "containerd does not answer at {}: {e} (systemctl restart containerd)",
            plan.containerd_socket.display()
        ))
    })?;
    tracing::info!(
        "containerd {version} answers at {}",
        plan.containerd_socket.display()
    );

    tracing::info!("Loading br_netfilter");
    let modprobe = std::process::Command::new("modprobe")
        .arg("br_netfilter")
        .output();
    let loaded = Path::new("/proc/sys/net/bridge").is_dir();
    if !loaded {
        let why = match modprobe {
            Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            Err(e) => e.to_string(),
        };
        return Err(Error::Preflight(format!(
            "the br_netfilter kernel module could not be loaded ({why}): install the kernel's \
             modules (apt-get install linux-image-$(uname -r)) or load it with modprobe"
        )));
    }
    for (key, value) in SYSCTLS {
        tracing::info!("Setting {key}={value}");
        set_sysctl(Path::new("/proc/sys"), key, value)?;
    }

    let network = NetworkConfig::default();
    crate::preflight::check_cni(&network)?;
    tracing::info!(
        "CNI plugins ({}) found",
        crate::preflight::CNI_PLUGINS.join(", ")
    );
    let conf = plan.cni_conf_dir.join("10-openfaas.conflist");
    tracing::info!("Writing network conf to {}", conf.display());
    write_network_conf(&conf, &network)?;

    for dir in STATE_DIRS {
        let path = plan.state_dir.join(dir);
        std::fs::create_dir_all(&path).map_err(|e| Error::io("creating", &path, e))?;
    }
    tracing::info!("State folders ready under {}", plan.state_dir.display());
    tracing::info!("faasd-provider done: the host is ready for faasd up");
    Ok(())
}

/// Writes `value` to `<proc_sys>/<key with dots as slashes>` unless it already holds it.
pub fn set_sysctl(proc_sys: &Path, key: &str, value: &str) -> Result<(), Error> {
    let path = proc_sys.join(key.replace('.', "/"));
    if std::fs::read_to_string(&path).is_ok_and(|v| v.trim() == value) {
        return Ok(());
    }
    std::fs::write(&path, value).map_err(|e| {
        Error::Preflight(format!(
            "setting {key}={value} ({}): {e}: run faasd provider as root",
            path.display()
        ))
    })
}

/// The CNI conflist of the default network, pretty-printed.
pub fn write_network_conf(path: &Path, network: &NetworkConfig) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
    }
    let text = format!("{:#}\n", faas_provider_containerd::cni::conflist(network));
    crate::write_atomically(path, text.as_bytes(), 0o644).map_err(|e| Error::io("writing", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctls_are_written_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("net/ipv4/conf/all/forwarding");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "0\n").unwrap();
        set_sysctl(dir.path(), "net.ipv4.conf.all.forwarding", "1").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "1");
        let e = set_sysctl(dir.path(), "net.bridge.missing", "1").unwrap_err();
        assert!(e.to_string().contains("net.bridge.missing=1"), "{e}");
    }

    #[test]
    fn the_network_conf_is_the_default_conflist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.d/10-openfaas.conflist");
        write_network_conf(&path, &NetworkConfig::default()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"openfaas0\""), "{text}");
        assert!(text.contains("host-local"), "{text}");
    }
}

//! Checks before `faasd up` touches anything, each failing with one line that says what to do.

use std::path::Path;

use faas_provider_containerd::NetworkConfig;

use crate::error::Error;

/// The CNI plugins faasd runs.
pub const CNI_PLUGINS: &[&str] = &["bridge", "host-local", "loopback", "firewall"];

/// Root, then the containerd socket, then the CNI plugins in `network.plugin_dirs`.
pub fn check(socket: &Path, network: &NetworkConfig) -> Result<(), Error> {
    if !is_root() {
        return Err(Error::Preflight(
            "faasd up needs root (it creates containers and network interfaces): run it with sudo"
                .to_owned(),
        ));
    }
    check_socket(socket)?;
    check_cni(network)
}

/// Whether this process runs as root (`/proc/self` belongs to the effective user).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// The socket exists and is a socket.
pub fn check_socket(socket: &Path) -> Result<(), Error> {
    use std::os::unix::fs::FileTypeExt;
    let is_socket = std::fs::metadata(socket)
        .map(|m| m.file_type().is_socket())
        .unwrap_or(false);
    if is_socket {
        Ok(())
    } else {
        Err(Error::Preflight(format!(
            "containerd is not running at {}: install it (apt-get install containerd) and start it (systemctl start containerd)",
            socket.display()
        )))
    }
}

/// Every plugin of [`CNI_PLUGINS`] is in one of the plugin directories.
pub fn check_cni(network: &NetworkConfig) -> Result<(), Error> {
    let found = network
        .plugin_dirs
        .iter()
        .find(|dir| CNI_PLUGINS.iter().all(|p| dir.join(p).is_file()));
    if found.is_some() {
        return Ok(());
    }
    let dirs: Vec<String> = network
        .plugin_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    Err(Error::Preflight(format!(
        "the CNI plugins ({}) are not in {}: install them (apt-get install containernetworking-plugins)",
        CNI_PLUGINS.join(", "),
        dirs.join(" or ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_pieces_name_the_fix() {
        let e = check_socket(Path::new("/nonexistent/containerd.sock")).unwrap_err();
        assert!(e.to_string().contains("apt-get install containerd"), "{e}");
        let net = NetworkConfig {
            plugin_dirs: vec!["/nonexistent".into()],
            ..NetworkConfig::default()
        };
        let e = check_cni(&net).unwrap_err();
        assert!(e.to_string().contains("containernetworking-plugins"), "{e}");
    }
}

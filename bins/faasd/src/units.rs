//! The systemd units `faasd install` writes, and the local registry's configuration.
//!
//! - `faasd-registry.service`: Debian's `docker-registry` serving the templates' base images and
//!   the functions' images on a loopback address only.
//! - `faasd-provider.service`: a one-shot unit (`RemainAfterExit=yes`) running `faasd provider`,
//!   which prepares the host for functions and logs each step, so `systemctl status
//!   faasd-provider` and `journalctl -u faasd-provider` show what it did. It is a real unit, not
//!   an alias of `faasd.service`: journalctl cannot follow unit aliases.
//! - `faasd.service`: `faasd up`, requiring the provider unit and containerd.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// What the units are made from.
#[derive(Debug, Clone)]
pub struct UnitInputs {
    /// The `faasd` binary the units run.
    pub faasd: PathBuf,
    /// faasd's state directory.
    pub state_dir: PathBuf,
    /// The `docker-registry` binary.
    pub docker_registry: PathBuf,
    /// The registry's address (loopback).
    pub registry: SocketAddr,
}

impl UnitInputs {
    /// `<state>/registry`: the registry's configuration and storage.
    pub fn registry_dir(&self) -> PathBuf {
        self.state_dir.join("registry")
    }

    /// `<state>/registry/config.yml`.
    pub fn registry_config_path(&self) -> PathBuf {
        self.registry_dir().join("config.yml")
    }
}

/// The unit names, in the order they start.
pub const UNIT_NAMES: [&str; 3] = ["faasd-registry", "faasd-provider", "faasd"];

/// The `(file name, contents)` of every unit.
pub fn units(inputs: &UnitInputs) -> Vec<(&'static str, String)> {
    vec![
        ("faasd-registry.service", registry_unit(inputs)),
        ("faasd-provider.service", provider_unit(inputs)),
        ("faasd.service", faasd_unit(inputs)),
    ]
}

/// `faasd.service`: `faasd up`, after and requiring `faasd-provider.service` and containerd.
pub fn faasd_unit(inputs: &UnitInputs) -> String {
    format!(
        "[Unit]\n\
         Description=faasd\n\
         Documentation=https://github.com/openfaas/faasd\n\
         After=faasd-provider.service containerd.service faasd-registry.service network-online.target\n\
         Requires=faasd-provider.service containerd.service\n\
         Wants=faasd-registry.service network-online.target\n\
         \n\
         [Service]\n\
         ExecStart={} up --state-dir {}\n\
         Restart=always\n\
         RestartSec=2\n\
         Environment=RUST_LOG=info\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        inputs.faasd.display(),
        inputs.state_dir.display()
    )
}

/// `faasd-provider.service`: `faasd provider` once at boot; it stays "active (exited)".
pub fn provider_unit(inputs: &UnitInputs) -> String {
    format!(
        "[Unit]\n\
         Description=faasd-provider\n\
         Documentation=https://github.com/openfaas/faasd\n\
         After=containerd.service network-online.target\n\
         Wants=containerd.service network-online.target\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         ExecStart={} provider --state-dir {}\n\
         Environment=RUST_LOG=info\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        inputs.faasd.display(),
        inputs.state_dir.display()
    )
}

/// `faasd-registry.service`: `docker-registry serve <state>/registry/config.yml`.
pub fn registry_unit(inputs: &UnitInputs) -> String {
    format!(
        "[Unit]\n\
         Description=faasd-registry: the local image registry on {} (loopback only)\n\
         After=network.target\n\
         \n\
         [Service]\n\
         ExecStart={} serve {}\n\
         Restart=always\n\
         RestartSec=2\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        inputs.registry,
        inputs.docker_registry.display(),
        inputs.registry_config_path().display()
    )
}

/// The registry's `config.yml`: storage under `<state>/registry/storage`, listening on
/// `inputs.registry` only, deletes allowed (so old images can be removed).
pub fn registry_config(inputs: &UnitInputs) -> String {
    format!(
        "version: 0.1\n\
         log:\n  level: info\n\
         storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
         http:\n  addr: {}\n",
        inputs.registry_dir().join("storage").display(),
        inputs.registry
    )
}

/// The `ExecStart=` command line of a unit's text, split on spaces (our units quote nothing).
pub fn exec_start(unit: &str) -> Option<Vec<String>> {
    unit.lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .map(|cmd| cmd.split_whitespace().map(str::to_owned).collect())
}

/// `docker-registry` on `PATH`, else Debian's `/usr/bin/docker-registry`.
pub fn find_docker_registry() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("docker-registry"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| Path::new("/usr/bin/docker-registry").to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> UnitInputs {
        UnitInputs {
            faasd: "/usr/local/bin/faasd".into(),
            state_dir: "/var/lib/faasd".into(),
            docker_registry: "/usr/bin/docker-registry".into(),
            registry: "127.0.0.1:5000".parse().unwrap(),
        }
    }

    #[test]
    fn the_units_say_what_runs_and_in_which_order() {
        let i = inputs();
        let faasd = faasd_unit(&i);
        assert!(faasd.contains("ExecStart=/usr/local/bin/faasd up --state-dir /var/lib/faasd"));
        assert!(faasd.contains("Requires=faasd-provider.service containerd.service"));
        assert!(faasd.contains("After=faasd-provider.service"));
        assert!(faasd.contains("Restart=always"));
        let provider = provider_unit(&i);
        assert!(provider.contains("Type=oneshot\nRemainAfterExit=yes\n"));
        assert!(
            provider.contains("ExecStart=/usr/local/bin/faasd provider --state-dir /var/lib/faasd")
        );
        let registry = registry_unit(&i);
        assert_eq!(
            exec_start(&registry).unwrap(),
            [
                "/usr/bin/docker-registry",
                "serve",
                "/var/lib/faasd/registry/config.yml"
            ]
        );
        let config = registry_config(&i);
        assert!(config.contains("addr: 127.0.0.1:5000\n"), "{config}");
        assert!(config.contains("rootdirectory: /var/lib/faasd/registry/storage\n"));
        for (_, unit) in units(&i) {
            assert!(unit.contains("WantedBy=multi-user.target"));
        }
    }
}

//! `faasd install`: the systemd unit `faasd.service` and the gateway credentials.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// What `install` wrote, for the binary to print the next steps.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The unit file.
    pub unit: PathBuf,
    /// The password file.
    pub password: PathBuf,
    /// Whether the credentials were created now (false: kept).
    pub created_credentials: bool,
}

/// The unit that runs `binary up --state-dir state_dir`, after and requiring containerd.
pub fn unit_file(binary: &Path, state_dir: &Path) -> String {
    format!(
        "[Unit]\n\
         Description=faasd: OpenFaaS functions on containerd (gateway, provider, async queue)\n\
         Documentation=https://github.com/openfaas/faasd\n\
         After=containerd.service network-online.target\n\
         Requires=containerd.service\n\
         Wants=network-online.target\n\
         \n\
         [Service]\n\
         ExecStart={} up --state-dir {}\n\
         Restart=always\n\
         RestartSec=2\n\
         Environment=RUST_LOG=info\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        binary.display(),
        state_dir.display()
    )
}

/// Writes `<unit_dir>/faasd.service` for `binary` and the credentials under `state_dir`.
pub fn install(binary: &Path, state_dir: &Path, unit_dir: &Path) -> Result<Installed, Error> {
    std::fs::create_dir_all(unit_dir).map_err(|e| Error::io("creating", unit_dir, e))?;
    let unit = unit_dir.join("faasd.service");
    crate::write_atomically(&unit, unit_file(binary, state_dir).as_bytes(), 0o644)
        .map_err(|e| Error::io("writing", &unit, e))?;
    let created_credentials = crate::credentials::ensure(state_dir)?;
    Ok(Installed {
        unit,
        password: crate::credentials::secrets_dir(state_dir).join("basic-auth-password"),
        created_credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_unit_and_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let installed = install(
            Path::new("/usr/local/bin/faasd"),
            &dir.path().join("state"),
            &dir.path().join("units"),
        )
        .unwrap();
        let unit = std::fs::read_to_string(&installed.unit).unwrap();
        assert!(unit.contains(&format!(
            "ExecStart=/usr/local/bin/faasd up --state-dir {}",
            dir.path().join("state").display()
        )));
        assert!(unit.contains("Restart=always") && unit.contains("Requires=containerd.service"));
        assert!(installed.created_credentials && installed.password.is_file());
    }
}

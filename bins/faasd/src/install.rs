//! `faasd install`: the systemd units (`faasd`, `faasd-provider`, `faasd-registry`, see
//! [`crate::units`]), the local registry's configuration, the gateway credentials and the
//! `faas-cli` name of the CLI; then, where systemd runs, the services enabled and started and the
//! templates' base images built ([`crate::base_images`]). Where systemd does not run, the
//! commands that do the same by hand are returned for the binary to print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::units::{UnitInputs, UNIT_NAMES};

/// The address of the local registry when none is given.
pub const DEFAULT_REGISTRY: &str = "127.0.0.1:5000";

/// What to install, from `faasd install`'s flags.
#[derive(Debug, Clone)]
pub struct InstallPlan {
    /// The `faasd` binary the units run (this one).
    pub faasd: PathBuf,
    /// faasd's state directory.
    pub state_dir: PathBuf,
    /// Where the unit files go.
    pub unit_dir: PathBuf,
    /// The local registry's address; must be a loopback address.
    pub registry: SocketAddr,
}

/// What `install` did, for the binary to print.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The unit files written.
    pub units: Vec<PathBuf>,
    /// The registry's configuration.
    pub registry_config: PathBuf,
    /// The password file.
    pub password: PathBuf,
    /// Whether the credentials were created now (false: kept).
    pub created_credentials: bool,
    /// The `faas-cli` symlink next to `faas`, when `faas` is installed next to `faasd`.
    pub faas_cli: Option<PathBuf>,
    /// The command lines a user runs to start everything by hand (no systemd).
    pub manual_start: Vec<String>,
}

/// Checks that `registry` is a loopback address: the local registry takes pushes without
/// authentication, so it must not be reachable from other machines.
pub fn check_loopback(registry: &SocketAddr) -> Result<(), Error> {
    if registry.ip().is_loopback() {
        Ok(())
    } else {
        Err(Error::BadConfig(format!(
            "--registry {registry}: the local registry accepts pushes without authentication, so \
             it listens on a loopback address only (e.g. {DEFAULT_REGISTRY})"
        )))
    }
}

/// Writes the units, the registry's configuration and storage folder, the credentials and the
/// `faas-cli` symlink. Starts nothing.
pub fn install(plan: &InstallPlan) -> Result<Installed, Error> {
    check_loopback(&plan.registry)?;
    let inputs = UnitInputs {
        faasd: plan.faasd.clone(),
        state_dir: plan.state_dir.clone(),
        docker_registry: crate::units::find_docker_registry(),
        registry: plan.registry,
    };
    std::fs::create_dir_all(&plan.unit_dir)
        .map_err(|e| Error::io("creating", &plan.unit_dir, e))?;
    let mut units = Vec::new();
    for (name, text) in crate::units::units(&inputs) {
        let path = plan.unit_dir.join(name);
        crate::write_atomically(&path, text.as_bytes(), 0o644)
            .map_err(|e| Error::io("writing", &path, e))?;
        units.push(path);
    }
    let storage = inputs.registry_dir().join("storage");
    std::fs::create_dir_all(&storage).map_err(|e| Error::io("creating", &storage, e))?;
    let registry_config = inputs.registry_config_path();
    crate::write_atomically(
        &registry_config,
        crate::units::registry_config(&inputs).as_bytes(),
        0o644,
    )
    .map_err(|e| Error::io("writing", &registry_config, e))?;
    let created_credentials = crate::credentials::ensure(&plan.state_dir)?;
    let faas_cli = match plan.faasd.parent() {
        Some(dir) => ensure_faas_cli_link(dir)?,
        None => None,
    };
    Ok(Installed {
        units,
        registry_config,
        password: crate::credentials::secrets_dir(&plan.state_dir).join("basic-auth-password"),
        created_credentials,
        faas_cli,
        manual_start: manual_start(&inputs),
    })
}

/// When `dir/faas` exists, makes `dir/faas-cli` a symlink to it (the tutorial calls the CLI
/// `faas-cli`). An existing `faas-cli` that is something else (upstream's binary) is kept.
pub fn ensure_faas_cli_link(dir: &Path) -> Result<Option<PathBuf>, Error> {
    let faas = dir.join("faas");
    if !faas.is_file() {
        return Ok(None);
    }
    let link = dir.join("faas-cli");
    match std::fs::read_link(&link) {
        Ok(target) if target == Path::new("faas") || target == faas => return Ok(Some(link)),
        Ok(_) => {
            // A symlink to something else, e.g. a removed binary: point it at ours.
            std::fs::remove_file(&link).map_err(|e| Error::io("removing", &link, e))?;
        }
        Err(_) if link.symlink_metadata().is_ok() => {
            tracing::info!(path = %link.display(), "keeping the existing faas-cli");
            return Ok(None);
        }
        Err(_) => {}
    }
    std::os::unix::fs::symlink("faas", &link).map_err(|e| Error::io("linking", &link, e))?;
    Ok(Some(link))
}

/// The command lines that start the services by hand, in order.
fn manual_start(inputs: &UnitInputs) -> Vec<String> {
    let faasd = inputs.faasd.display();
    let state = inputs.state_dir.display();
    vec![
        "containerd &   # unless containerd already runs".to_owned(),
        format!(
            "{} serve {} &",
            inputs.docker_registry.display(),
            inputs.registry_config_path().display()
        ),
        format!("{faasd} provider --state-dir {state}"),
        format!("{faasd} up --state-dir {state} &"),
    ]
}

/// The `faasd base-images` command line for `registry`.
pub fn base_images_command(faasd: &Path, registry: &SocketAddr) -> String {
    if registry.to_string() == DEFAULT_REGISTRY {
        format!("{} base-images", faasd.display())
    } else {
        format!("{} base-images --registry {registry}", faasd.display())
    }
}

/// What `install` wrote, one line each.
pub fn written_lines(installed: &Installed, plan: &InstallPlan) -> Vec<String> {
    let mut lines: Vec<String> = installed
        .units
        .iter()
        .map(|u| format!("wrote {}", u.display()))
        .collect();
    lines.push(format!(
        "wrote {} (the local registry, on {} only)",
        installed.registry_config.display(),
        plan.registry
    ));
    if let Some(link) = &installed.faas_cli {
        lines.push(format!("{} -> faas", link.display()));
    }
    if installed.created_credentials {
        let secrets = installed.password.parent().unwrap_or(Path::new("/"));
        lines.push(format!(
            "created the gateway credentials (user admin) in {}",
            secrets.display()
        ));
    }
    lines
}

/// What to run when install started nothing (`no_start`, or no systemd): the systemctl line or
/// the services by hand, then `faasd base-images`.
pub fn to_run_lines(
    installed: &Installed,
    plan: &InstallPlan,
    systemd: bool,
    no_start: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    if no_start {
        lines.push("--no-start: nothing was started. To start:".to_owned());
    } else {
        lines.push(
            "systemd is not running here (PID 1 is not systemd): nothing was started. \
             Start the services by hand, in this order:"
                .to_owned(),
        );
    }
    if systemd {
        lines.push(format!(
            "  systemctl daemon-reload && systemctl enable --now {}",
            UNIT_NAMES.join(" ")
        ));
    } else {
        lines.extend(installed.manual_start.iter().map(|c| format!("  {c}")));
    }
    lines.push("then build the templates' base images into the registry:".to_owned());
    lines.push(format!(
        "  {}",
        base_images_command(&plan.faasd, &plan.registry)
    ));
    lines
}

/// Where the password is and the tutorial's login line.
pub fn login_lines(installed: &Installed) -> Vec<String> {
    let password = installed.password.display();
    vec![
        format!("the gateway's password (user admin) is in {password}; log in with:"),
        format!("  cat {password} | faas-cli login --password-stdin"),
    ]
}

/// Whether systemd runs this machine (`/run/systemd/system` exists only then).
pub fn systemd_is_running(run_systemd_system: &Path) -> bool {
    run_systemd_system.is_dir()
}

/// `systemctl daemon-reload`, then `systemctl enable --now` the registry, the provider, faasd
/// and containerd when it has a unit.
pub fn start_with_systemd() -> Result<(), Error> {
    systemctl(&["daemon-reload"])?;
    let mut names: Vec<&str> = Vec::new();
    if has_containerd_unit() {
        names.push("containerd");
    }
    names.extend(UNIT_NAMES);
    let mut args = vec!["enable", "--now"];
    args.extend(names);
    systemctl(&args)
}

fn has_containerd_unit() -> bool {
    [
        "/etc/systemd/system",
        "/lib/systemd/system",
        "/usr/lib/systemd/system",
    ]
    .iter()
    .any(|d| Path::new(d).join("containerd.service").is_file())
}

fn systemctl(args: &[&str]) -> Result<(), Error> {
    let shown = format!("systemctl {}", args.join(" "));
    tracing::info!("running {shown}");
    let status = std::process::Command::new("systemctl")
        .args(args)
        .status()
        .map_err(|e| Error::Preflight(format!("{shown}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Preflight(format!(
            "{shown} failed ({status}): see `systemctl status faasd-registry faasd-provider faasd`"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(dir: &Path) -> InstallPlan {
        InstallPlan {
            faasd: dir.join("bin/faasd"),
            state_dir: dir.join("state"),
            unit_dir: dir.join("units"),
            registry: DEFAULT_REGISTRY.parse().unwrap(),
        }
    }

    #[test]
    fn writes_the_units_the_registry_config_and_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let installed = install(&plan(dir.path())).unwrap();
        let names: Vec<String> = installed
            .units
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "faasd-registry.service",
                "faasd-provider.service",
                "faasd.service"
            ]
        );
        let faasd = std::fs::read_to_string(dir.path().join("units/faasd.service")).unwrap();
        assert!(faasd.contains(&format!(
            "ExecStart={} up --state-dir {}",
            dir.path().join("bin/faasd").display(),
            dir.path().join("state").display()
        )));
        let config = std::fs::read_to_string(&installed.registry_config).unwrap();
        assert!(config.contains("addr: 127.0.0.1:5000"), "{config}");
        assert!(dir.path().join("state/registry/storage").is_dir());
        assert!(installed.created_credentials && installed.password.is_file());
        // No faas next to faasd: no link.
        assert!(installed.faas_cli.is_none());
        // Without systemd, the manual steps start the registry from its config, then faasd.
        let steps = installed.manual_start.join("\n");
        assert!(steps.contains("serve ") && steps.contains("registry/config.yml"));
        assert!(steps.contains("provider --state-dir") && steps.contains(" up --state-dir"));
        // A second install keeps the credentials.
        assert!(!install(&plan(dir.path())).unwrap().created_credentials);
    }

    #[test]
    fn without_systemd_it_prints_the_services_by_hand_then_base_images_and_login() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = plan(dir.path());
        p.registry = "127.0.0.1:5001".parse().unwrap();
        let installed = install(&p).unwrap();
        let state = dir.path().join("state");
        let faasd = dir.path().join("bin/faasd");
        let text = to_run_lines(&installed, &p, false, false).join("\n");
        assert!(text.starts_with("systemd is not running here"), "{text}");
        let hand = [
            format!("serve {}/registry/config.yml &", state.display()),
            format!(
                "{} provider --state-dir {}",
                faasd.display(),
                state.display()
            ),
            format!("{} up --state-dir {} &", faasd.display(), state.display()),
            format!("{} base-images --registry 127.0.0.1:5001", faasd.display()),
        ];
        let mut at = 0;
        for step in &hand {
            let found = text[at..]
                .find(step.as_str())
                .unwrap_or_else(|| panic!("{step:?} in order in:\n{text}"));
            at += found;
        }
        let with_systemd = to_run_lines(&installed, &p, true, true).join("\n");
        assert!(with_systemd.contains(
            "systemctl daemon-reload && systemctl enable --now faasd-registry faasd-provider faasd"
        ));
        assert_eq!(
            login_lines(&installed)[1],
            format!(
                "  cat {}/secrets/basic-auth-password | faas-cli login --password-stdin",
                state.display()
            )
        );
        let written = written_lines(&installed, &p).join("\n");
        assert!(
            written.contains("faasd-provider.service") && written.contains("127.0.0.1:5001 only")
        );
    }

    #[test]
    fn the_registry_listens_on_loopback_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = plan(dir.path());
        p.registry = "0.0.0.0:5000".parse().unwrap();
        let e = install(&p).unwrap_err().to_string();
        assert!(e.contains("loopback"), "{e}");
        assert!(!dir.path().join("units").exists());
    }

    #[test]
    fn faas_cli_links_to_faas_when_it_is_installed_next_to_faasd() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("faas"), "#!/bin/sh\n").unwrap();
        let installed = install(&plan(dir.path())).unwrap();
        let link = installed.faas_cli.expect("a faas-cli link");
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("faas"));
        // Idempotent, and a real faas-cli binary is kept.
        assert_eq!(ensure_faas_cli_link(&bin).unwrap(), Some(link.clone()));
        std::fs::remove_file(&link).unwrap();
        std::fs::write(&link, "upstream").unwrap();
        assert_eq!(ensure_faas_cli_link(&bin).unwrap(), None);
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "upstream");
    }

    #[test]
    fn systemd_is_detected_by_its_runtime_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!systemd_is_running(&dir.path().join("systemd/system")));
        std::fs::create_dir_all(dir.path().join("systemd/system")).unwrap();
        assert!(systemd_is_running(&dir.path().join("systemd/system")));
        let addr: SocketAddr = "127.0.0.1:5001".parse().unwrap();
        assert_eq!(
            base_images_command(Path::new("/usr/local/bin/faasd"), &addr),
            "/usr/local/bin/faasd base-images --registry 127.0.0.1:5001"
        );
    }
}

//! The faasd command line without containerd: help, bad flags, install.

use std::process::Command;

use faas_e2e::faasd::faasd_binary;

#[test]
fn help_documents_the_up_flags() {
    let out = Command::new(faasd_binary())
        .args(["up", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--state-dir",
        "--containerd-socket",
        "--namespace",
        "--bridge",
        "--subnet",
        "--insecure-registry",
        "--nats-url",
        "--no-queue",
        "--metrics-listen",
        "--resolv-conf",
        "--upstream-resolv-conf",
        "--log-max-size",
        "--log-files",
        "FAASD_LOG_MAX_SIZE",
        "FAASD_LISTEN",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn bad_flags_exit_64() {
    let out = Command::new(faasd_binary())
        .args(["up", "--subnet", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(64),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

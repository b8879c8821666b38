//! The `faas-k8s` binary's command line: help, and exit 64 on bad configuration before any
//! cluster is needed.

use std::process::Command;

fn faas_k8s() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faas-k8s"));
    for var in [
        "FAAS_LISTEN",
        "FAAS_SECRETS_DIR",
        "FAAS_NO_AUTH",
        "KUBECONFIG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn help_documents_every_flag_and_its_variable() {
    let out = faas_k8s().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--listen",
        "FAAS_LISTEN",
        "0.0.0.0:8080",
        "--secrets-dir",
        "FAAS_SECRETS_DIR",
        "--namespace",
        "FAAS_FUNCTION_NAMESPACE",
        "openfaas-fn",
        "--multi-namespace",
        "--image-pull-policy",
        "--run-as-non-root",
        "--no-auth",
        "KUBECONFIG",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

#[test]
fn bad_configuration_exits_64() {
    let cases: [&[&str]; 4] = [
        &["--listen", "not-an-address"],
        &["--image-pull-policy", "sometimes"],
        &[], // no --secrets-dir and no --no-auth
        &["--secrets-dir", "/nonexistent/faas-k8s-test"],
    ];
    for args in cases {
        let out = faas_k8s().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(64), "{args:?}: {out:?}");
    }
}

#[test]
fn no_cluster_configuration_exits_64() {
    let out = faas_k8s()
        .args(["--no-auth", "--listen", "127.0.0.1:0"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64), "{out:?}");
}

//! Deploy from an image archive (`faasd import`), with a secret readable and read-only inside.

use std::process::Command;

use faas_e2e::faasd::faasd_binary;
use faas_e2e::images::server_archive;
use faas_e2e::TestEnv;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_import_deploys_and_secrets_are_read_only() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    let archive = env.dir.join("vault.tar");
    server_archive("archived", &archive);
    let out = Command::new(faasd_binary())
        .arg("import")
        .arg(&archive)
        .args(["local/vault:1", "--namespace", &ns, "--containerd-socket"])
        .arg(&env.socket)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "docker.io/local/vault:1"
    );

    gw.create_secret("api-key", &ns, "s3cr3t").await;
    let mut d = env.deployment("vault", "local/vault:1");
    d["secrets"] = serde_json::json!(["api-key"]);
    gw.deploy(&d).await;
    gw.wait_available("vault", &ns, 1).await;
    let body = gw.invoke("vault", &ns, "/").await.text();
    assert!(body.contains("msg=archived"), "{body}");
    assert!(body.contains("secret api-key=s3cr3t"), "{body}");
    assert!(body.contains("secret-readonly"), "{body}");
    gw.delete("vault", &ns).await;
    env.finish(faasd).await;
}

//! Functions whose image runs as a non-root user (numeric and named) read their secrets through
//! the gateway, read-only, see a secret's new value at once, and leave no copy behind.

use std::os::unix::fs::MetadataExt;

use faas_e2e::images::server_as;
use faas_e2e::TestEnv;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_root_functions_read_their_secrets_and_see_updates() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    gw.create_secret("api-key", &ns, "s3cr3t").await;
    let functions = [("numeric", "1000"), ("named", "app")];
    for (name, user) in functions {
        let image = env.push(&server_as(name, user), name, "1");
        let mut d = env.deployment(name, &image);
        d["secrets"] = json!(["api-key"]);
        gw.deploy(&d).await;
        gw.wait_available(name, &ns, 1).await;
        let body = gw.invoke(name, &ns, "/").await.text();
        assert!(body.contains(&format!("msg={name}")), "{body}");
        assert!(body.contains("secret api-key=s3cr3t"), "{user}: {body}");
        assert!(body.contains("secret-readonly"), "{user}: {body}");
        let ids = gw.invoke(name, &ns, "/cgi-bin/uid").await.text();
        assert!(ids.contains("Uid:\t1000\t"), "{user}: {ids}");
        // A lone uid takes its group from the image's /etc/passwd, as with Docker.
        assert!(ids.contains("Gid:\t1000\t"), "{user}: {ids}");
    }

    // On the host the copies are the function user's, 0400, in root-only directories.
    let copies = env.state_dir().join("secret-mounts").join(&ns);
    for (name, _) in functions {
        let file = copies.join(name).join("1000.1000").join("api-key");
        let m = std::fs::metadata(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!((m.uid(), m.gid(), m.mode() & 0o777), (1000, 1000, 0o400));
        for dir in file.ancestors().skip(1).take(4) {
            let d = std::fs::metadata(dir).unwrap();
            assert_eq!((d.uid(), d.mode() & 0o777), (0, 0o700), "{}", dir.display());
        }
    }

    // A new value reaches the running functions.
    let r = gw
        .request(
            "PUT",
            "/system/secrets",
            Some(&json!({ "name": "api-key", "namespace": ns, "value": "n3w" })),
        )
        .await;
    assert!((200..300).contains(&r.status), "{} {}", r.status, r.text());
    for (name, user) in functions {
        let body = gw.invoke(name, &ns, "/cgi-bin/secret?api-key").await.text();
        assert_eq!(body.trim(), "secret\nn3w", "{user}");
    }

    for (name, _) in functions {
        gw.delete(name, &ns).await;
        assert!(!copies.join(name).exists(), "{name}'s copies are left");
    }
    env.finish(faasd).await;
}

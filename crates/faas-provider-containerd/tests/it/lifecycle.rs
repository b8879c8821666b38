//! Deploy (registry and archive), invoke, replicas, scale, secrets, update and delete.

use std::collections::BTreeMap;
use std::time::Duration;

use faas_core::{FunctionDeployment, Provider, Secret};

use crate::images::{self, SERVER_SCRIPT};
use crate::support::{inventory, invoke, iptables_leftovers, wait_available, TestEnv};

fn deployment(env: &TestEnv, name: &str, image: &str) -> FunctionDeployment {
    FunctionDeployment {
        service: name.into(),
        image: image.into(),
        namespace: Some(env.namespace.clone()),
        env_process: Some("cat".into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_deploy_scale_update_delete_leaves_nothing() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let repo = format!("{}/echo", env.namespace);
    images::push(
        &images::build("v1", SERVER_SCRIPT),
        &env.services.registry,
        &repo,
        "1",
    );
    images::push(
        &images::build("v2", SERVER_SCRIPT),
        &env.services.registry,
        &repo,
        "2",
    );
    let p = env.provider().await;
    let f = env.function("echo");
    let image = format!("{}/{repo}:1", env.services.registry);

    // An unpullable image is rejected and leaves nothing behind.
    let bad = deployment(
        &env,
        "echo",
        &format!("{}/{repo}:missing", env.services.registry),
    );
    let err = p.deploy(bad).await.unwrap_err();
    assert_eq!(err.kind(), faas_core::ErrorKind::Invalid, "{}", err.chain());
    assert!(inventory(&p, &env.namespace).await.containers.is_empty());

    p.deploy(deployment(&env, "echo", &image)).await.unwrap();
    // The pulled layers were spooled to files under <state>/tmp, removed once stored.
    let spooled: Vec<_> = std::fs::read_dir(env.config.state_dir.join("tmp"))
        .expect("the pull spools layers under <state>/tmp")
        .collect();
    assert!(spooled.is_empty(), "{spooled:?}");
    let resolved = tokio::time::timeout(Duration::from_secs(30), p.wait_ready(f.clone()).unwrap())
        .await
        .expect("ready in time")
        .unwrap();
    let body = invoke(resolved.endpoints.pick().unwrap());
    assert!(body.contains("msg=v1 host=echo"), "{body}");
    let status = p.get(f.clone(), false).await.unwrap();
    assert_eq!((status.replicas, status.available_replicas), (1, 1));
    assert_eq!(p.list(env.namespace.clone()).await.unwrap().len(), 1);
    let dup = p
        .deploy(deployment(&env, "echo", &image))
        .await
        .unwrap_err();
    assert_eq!(dup.kind(), faas_core::ErrorKind::AlreadyExists);

    // 0 → 3 → 1, each replica its own container and address.
    p.scale(f.clone(), 0).await.unwrap();
    wait_available(&p, &f, 0).await;
    assert!(p.resolve(&f).unwrap().endpoints.is_empty());
    p.scale(f.clone(), 0).await.unwrap();
    p.scale(f.clone(), 3).await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), p.wait_ready(f.clone()).unwrap())
        .await
        .unwrap()
        .unwrap();
    wait_available(&p, &f, 3).await;
    let addrs = p.resolve(&f).unwrap().endpoints.addrs().to_vec();
    let mut distinct = addrs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3);
    for a in &addrs {
        assert!(invoke(*a).contains("msg=v1"));
    }
    assert_eq!(inventory(&p, &env.namespace).await.tasks.len(), 3);
    p.scale(f.clone(), 1).await.unwrap();
    wait_available(&p, &f, 1).await;
    assert!(crate::support::eventually(10, || true).await);
    for _ in 0..100 {
        if inventory(&p, &env.namespace).await.containers.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(inventory(&p, &env.namespace).await.containers.len(), 1);
    assert_eq!(env.ipam_entries().len(), 1);

    // A rolling update to an image that cannot be pulled is rejected; the old one serves.
    let mut broken = deployment(
        &env,
        "echo",
        &format!("{}/{repo}:nope", env.services.registry),
    );
    broken.env_vars = BTreeMap::from([("X".to_owned(), "1".to_owned())]);
    assert!(p.update(broken).await.is_err());
    let a = p.resolve(&f).unwrap().endpoints.pick().unwrap();
    assert!(invoke(a).contains("msg=v1"));

    // A good update: the new version is ready before the old one goes.
    let before = inventory(&p, &env.namespace).await.containers;
    p.update(deployment(
        &env,
        "echo",
        &format!("{}/{repo}:2", env.services.registry),
    ))
    .await
    .unwrap();
    let a = p.resolve(&f).unwrap().endpoints.pick().unwrap();
    assert!(invoke(a).contains("msg=v2"));
    // The old replica drains in the background after the update returned.
    let mut after = inventory(&p, &env.namespace).await.containers;
    for _ in 0..100 {
        if after.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = inventory(&p, &env.namespace).await.containers;
    }
    assert_eq!(after.len(), 1);
    assert_ne!(before, after);

    let mut ids = before.clone();
    ids.extend(after);
    p.delete(f.clone()).await.unwrap();
    assert!(p.resolve(&f).unwrap_err().is_not_found());
    let inv = inventory(&p, &env.namespace).await;
    assert!(inv.containers.is_empty(), "{:?}", inv.containers);
    assert!(inv.tasks.is_empty(), "{:?}", inv.tasks);
    assert!(
        inv.replica_snapshots.is_empty(),
        "{:?}",
        inv.replica_snapshots
    );
    assert_eq!(env.pinned_netns(), Vec::<String>::new());
    assert!(env.ipam_entries().is_empty(), "{:?}", env.ipam_entries());
    assert_eq!(iptables_leftovers(&env, &ids), Vec::<String>::new());
    drop(p);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_deploy_with_read_only_secret() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let archive = env.dir.path().join("echo.tar");
    images::write_oci_archive(&images::build("archived", SERVER_SCRIPT), &archive);
    let p = env.provider().await;
    let name = p
        .import_image(&env.namespace, "local/echo:archived", archive)
        .await
        .unwrap();
    assert_eq!(name, "docker.io/local/echo:archived");

    let mut d = deployment(&env, "vault", "local/echo:archived");
    d.secrets = vec!["api-key".into()];
    let missing = p.deploy(d.clone()).await.unwrap_err();
    assert_eq!(missing.kind(), faas_core::ErrorKind::Invalid);
    p.create_secret(Secret {
        name: "api-key".into(),
        namespace: Some(env.namespace.clone()),
        value: Some("s3cr3t".into()),
        raw_value: None,
    })
    .await
    .unwrap();
    let names = p.list_secrets(env.namespace.clone()).await.unwrap();
    assert_eq!(names.len(), 1);

    d.read_only_root_filesystem = true;
    p.deploy(d).await.unwrap();
    let f = env.function("vault");
    let resolved = tokio::time::timeout(Duration::from_secs(30), p.wait_ready(f.clone()).unwrap())
        .await
        .unwrap()
        .unwrap();
    let body = invoke(resolved.endpoints.pick().unwrap());
    assert!(body.contains("msg=archived"), "{body}");
    assert!(body.contains("secret api-key=s3cr3t"), "{body}");
    assert!(body.contains("secret-readonly"), "{body}");
    let in_use = p
        .delete_secret(env.namespace.clone(), "api-key".into())
        .await
        .unwrap_err();
    assert_eq!(in_use.kind(), faas_core::ErrorKind::Conflict);

    p.delete(f).await.unwrap();
    p.delete_secret(env.namespace.clone(), "api-key".into())
        .await
        .unwrap();
    assert!(env.ipam_entries().is_empty());
    drop(p);
    env.cleanup().await;
}

//! Deploy from the registry, invoke, list/describe, scale 0→3→1 with spread, a call on zero
//! replicas, rolling updates (bad and good) under a request loop, delete leaving nothing.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use faas_e2e::images::{replica_id, server};
use faas_e2e::inspect::{inventory, ipam_entries, iptables_leftovers};
use faas_e2e::TestEnv;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_deploy_list_scale_spread_zero_and_delete_leave_nothing() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let image = env.push(&server("v1"), "echo", "1");
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();

    gw.deploy(&env.deployment("echo", &image)).await;
    gw.wait_available("echo", &ns, 1).await;
    let body = gw.invoke("echo", &ns, "/").await;
    assert_eq!(body.status, 200, "{}", body.text());
    assert!(body.text().contains("msg=v1 host=echo"), "{}", body.text());
    let list = gw.list(&ns).await;
    let listed = list.as_array().expect("a list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "echo");
    assert_eq!(
        (
            listed[0]["replicas"].as_u64(),
            listed[0]["availableReplicas"].as_u64()
        ),
        (Some(1), Some(1))
    );

    // 0 → 3: three replicas, requests spread over all of them.
    gw.scale("echo", &ns, 0).await;
    gw.wait_available("echo", &ns, 0).await;
    assert_eq!(gw.replicas("echo", &ns).await, (0, 0));
    gw.scale("echo", &ns, 3).await;
    gw.wait_available("echo", &ns, 3).await;
    assert_eq!(gw.replicas("echo", &ns).await, (3, 3));
    let mut seen = BTreeSet::new();
    for _ in 0..60 {
        let r = gw.invoke("echo", &ns, "/").await;
        assert_eq!(r.status, 200);
        seen.extend(replica_id(&r.text()));
    }
    assert_eq!(seen.len(), 3, "answers came from {seen:?}");
    assert_eq!(inventory(&env.socket, &ns).await.tasks.len(), 3);

    // 3 → 1.
    gw.scale("echo", &ns, 1).await;
    gw.wait_available("echo", &ns, 1).await;
    let one = faas_e2e::poll(Duration::from_secs(20), || async {
        (inventory(&env.socket, &ns).await.containers.len() == 1).then_some(())
    })
    .await;
    assert!(one.is_some(), "{:?}", inventory(&env.socket, &ns).await);
    assert_eq!(gw.replicas("echo", &ns).await, (1, 1));

    // The first call on zero replicas answers 200.
    gw.scale("echo", &ns, 0).await;
    gw.wait_available("echo", &ns, 0).await;
    let r = gw.invoke("echo", &ns, "/").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("msg=v1"));

    // Delete leaves no task, container, snapshot, IP or iptables rule.
    let ids = inventory(&env.socket, &ns).await.containers;
    gw.delete("echo", &ns).await;
    assert_eq!(gw.describe("echo", &ns).await, serde_json::Value::Null);
    let inv = inventory(&env.socket, &ns).await;
    assert!(inv.containers.is_empty() && inv.tasks.is_empty(), "{inv:?}");
    assert!(inv.replica_snapshots.is_empty(), "{inv:?}");
    assert!(ipam_entries(&env).is_empty(), "{:?}", ipam_entries(&env));
    assert_eq!(iptables_leftovers(&env, &ids), Vec::<String>::new());
    env.finish(faasd).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_update_under_load_fails_no_request_and_a_bad_image_keeps_the_old() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let v1 = env.push(&server("v1"), "roll", "1");
    let v2 = env.push(&server("v2"), "roll", "2");
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    let mut d = env.deployment("roll", &v1);
    d["labels"] = serde_json::json!({ "com.openfaas.scale.min": "2" });
    gw.deploy(&d).await;
    gw.wait_available("roll", &ns, 2).await;

    // A steady request loop for the whole update.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let looper = {
        let (gw, ns, stop, ok, failed) = (
            gw.clone(),
            ns.clone(),
            stop.clone(),
            ok.clone(),
            failed.clone(),
        );
        tokio::spawn(async move {
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                match gw.try_invoke("roll", &ns, "/").await {
                    Ok(r) if r.status == 200 => ok.fetch_add(1, Ordering::Relaxed),
                    other => {
                        failures.push(format!("{:?}", other.map(|r| (r.status, r.text()))));
                        failed.fetch_add(1, Ordering::Relaxed)
                    }
                };
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            failures
        })
    };

    // Bad image: an error, and v1 still serves.
    let bad = env.deployment(
        "roll",
        &format!("{}/{}/roll:missing", env.services.registry, ns),
    );
    let r = gw.update(&bad).await;
    assert!(
        r.status >= 400,
        "update to a missing image: {} {}",
        r.status,
        r.text()
    );
    assert!(gw.invoke("roll", &ns, "/").await.text().contains("msg=v1"));

    let mut good = env.deployment("roll", &v2);
    good["labels"] = serde_json::json!({ "com.openfaas.scale.min": "2" });
    let r = gw.update(&good).await;
    assert!((200..300).contains(&r.status), "{} {}", r.status, r.text());
    let switched = faas_e2e::poll(Duration::from_secs(60), || async {
        gw.invoke("roll", &ns, "/")
            .await
            .text()
            .contains("msg=v2")
            .then_some(())
    })
    .await;
    assert!(switched.is_some(), "v2 never answered");
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let failures = looper.await.unwrap();
    assert!(
        ok.load(Ordering::Relaxed) > 20,
        "too few requests: {}",
        ok.load(Ordering::Relaxed)
    );
    assert_eq!(
        failed.load(Ordering::Relaxed),
        0,
        "failed requests: {failures:?}"
    );
    gw.wait_available("roll", &ns, 2).await;
    // The old replicas drain in the background after the update returned.
    let mut after = inventory(&env.socket, &ns).await;
    for _ in 0..150 {
        if after.containers.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = inventory(&env.socket, &ns).await;
    }
    assert_eq!(after.containers.len(), 2, "{after:?}");
    gw.delete("roll", &ns).await;
    env.finish(faasd).await;
}

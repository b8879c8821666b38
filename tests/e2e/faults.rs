//! Faults: a function over its memory limit or whose process exits comes back; logs follow;
//! `kill -9` of faasd and a containerd restart leave every function serving.

use std::time::Duration;

use faas_e2e::images::{replica_id, server};
use faas_e2e::inspect::inventory;
use faas_e2e::services::{run_script, start_containerd, work_dir};
use faas_e2e::{GatewayClient, TestEnv};

/// Waits up to 60 s (restarts back off; the machine may be loaded) for `name` to answer 200
/// from a replica other than `old`.
async fn answers_from_new_replica(gw: &GatewayClient, name: &str, ns: &str, old: &str) -> String {
    let new = faas_e2e::poll(Duration::from_secs(60), || async {
        let r = gw.try_invoke(name, ns, "/").await.ok()?;
        let id = replica_id(&r.text())?;
        (r.status == 200 && id != old).then_some(id)
    })
    .await;
    new.unwrap_or_else(|| panic!("{name} did not come back with a new replica"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_memory_limit_or_exited_the_function_comes_back_and_logs_follow() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let image = env.push(&server("mem"), "mem", "1");
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    let mut d = env.deployment("mem", &image);
    d["limits"] = serde_json::json!({ "memory": "16Mi" });
    gw.deploy(&d).await;
    gw.wait_available("mem", &ns, 1).await;
    let first = replica_id(&gw.invoke("mem", &ns, "/").await.text()).expect("a replica id");

    // Logs stream with follow: a line written after the stream opened arrives.
    let follower = {
        let (gw, ns) = (gw.clone(), ns.clone());
        tokio::spawn(async move {
            let mut seen = String::new();
            let path = format!("/system/logs?name=mem&namespace={ns}&follow=true");
            let r = gw
                .stream(&path, Duration::from_secs(20), |chunk| {
                    seen.push_str(&String::from_utf8_lossy(chunk));
                    seen.contains("log followed-line")
                })
                .await;
            (r, seen)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        gw.invoke("mem", &ns, "/cgi-bin/log?followed-line")
            .await
            .status,
        200
    );
    let (followed, seen) = follower.await.unwrap();
    assert!(followed.is_ok(), "{followed:?}: {seen}");

    // Over the memory limit: killed, then restarted.
    let _ = gw.try_invoke("mem", &ns, "/cgi-bin/hog").await;
    let second = answers_from_new_replica(&gw, "mem", &ns, &first).await;
    let logs = gw
        .get(&format!("/system/logs?name=mem&namespace={ns}"))
        .await
        .text();
    assert!(
        logs.contains("hogging") && !logs.contains("survived"),
        "{logs}"
    );

    // The process exits: restarted.
    let _ = gw.try_invoke("mem", &ns, "/cgi-bin/exit").await;
    answers_from_new_replica(&gw, "mem", &ns, &second).await;
    assert_eq!(inventory(&env.socket, &ns).await.containers.len(), 1);
    gw.delete("mem", &ns).await;
    env.finish(faasd).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_every_function_serves_within_2s_without_duplicates() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let image = env.push(&server("kept"), "kept", "1");
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    gw.deploy(&env.deployment("one", &image)).await;
    let mut two = env.deployment("two", &image);
    two["labels"] = serde_json::json!({ "com.openfaas.scale.min": "2" });
    gw.deploy(&two).await;
    gw.wait_available("one", &ns, 1).await;
    gw.wait_available("two", &ns, 2).await;
    let before = inventory(&env.socket, &ns).await;
    assert_eq!(before.containers.len(), 3);
    faasd.kill();

    let started = tokio::time::Instant::now();
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    for name in ["one", "two"] {
        let served = faas_e2e::poll(Duration::from_secs(10), || async {
            let r = gw.try_invoke(name, &ns, "/").await.ok()?;
            (r.status == 200).then_some(())
        })
        .await;
        assert!(served.is_some(), "{name} does not serve after the restart");
    }
    let elapsed = started.elapsed();
    #[allow(clippy::print_stderr)] // the measured figure, on purpose
    {
        eprintln!("every function serving {elapsed:?} after faasd was started again");
    }
    assert!(elapsed <= Duration::from_secs(2), "took {elapsed:?}");
    assert_eq!(gw.replicas("two", &ns).await, (2, 2));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = inventory(&env.socket, &ns).await;
    assert_eq!(
        after, before,
        "containers or tasks changed: no adoption or duplicates"
    );
    env.finish(faasd).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_survive_a_containerd_restart() {
    let Some(services) = faas_e2e::services() else {
        return;
    };
    // A private containerd, so restarting it disturbs no other test.
    let dir = work_dir().join(format!("ctrd-{}", std::process::id()));
    let socket = start_containerd(&dir).expect("starting a private containerd");
    let env = TestEnv::on_socket(services, socket).await;
    let image = env.push(&server("steady"), "steady", "1");
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    gw.deploy(&env.deployment("steady", &image)).await;
    gw.wait_available("steady", &ns, 1).await;

    run_script("scripts/services/stop.sh", &[&dir.to_string_lossy()]).expect("stopping containerd");
    start_containerd(&dir).expect("starting containerd again");
    let back = faas_e2e::poll(Duration::from_secs(30), || async {
        let r = gw.try_invoke("steady", &ns, "/").await.ok()?;
        (r.status == 200).then_some(())
    })
    .await;
    assert!(
        back.is_some(),
        "steady does not serve after the containerd restart"
    );
    // faasd talks to the new containerd: scaling works.
    gw.scale("steady", &ns, 2).await;
    gw.wait_available("steady", &ns, 2).await;
    gw.delete("steady", &ns).await;
    env.finish(faasd).await;
    let _ = run_script("scripts/services/stop.sh", &[&dir.to_string_lossy()]);
    let _ = std::fs::remove_dir_all(&dir);
}

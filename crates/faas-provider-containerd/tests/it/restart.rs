//! Surviving the provider's death (dropped without shutdown, as after `kill -9`) and crashed
//! replicas.

use std::collections::BTreeMap;
use std::time::Duration;

use faas_core::{FunctionDeployment, Provider};
use faas_provider_containerd::client::in_namespace;

use crate::images::{self, SERVER_SCRIPT};
use crate::support::{inventory, wait_available, TestEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_adopts_replicas_and_restarts_crashed_ones() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let archive = env.dir.path().join("echo.tar");
    images::write_oci_archive(&images::build("kept", SERVER_SCRIPT), &archive);
    let p = env.provider().await;
    p.import_image(&env.namespace, "local/echo:kept", archive)
        .await
        .unwrap();
    let f = env.function("kept");
    p.deploy(FunctionDeployment {
        service: "kept".into(),
        image: "local/echo:kept".into(),
        namespace: Some(env.namespace.clone()),
        labels: BTreeMap::from([("com.openfaas.scale.min".to_owned(), "2".to_owned())]),
        ..Default::default()
    })
    .await
    .unwrap();
    wait_available(&p, &f, 2).await;
    let before = inventory(&p, &env.namespace).await;
    drop(p);

    // A new provider adopts the running replicas: same containers and pids, no duplicates.
    let p = env.provider().await;
    wait_available(&p, &f, 2).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut after = inventory(&p, &env.namespace).await;
    after.tasks.sort();
    let mut tasks_before = before.tasks.clone();
    tasks_before.sort();
    assert_eq!(after.containers, before.containers);
    assert_eq!(after.tasks, tasks_before);

    // A crashed replica is restarted.
    let (victim, old_pid) = after.tasks[0].clone();
    p.containerd()
        .tasks()
        .kill(in_namespace(
            &env.namespace,
            containerd_client::services::v1::KillRequest {
                container_id: victim.clone(),
                exec_id: String::new(),
                signal: 9,
                all: true,
            },
        ))
        .await
        .unwrap();
    let mut restarted = false;
    for _ in 0..200 {
        let inv = inventory(&p, &env.namespace).await;
        if inv
            .tasks
            .iter()
            .any(|(id, pid)| *id == victim && *pid != old_pid)
            && p.get(f.clone(), false).await.unwrap().available_replicas == 2
        {
            restarted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(restarted, "replica {victim} was not restarted");
    assert_eq!(inventory(&p, &env.namespace).await.containers.len(), 2);
    assert_eq!(
        env.ipam_entries().len(),
        2,
        "the crashed task's address was released"
    );

    p.delete(f).await.unwrap();
    assert!(env.ipam_entries().is_empty());
    drop(p);
    env.cleanup().await;
}

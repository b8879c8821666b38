//! The standby replica of a function at zero: created and on the network but not started,
//! started by the first scale-up, adopted by a restarted provider, removed with the function,
//! and absent when the provider is configured without it.

use std::time::Duration;

use faas_core::{FunctionDeployment, FunctionRef, Provider};
use faas_provider_containerd::client::in_namespace;
use faas_provider_containerd::state::FunctionRecord;
use faas_provider_containerd::ContainerdProvider;

use crate::images::{self, SERVER_SCRIPT};
use crate::support::{eventually, inventory, invoke, iptables_leftovers, wait_available, TestEnv};

/// containerd's task status `created` (not started).
const CREATED: i32 = 1;

/// Tasks of `ns` with their pid and status.
async fn task_states(p: &ContainerdProvider, ns: &str) -> Vec<(String, u32, i32)> {
    let mut tasks: Vec<(String, u32, i32)> = p
        .containerd()
        .tasks()
        .list(in_namespace(
            ns,
            containerd_client::services::v1::ListTasksRequest {
                filter: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .tasks
        .into_iter()
        .map(|t| (t.id, t.pid, t.status))
        .collect();
    tasks.sort();
    tasks
}

/// The standby `(id, pid)` recorded in the provider's persisted state of `f`.
fn recorded_standby(env: &TestEnv, f: &FunctionRef) -> Option<(String, u32)> {
    let path = env
        .config
        .state_dir
        .join("functions")
        .join(&f.namespace)
        .join(format!("{}.json", f.name));
    let record: FunctionRecord = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let standby = record.standby?;
    Some((standby.id, standby.pid?))
}

/// Waits until `f`'s namespace holds exactly one task, created and not started, which the
/// provider has recorded as the standby, and returns it.
async fn wait_standby(env: &TestEnv, p: &ContainerdProvider, f: &FunctionRef) -> (String, u32) {
    let ns = f.namespace.as_str();
    for _ in 0..200 {
        let tasks = task_states(p, ns).await;
        if let [(id, pid, CREATED)] = tasks.as_slice() {
            let found = (id.clone(), *pid);
            if inventory(p, ns).await.containers == vec![id.clone()]
                && recorded_standby(env, f).as_ref() == Some(&found)
            {
                return found;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no standby task alone in {ns}: {:?} / {:?}",
        task_states(p, ns).await,
        inventory(p, ns).await.containers
    );
}

async fn deploy_echo(env: &TestEnv, p: &ContainerdProvider, name: &str) -> FunctionRef {
    let archive = env.dir.path().join(format!("{name}.tar"));
    images::write_oci_archive(&images::build("sb", SERVER_SCRIPT), &archive);
    let image = format!("local/{name}:sb");
    p.import_image(&env.namespace, &image, archive)
        .await
        .unwrap();
    p.deploy(FunctionDeployment {
        service: name.into(),
        image,
        namespace: Some(env.namespace.clone()),
        ..Default::default()
    })
    .await
    .unwrap();
    let f = env.function(name);
    wait_available(p, &f, 1).await;
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standby_is_started_by_scale_up_adopted_after_restart_and_deleted() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let ns = env.namespace.clone();
    let p = env.provider().await;
    let f = deploy_echo(&env, &p, "sb").await;

    // At zero: one container whose task is created, not started, holding one address.
    p.scale(f.clone(), 0).await.unwrap();
    wait_available(&p, &f, 0).await;
    let (standby, pid) = wait_standby(&env, &p, &f).await;
    assert_eq!(env.ipam_entries().len(), 1, "{:?}", env.ipam_entries());
    let status = p.get(f.clone(), false).await.unwrap();
    assert_eq!((status.replicas, status.available_replicas), (0, 0));
    assert!(p.resolve(&f).unwrap().endpoints.is_empty());

    // A restarted provider adopts it as it is (same container, same parked pid).
    drop(p);
    let p = env.provider().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(wait_standby(&env, &p, &f).await, (standby.clone(), pid));

    // Scaling up starts that very task: same container and pid, now serving.
    p.scale(f.clone(), 1).await.unwrap();
    let resolved = tokio::time::timeout(Duration::from_secs(30), p.wait_ready(f.clone()).unwrap())
        .await
        .expect("ready in time")
        .unwrap();
    assert!(invoke(resolved.endpoints.pick().unwrap()).contains("msg=sb"));
    let tasks = task_states(&p, &ns).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!((tasks[0].0.as_str(), tasks[0].1), (standby.as_str(), pid));
    assert_ne!(tasks[0].2, CREATED, "{tasks:?}");
    assert_eq!(inventory(&p, &ns).await.containers, vec![standby.clone()]);

    // At zero again a new standby appears; delete removes it with everything else.
    p.scale(f.clone(), 0).await.unwrap();
    let (second, _) = wait_standby(&env, &p, &f).await;
    p.delete(f.clone()).await.unwrap();
    let inv = inventory(&p, &ns).await;
    assert!(inv.containers.is_empty(), "{:?}", inv.containers);
    assert!(inv.tasks.is_empty(), "{:?}", inv.tasks);
    assert!(
        inv.replica_snapshots.is_empty(),
        "{:?}",
        inv.replica_snapshots
    );
    assert_eq!(env.pinned_netns(), Vec::<String>::new());
    assert!(env.ipam_entries().is_empty(), "{:?}", env.ipam_entries());
    assert_eq!(
        iptables_leftovers(&env, &[standby, second]),
        Vec::<String>::new()
    );
    drop(p);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_standby_zero_replicas_means_no_container() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let ns = env.namespace.clone();
    let mut config = env.config.clone();
    config.standby = false;
    let p = ContainerdProvider::start(config).await.unwrap();
    let f = deploy_echo(&env, &p, "nosb").await;
    p.scale(f.clone(), 0).await.unwrap();
    wait_available(&p, &f, 0).await;
    let mut empty = false;
    for _ in 0..100 {
        if inventory(&p, &ns).await.containers.is_empty() {
            empty = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(empty, "{:?}", inventory(&p, &ns).await.containers);
    // Stays empty: no standby is made later by the reconciler.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(inventory(&p, &ns).await.containers.is_empty());
    assert!(eventually(5, || env.ipam_entries().is_empty()).await);

    // Scaling up still works, by creating a replica.
    p.scale(f.clone(), 1).await.unwrap();
    wait_available(&p, &f, 1).await;
    let a = p.resolve(&f).unwrap().endpoints.pick().unwrap();
    assert!(invoke(a).contains("msg=sb"));
    p.delete(f).await.unwrap();
    drop(p);
    env.cleanup().await;
}

//! Deploy/delete churn: every delete sets off containerd's garbage collector, which must never
//! take the snapshot of a replica being created (it once did, between snapshot prepare and
//! container create: "failed to mount rootfs component … no such file or directory").

use faas_core::{FunctionDeployment, Provider};

use crate::images::{self, SERVER_SCRIPT};
use crate::support::{inventory, invoke, wait_available, TestEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_delete_churn_loses_no_snapshot() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let repo = format!("{}/churn", env.namespace);
    images::push(
        &images::build("churn", SERVER_SCRIPT),
        &env.services.registry,
        &repo,
        "1",
    );
    let p = env.provider().await;
    let image = format!("{}/{repo}:1", env.services.registry);
    for i in 0..15 {
        let name = format!("churn{i}");
        p.deploy(FunctionDeployment {
            service: name.clone(),
            image: image.clone(),
            namespace: Some(env.namespace.clone()),
            env_process: Some("cat".into()),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("deploy {i}: {}", e.chain()));
        let f = env.function(&name);
        wait_available(&p, &f, 1).await;
        let addr = p.resolve(&f).unwrap().endpoints.pick().unwrap();
        assert!(invoke(addr).contains("msg=churn"));
        p.delete(f).await.unwrap();
    }
    assert!(inventory(&p, &env.namespace).await.containers.is_empty());
    drop(p);
    env.cleanup().await;
}

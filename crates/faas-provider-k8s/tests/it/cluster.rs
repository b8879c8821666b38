//! Against a real cluster, when `KUBECONFIG` points at one: deploy → the Deployment and
//! Service exist with the right spec → scale → delete. Otherwise one line says it was
//! skipped and why. CI starts no cluster, so `FAAS_REQUIRE_SERVICES=1` does not apply here;
//! `FAAS_REQUIRE_K8S=1` turns the skip into a failure where a cluster is expected.
//!
//! It uses its own namespace `faas-test-<pid>`, which it creates and removes, never
//! `openfaas-fn`. Without a kubelet (a bare API server) pods never become ready; the test
//! checks only what the API server stores.

use std::time::Duration;

use faas_core::{FunctionDeployment, FunctionRef, Provider};
use faas_provider_k8s::{K8sProvider, ProviderConfig};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Service};
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

/// A client for the cluster `KUBECONFIG` names, or why there is none.
async fn cluster_client() -> Result<Client, String> {
    let Some(path) = std::env::var_os("KUBECONFIG") else {
        return Err("KUBECONFIG is not set".into());
    };
    let client = Client::try_default()
        .await
        .map_err(|e| format!("KUBECONFIG={}: {e}", path.to_string_lossy()))?;
    tokio::time::timeout(Duration::from_secs(5), client.apiserver_version())
        .await
        .map_err(|_| "the API server did not answer within 5 s".to_owned())?
        .map_err(|e| format!("the API server is unreachable: {e}"))?;
    Ok(client)
}

#[tokio::test]
async fn deploy_scale_delete_on_a_real_cluster() {
    let client = match cluster_client().await {
        Ok(client) => client,
        Err(why) => {
            if std::env::var("FAAS_REQUIRE_K8S").as_deref() == Ok("1") {
                panic!("FAAS_REQUIRE_K8S=1 but {why}");
            }
            // The one line a skipped test prints, on purpose.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("skip: deploy_scale_delete_on_a_real_cluster: {why}");
            }
            return;
        }
    };
    let namespace = format!("faas-test-{}", std::process::id());
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": namespace}})).unwrap();
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();

    let result = run_scenario(client, &namespace).await;
    let _ = namespaces
        .delete(&namespace, &DeleteParams::default())
        .await;
    result.unwrap();
}

async fn run_scenario(client: Client, namespace: &str) -> Result<(), String> {
    let config = ProviderConfig {
        function_namespace: namespace.to_owned(),
        ..Default::default()
    };
    let (provider, watchers) = K8sProvider::new(client.clone(), config);
    let _tasks = watchers.spawn();
    let d: FunctionDeployment = serde_json::from_value(json!({
        "service": "echo", "image": "ghcr.io/openfaas/alpine:latest", "namespace": namespace,
        "envProcess": "cat", "labels": {"com.openfaas.scale.min": "1"}
    }))
    .unwrap();
    let f = FunctionRef::new("echo", Some(namespace));
    provider.deploy(d).await.map_err(|e| e.chain())?;

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let services: Api<Service> = Api::namespaced(client.clone(), namespace);
    let dep = deployments.get("echo").await.map_err(|e| e.to_string())?;
    let spec = dep.spec.unwrap();
    assert_eq!(spec.replicas, Some(1));
    let c = &spec.template.spec.unwrap().containers[0];
    assert_eq!(c.name, "echo");
    assert_eq!(c.env.as_ref().unwrap()[0].name, "fprocess");
    let svc = services.get("echo").await.map_err(|e| e.to_string())?;
    assert_eq!(svc.spec.unwrap().ports.unwrap()[0].port, 8080);

    provider.scale(f.clone(), 0).await.map_err(|e| e.chain())?;
    let dep = deployments.get("echo").await.map_err(|e| e.to_string())?;
    assert_eq!(dep.spec.unwrap().replicas, Some(0));
    let status = provider
        .get(f.clone(), false)
        .await
        .map_err(|e| e.chain())?;
    assert_eq!(status.name, "echo");

    provider.delete(f.clone()).await.map_err(|e| e.chain())?;
    for _ in 0..100 {
        if deployments
            .get_opt("echo")
            .await
            .map_err(|e| e.to_string())?
            .is_none()
        {
            assert!(services
                .get_opt("echo")
                .await
                .map_err(|e| e.to_string())?
                .is_none());
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the Deployment was not removed within 10 s".into())
}

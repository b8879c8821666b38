//! Deploy, update, scale and delete: the exact requests, in order, against the mock API server.

use faas_core::{ErrorKind, FunctionDeployment, FunctionRef, Provider};
use faas_provider_k8s::{ImagePullPolicy, ProviderConfig};
use serde_json::{json, Value};

use crate::golden::assert_golden;
use crate::mock::{self, status};

const DEPLOYMENTS: &str = "/apis/apps/v1/namespaces/openfaas-fn/deployments";
const SERVICES: &str = "/api/v1/namespaces/openfaas-fn/services";

/// The request of docs/kubernetes.md §2.3.
fn nodeinfo() -> FunctionDeployment {
    serde_json::from_value(json!({
        "service": "nodeinfo", "image": "ghcr.io/openfaas/nodeinfo:latest",
        "envProcess": "node index.js", "envVars": {"write_debug": "true"},
        "labels": {"com.openfaas.scale.min": "2", "team": "a"},
        "annotations": {"topic": "cron-function"}, "secrets": ["api-key"],
        "limits": {"memory": "128Mi", "cpu": "200m"}, "requests": {"memory": "64Mi", "cpu": "50m"},
        "readOnlyRootFilesystem": true
    }))
    .unwrap()
}

fn api_key_secret() -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "api-key", "namespace": "openfaas-fn"},
        "data": {"api-key": "czNjcjN0"}})
}

/// A function Deployment as the API server returns it.
fn existing_deployment(name: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "openfaas-fn", "resourceVersion": "7",
            "labels": {"faas_function": name, "owner": "ops"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"faas_function": name}},
            "template": {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": "old:1"}]}}}
    })
}

#[tokio::test]
async fn deploy_creates_the_deployment_then_the_service() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let call = tokio::spawn(async move { provider.deploy(nodeinfo()).await });

    api.expect("GET", "/api/v1/namespaces/openfaas-fn/secrets/api-key")
        .await
        .reply(200, &api_key_secret());
    let create = api.expect("POST", DEPLOYMENTS).await;
    assert_golden(
        "deploy-nodeinfo.deployment.json",
        create.body.as_ref().unwrap(),
    );
    create.echo();
    let create = api.expect("POST", SERVICES).await;
    assert_golden(
        "deploy-nodeinfo.service.json",
        create.body.as_ref().unwrap(),
    );
    create.echo();

    call.await.unwrap().unwrap();
}

#[tokio::test]
async fn deploy_sets_the_configured_pull_policy_and_non_root_user() {
    let config = ProviderConfig {
        image_pull_policy: Some(ImagePullPolicy::IfNotPresent),
        run_as_non_root: true,
        ..Default::default()
    };
    let (provider, mut api, _) = mock::provider(config);
    let mut d = nodeinfo();
    d.secrets.clear();
    let call = tokio::spawn(async move { provider.deploy(d).await });
    let create = api.expect("POST", DEPLOYMENTS).await;
    let container = &create.body.as_ref().unwrap()["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["imagePullPolicy"], "IfNotPresent");
    assert_eq!(container["securityContext"]["runAsUser"], 12000);
    create.fail(409, "AlreadyExists");
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
}

#[tokio::test]
async fn deploy_refuses_a_missing_secret_before_creating_anything() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let call = tokio::spawn(async move { provider.deploy(nodeinfo()).await });
    api.expect("GET", "/api/v1/namespaces/openfaas-fn/secrets/api-key")
        .await
        .fail(404, "NotFound");
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("api-key"), "{err}");
}

#[tokio::test]
async fn deploy_rolls_back_when_the_service_fails() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let mut d = nodeinfo();
    d.secrets.clear();
    let call = tokio::spawn(async move { provider.deploy(d).await });
    api.expect("POST", DEPLOYMENTS).await.echo();
    api.expect("POST", SERVICES).await.fail(422, "Invalid");
    let delete = api
        .expect("DELETE", &format!("{DEPLOYMENTS}/nodeinfo"))
        .await;
    assert_eq!(
        delete.body.as_ref().unwrap()["propagationPolicy"],
        "Foreground"
    );
    delete.reply(200, &status(200, "Success"));
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
}

#[tokio::test]
async fn deploy_outside_the_function_namespace_is_invalid() {
    let (provider, _api, _) = mock::provider(ProviderConfig::default());
    let mut d = nodeinfo();
    d.namespace = Some("dev".into());
    let err = provider.deploy(d).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("namespace dev"), "{err}");
}

#[tokio::test]
async fn update_replaces_the_deployment_and_rolls() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let mut d = nodeinfo();
    d.image = "ghcr.io/openfaas/nodeinfo:2".into();
    d.labels.remove("com.openfaas.scale.min");
    let call = tokio::spawn(async move { provider.update(d).await });

    api.expect("GET", "/api/v1/namespaces/openfaas-fn/secrets/api-key")
        .await
        .reply(200, &api_key_secret());
    let existing = existing_deployment("nodeinfo", json!({"faas_function": "nodeinfo"}));
    api.expect("GET", &format!("{DEPLOYMENTS}/nodeinfo"))
        .await
        .reply(200, &existing);
    let replace = api.expect("PUT", &format!("{DEPLOYMENTS}/nodeinfo")).await;
    let mut body = replace.body.clone().unwrap();
    let uid = &mut body["spec"]["template"]["metadata"]["labels"]["uid"];
    assert!(
        uid.as_str().unwrap().parse::<i128>().is_ok(),
        "rollout id: {uid}"
    );
    *uid = json!("<rollout-id>");
    assert_golden("update-nodeinfo.deployment.json", &body);
    // A stale resourceVersion is retried with a fresh GET.
    replace.fail(409, "Conflict");
    api.expect("GET", &format!("{DEPLOYMENTS}/nodeinfo"))
        .await
        .reply(200, &existing);
    api.expect("PUT", &format!("{DEPLOYMENTS}/nodeinfo"))
        .await
        .echo();

    let service = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "nodeinfo", "namespace": "openfaas-fn", "resourceVersion": "3",
            "annotations": {"old": "x"}},
        "spec": {"clusterIP": "10.43.0.10", "selector": {"faas_function": "nodeinfo"}}});
    api.expect("GET", &format!("{SERVICES}/nodeinfo"))
        .await
        .reply(200, &service);
    let replace = api.expect("PUT", &format!("{SERVICES}/nodeinfo")).await;
    let body = replace.body.clone().unwrap();
    assert_eq!(
        body["metadata"]["annotations"],
        json!({"prometheus.io.scrape": "false", "topic": "cron-function"})
    );
    assert_eq!(body["spec"]["clusterIP"], "10.43.0.10");
    replace.echo();
    call.await.unwrap().unwrap();
}

#[tokio::test]
async fn update_of_an_unknown_function_is_not_found() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let mut d = nodeinfo();
    d.secrets.clear();
    let call = tokio::spawn(async move { provider.update(d).await });
    api.expect("GET", &format!("{DEPLOYMENTS}/nodeinfo"))
        .await
        .fail(404, "NotFound");
    assert!(call.await.unwrap().unwrap_err().is_not_found());
}

#[tokio::test]
async fn scale_patches_the_scale_subresource_and_allows_zero() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let f = FunctionRef::new("echo", None);
    let call = tokio::spawn(async move { provider.scale(f, 0).await });
    api.expect("GET", &format!("{DEPLOYMENTS}/echo"))
        .await
        .reply(
            200,
            &existing_deployment("echo", json!({"faas_function": "echo"})),
        );
    let patch = api
        .expect("PATCH", &format!("{DEPLOYMENTS}/echo/scale"))
        .await;
    assert_eq!(patch.body, Some(json!({"spec": {"replicas": 0}})));
    patch.reply(
        200,
        &json!({"apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {"name": "echo", "namespace": "openfaas-fn"}, "spec": {"replicas": 0}}),
    );
    call.await.unwrap().unwrap();
}

#[tokio::test]
async fn scale_above_the_max_label_is_invalid() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let f = FunctionRef::new("echo", None);
    let call = tokio::spawn(async move { provider.scale(f, 6).await });
    let labels = json!({"faas_function": "echo", "com.openfaas.scale.max": "5"});
    api.expect("GET", &format!("{DEPLOYMENTS}/echo"))
        .await
        .reply(200, &existing_deployment("echo", labels));
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("at most 5"), "{err}");
}

#[tokio::test]
async fn delete_removes_the_deployment_then_the_service() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let f = FunctionRef::new("echo", None);
    let call = tokio::spawn(async move { provider.delete(f).await });
    api.expect("GET", &format!("{DEPLOYMENTS}/echo"))
        .await
        .reply(
            200,
            &existing_deployment("echo", json!({"faas_function": "echo"})),
        );
    for path in [format!("{DEPLOYMENTS}/echo"), format!("{SERVICES}/echo")] {
        let delete = api.expect("DELETE", &path).await;
        assert_eq!(
            delete.body.as_ref().unwrap()["propagationPolicy"],
            "Foreground"
        );
        delete.reply(200, &status(200, "Success"));
    }
    call.await.unwrap().unwrap();
}

#[tokio::test]
async fn delete_refuses_a_deployment_that_is_not_a_function() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let f = FunctionRef::new("web", None);
    let call = tokio::spawn(async move { provider.delete(f).await });
    let mut plain = existing_deployment("web", json!({}));
    plain["metadata"]["labels"] = json!({"app": "web"});
    api.expect("GET", &format!("{DEPLOYMENTS}/web"))
        .await
        .reply(200, &plain);
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(err.to_string().contains("not a function"), "{err}");
}

#[tokio::test]
async fn get_falls_back_to_the_api_and_maps_the_status() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let f = FunctionRef::new("echo", None);
    let call = tokio::spawn(async move { provider.get(f, false).await });
    let mut dep = existing_deployment("echo", json!({"faas_function": "echo", "team": "a"}));
    dep["status"] = json!({"replicas": 3, "readyReplicas": 2, "availableReplicas": 2});
    api.expect("GET", &format!("{DEPLOYMENTS}/echo"))
        .await
        .reply(200, &dep);
    let status = call.await.unwrap().unwrap();
    assert_eq!((status.replicas, status.available_replicas), (3, 2));
    assert_eq!(status.labels, [("team".to_owned(), "a".to_owned())].into());
    assert_eq!(status.image, "old:1");
}

//! Namespaces: one namespace by default; marked Namespaces in multi-namespace mode.

use faas_core::{ErrorKind, NamespaceRequest, Provider};
use faas_provider_k8s::ProviderConfig;
use serde_json::json;

use crate::mock;

fn multi() -> ProviderConfig {
    ProviderConfig {
        multi_namespace: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn single_namespace_mode_serves_only_the_function_namespace() {
    let (provider, _api, _) = mock::provider(ProviderConfig::default());
    assert_eq!(provider.list_namespaces().await.unwrap(), ["openfaas-fn"]);
    let ns = provider.get_namespace("openfaas-fn".into()).await.unwrap();
    assert_eq!(ns.labels["openfaas"], "1");
    assert!(provider
        .get_namespace("dev".into())
        .await
        .unwrap_err()
        .is_not_found());
    let err = provider
        .create_namespace(NamespaceRequest {
            name: "dev".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn list_keeps_annotated_namespaces_only() {
    let (provider, mut api, _) = mock::provider(multi());
    let call = tokio::spawn(async move { provider.list_namespaces().await });
    api.expect("GET", "/api/v1/namespaces").await.reply(
        200,
        &json!({"apiVersion": "v1", "kind": "NamespaceList", "metadata": {}, "items": [
            {"metadata": {"name": "dev", "annotations": {"openfaas": "1"}}},
            {"metadata": {"name": "default"}},
            {"metadata": {"name": "kube-system", "annotations": {"openfaas": "1"}}},
            {"metadata": {"name": "labelled-only", "labels": {"openfaas": "1"}}}
        ]}),
    );
    assert_eq!(call.await.unwrap().unwrap(), ["dev", "openfaas-fn"]);
}

#[tokio::test]
async fn create_sends_a_marked_namespace() {
    let (provider, mut api, _) = mock::provider(multi());
    let call = tokio::spawn(async move {
        provider
            .create_namespace(NamespaceRequest {
                name: "staging".into(),
                labels: [("team".to_owned(), "a".to_owned())].into(),
                annotations: Default::default(),
            })
            .await
    });
    let create = api.expect("POST", "/api/v1/namespaces").await;
    assert_eq!(
        create.body,
        Some(
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "staging",
            "labels": {"openfaas": "1", "team": "a"}, "annotations": {"openfaas": "1"}}})
        )
    );
    create.echo();
    call.await.unwrap().unwrap();
}

#[tokio::test]
async fn deploy_into_an_unmarked_namespace_is_invalid() {
    let (provider, mut api, _) = mock::provider(multi());
    let d: faas_core::FunctionDeployment = serde_json::from_value(
        json!({"service": "echo", "image": "alpine:3", "namespace": "default"}),
    )
    .unwrap();
    let call = tokio::spawn(async move { provider.deploy(d).await });
    api.expect("GET", "/api/v1/namespaces/default").await.reply(
        200,
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
    );
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
}

#[tokio::test]
async fn delete_refuses_a_namespace_with_secrets() {
    let (provider, mut api, _) = mock::provider(multi());
    let call = tokio::spawn(async move { provider.delete_namespace("dev".into()).await });
    let marked = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "dev", "annotations": {"openfaas": "1"}}});
    api.expect("GET", "/api/v1/namespaces/dev")
        .await
        .reply(200, &marked);
    // Listing the secrets checks the namespace again.
    api.expect("GET", "/api/v1/namespaces/dev")
        .await
        .reply(200, &marked);
    api.expect("GET", "/api/v1/namespaces/dev/secrets")
        .await
        .reply(
            200,
            &json!({"apiVersion": "v1", "kind": "SecretList", "metadata": {},
            "items": [{"metadata": {"name": "db"}}]}),
        );
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
}

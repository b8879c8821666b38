//! Secrets: labelled Opaque Secrets with one key, against the mock API server.

use faas_core::{ErrorKind, Provider, Secret};
use faas_provider_k8s::ProviderConfig;
use serde_json::json;

use crate::golden::assert_golden;
use crate::mock;

const SECRETS: &str = "/api/v1/namespaces/openfaas-fn/secrets";

fn secret(value: &str, raw: Option<&str>) -> Secret {
    Secret {
        name: "api-key".into(),
        namespace: None,
        value: Some(value.into()),
        raw_value: raw.map(Into::into),
    }
}

#[tokio::test]
async fn create_sends_a_labelled_opaque_secret() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let call = tokio::spawn(async move {
        provider
            .create_secret(secret("ignored", Some("ICBmaWxlc2VjcmV0ICA=")))
            .await
    });
    let create = api.expect("POST", SECRETS).await;
    assert_golden("secret-create.json", create.body.as_ref().unwrap());
    create.echo();
    call.await.unwrap().unwrap();
}

#[tokio::test]
async fn create_of_an_existing_secret_is_already_exists() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let call = tokio::spawn(async move { provider.create_secret(secret("x", None)).await });
    api.expect("POST", SECRETS).await.fail(409, "AlreadyExists");
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
}

#[tokio::test]
async fn update_replaces_the_data_only() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let call = tokio::spawn(async move { provider.update_secret(secret("new", None)).await });
    api.expect("GET", &format!("{SECRETS}/api-key"))
        .await
        .reply(
            200,
            &json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "api-key", "namespace": "openfaas-fn", "resourceVersion": "5",
                "labels": {"app.kubernetes.io/managed-by": "openfaas"}},
            "data": {"api-key": "b2xk", "stale": "eA=="}}),
        );
    let replace = api.expect("PUT", &format!("{SECRETS}/api-key")).await;
    assert_golden("secret-update.json", replace.body.as_ref().unwrap());
    replace.echo();
    call.await.unwrap().unwrap();
}

#[tokio::test]
async fn update_of_a_missing_secret_is_not_found() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let call = tokio::spawn(async move { provider.update_secret(secret("new", None)).await });
    api.expect("GET", &format!("{SECRETS}/api-key"))
        .await
        .fail(404, "NotFound");
    assert!(call.await.unwrap().unwrap_err().is_not_found());
}

#[tokio::test]
async fn list_selects_managed_secrets_and_delete_by_name() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let p = provider.clone();
    let call = tokio::spawn(async move { p.list_secrets("openfaas-fn".into()).await });
    let list = api.expect("GET", SECRETS).await;
    assert!(
        list.query
            .contains("labelSelector=app.kubernetes.io%2Fmanaged-by%3Dopenfaas"),
        "{}",
        list.query
    );
    list.reply(
        200,
        &json!({"apiVersion": "v1", "kind": "SecretList", "metadata": {},
            "items": [{"metadata": {"name": "b"}}, {"metadata": {"name": "a"}}]}),
    );
    let names: Vec<String> = call
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["a", "b"]);

    let call = tokio::spawn(async move {
        provider
            .delete_secret("openfaas-fn".into(), "api-key".into())
            .await
    });
    api.expect("DELETE", &format!("{SECRETS}/api-key"))
        .await
        .fail(404, "NotFound");
    assert!(call.await.unwrap().unwrap_err().is_not_found());
}

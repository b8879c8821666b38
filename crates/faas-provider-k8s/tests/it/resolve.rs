//! The watch-backed views: the Deployment reflector behind list/resolve, and the endpoint
//! table behind resolve/wait_ready, with the watchers running against the mock API server.

use std::collections::BTreeMap;
use std::time::Duration;

use faas_core::{FunctionRef, Provider};
use faas_provider_k8s::ProviderConfig;
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::runtime::watcher;
use serde_json::json;

use crate::mock::{self, ApiServer};

/// Answers the watchers: one function Deployment, no EndpointSlices, watches held open.
async fn serve_watchers(mut api: ApiServer) {
    let mut open_watches = Vec::new();
    loop {
        let call = api.next().await;
        assert_eq!(call.method, "GET");
        if call.query.contains("watch=true") {
            open_watches.push(call);
        } else if call.path == "/apis/apps/v1/namespaces/openfaas-fn/deployments" {
            assert!(
                call.query.contains("labelSelector=faas_function"),
                "{}",
                call.query
            );
            call.reply(
                200,
                &json!({"apiVersion": "apps/v1", "kind": "DeploymentList",
                    "metadata": {"resourceVersion": "10"}, "items": [{
                        "metadata": {"name": "echo", "namespace": "openfaas-fn",
                            "creationTimestamp": "2026-01-01T00:00:00Z",
                            "labels": {"faas_function": "echo"}},
                        "spec": {"replicas": 0, "selector": {"matchLabels": {"faas_function": "echo"}},
                            "template": {"metadata": {"labels": {"faas_function": "echo",
                                "com.openfaas.scale.min": "2"}},
                            "spec": {"containers": [{"name": "echo", "image": "alpine:3",
                                "env": [{"name": "exec_timeout", "value": "45s"}]}]}}},
                        "status": {"availableReplicas": 0}}]}),
            );
        } else if call.path == "/apis/discovery.k8s.io/v1/namespaces/openfaas-fn/endpointslices" {
            assert!(
                call.query
                    .contains("labelSelector=kubernetes.io%2Fservice-name"),
                "{}",
                call.query
            );
            call.reply(
                200,
                &json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSliceList",
                    "metadata": {"resourceVersion": "10"}, "items": []}),
            );
        } else {
            panic!("unexpected {} {}?{}", call.method, call.path, call.query);
        }
    }
}

fn ready_slice(ip: &str) -> EndpointSlice {
    EndpointSlice {
        address_type: "IPv4".into(),
        endpoints: vec![Endpoint {
            addresses: vec![ip.into()],
            conditions: Some(EndpointConditions {
                ready: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        }],
        metadata: ObjectMeta {
            name: Some("echo-x1".into()),
            namespace: Some("openfaas-fn".into()),
            labels: Some(BTreeMap::from([(
                "kubernetes.io/service-name".to_owned(),
                "echo".to_owned(),
            )])),
            ..Default::default()
        },
        ports: None,
    }
}

#[tokio::test]
async fn resolve_and_wait_ready_answer_from_memory() {
    let (provider, api, watchers) = mock::provider(ProviderConfig::default());
    let server = tokio::spawn(serve_watchers(api));
    let _tasks = watchers.spawn();
    provider.wait_synced().await.unwrap();

    let echo = FunctionRef::new("echo", None);
    let resolved = provider.resolve(&echo).unwrap();
    assert_eq!((resolved.replicas, resolved.min_replicas), (0, 2));
    assert_eq!(resolved.timeout, Some(Duration::from_secs(45)));
    assert!(resolved.endpoints.is_empty());
    assert!(provider
        .resolve(&FunctionRef::new("nope", None))
        .unwrap_err()
        .is_not_found());

    let list = provider.list("openfaas-fn".into()).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].replicas, list[0].available_replicas), (0, 0));

    let mut waiting = provider
        .wait_ready(echo.clone())
        .expect("wait_ready is supported");
    let early = tokio::time::timeout(Duration::from_millis(50), &mut waiting).await;
    assert!(early.is_err(), "no endpoint is ready yet");
    provider
        .endpoint_table()
        .apply_event(watcher::Event::Apply(ready_slice("10.42.0.7")));
    let ready = tokio::time::timeout(Duration::from_secs(2), waiting)
        .await
        .expect("wait_ready woke up")
        .unwrap();
    assert_eq!(ready.endpoints.addrs(), ["10.42.0.7:8080".parse().unwrap()]);
    assert_eq!(
        provider.resolve(&echo).unwrap().endpoints.pick(),
        ready.endpoints.pick()
    );
    server.abort();
}

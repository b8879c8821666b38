//! Logs: pods of the function, their container's log with timestamps, as LogMessages.

use faas_core::{LogRequest, Provider};
use faas_provider_k8s::ProviderConfig;
use futures_util::StreamExt as _;
use serde_json::json;

use crate::mock;

#[tokio::test]
async fn logs_read_each_running_pod() {
    let (provider, mut api, _) = mock::provider(ProviderConfig::default());
    let request = LogRequest {
        name: "figlet".into(),
        namespace: "openfaas-fn".into(),
        instance: None,
        tail: Some(2),
        since: None,
        follow: false,
    };
    let call = tokio::spawn(async move {
        let stream = provider.logs(request).await.unwrap();
        stream.collect::<Vec<_>>().await
    });
    api.expect(
        "GET",
        "/apis/apps/v1/namespaces/openfaas-fn/deployments/figlet",
    )
    .await
    .reply(
        200,
        &json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "figlet", "namespace": "openfaas-fn",
                    "labels": {"faas_function": "figlet"}}}),
    );
    let list = api
        .expect("GET", "/api/v1/namespaces/openfaas-fn/pods")
        .await;
    assert!(
        list.query.contains("labelSelector=faas_function%3Dfiglet"),
        "{}",
        list.query
    );
    list.reply(
        200,
        &json!({"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": [
            {"metadata": {"name": "figlet-1"}, "status": {"phase": "Running"}},
            {"metadata": {"name": "figlet-2"}, "status": {"phase": "Pending"}}
        ]}),
    );
    let log = api
        .expect("GET", "/api/v1/namespaces/openfaas-fn/pods/figlet-1/log")
        .await;
    for part in ["container=figlet", "timestamps=true", "tailLines=2"] {
        assert!(log.query.contains(part), "{part} in {}", log.query);
    }
    log.reply_text("2026-11-25T13:00:00.123456Z Forking - cat []\n2026-11-25T13:00:01Z done\n");
    let lines = call.await.unwrap();
    let lines: Vec<_> = lines.into_iter().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].instance, "figlet-1");
    assert_eq!(lines[0].namespace, "openfaas-fn");
    assert_eq!(lines[0].text, "Forking - cat []");
    assert_eq!(
        lines[0].timestamp.to_string(),
        "2026-11-25T13:00:00.123456Z"
    );
    assert_eq!(lines[1].text, "done");
}

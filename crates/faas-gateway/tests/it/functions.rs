//! `/system/functions`, `/system/function/{name}`, `/system/scale-function/{name}` (docs/api.md §5).

use http::Method;
use serde_json::json;

use crate::support::{config, reply, start, start_with, upstream};

const DEPLOYMENT: &str = r#"{
  "service": "echo",
  "image": "ghcr.io/openfaas/alpine:latest",
  "namespace": "openfaas-fn",
  "envProcess": "cat",
  "envVars": {"write_timeout": "10s"},
  "constraints": ["node.platform.os == linux"],
  "secrets": [],
  "labels": {"com.openfaas.scale.min": "1", "com.openfaas.scale.max": "5"},
  "annotations": {"topic": "cron-function"},
  "limits": {"memory": "128Mi", "cpu": "500m"},
  "requests": {"memory": "64Mi"},
  "readOnlyRootFilesystem": true,
  "someFutureField": 1
}"#;

fn expected_status(invocations: u64) -> serde_json::Value {
    json!({
        "name": "echo",
        "image": "ghcr.io/openfaas/alpine:latest",
        "namespace": "openfaas-fn",
        "envProcess": "cat",
        "envVars": {"write_timeout": "10s"},
        "constraints": ["node.platform.os == linux"],
        "labels": {"com.openfaas.scale.min": "1", "com.openfaas.scale.max": "5"},
        "annotations": {"topic": "cron-function"},
        "limits": {"memory": "128Mi", "cpu": "500m"},
        "requests": {"memory": "64Mi"},
        "readOnlyRootFilesystem": true,
        "invocationCount": invocations,
        "replicas": 1,
        "availableReplicas": 0,
    })
}

/// The status without `createdAt`, after checking it is an RFC 3339 time.
fn without_created_at(mut v: serde_json::Value) -> serde_json::Value {
    let created = v["createdAt"]
        .as_str()
        .expect("createdAt present")
        .to_owned();
    created
        .parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("createdAt {created:?}: {e}"));
    v.as_object_mut().unwrap().remove("createdAt");
    v
}

#[tokio::test]
async fn update_of_unknown_is_404_then_deploy_list_status_delete() {
    let gw = start().await;
    let a = gw.admin(Method::PUT, "/system/functions", DEPLOYMENT).await;
    assert_eq!(
        a.status, 404,
        "faas-cli deploys only after a 404: {}",
        a.body
    );
    assert!(a.body.ends_with('\n') && a.body.lines().count() == 1);

    let a = gw
        .admin(Method::POST, "/system/functions", DEPLOYMENT)
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (202, ""));
    let a = gw
        .admin(Method::POST, "/system/functions", DEPLOYMENT)
        .await;
    assert_eq!(a.status, 409);
    assert_eq!(a.header("x-openfaas-internal"), "gateway");
    let a = gw.admin(Method::PUT, "/system/functions", DEPLOYMENT).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (202, ""));

    let a = gw.admin(Method::GET, "/system/functions", "").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), "application/json");
    let list = a.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(without_created_at(list[0].clone()), expected_status(0));

    let a = gw
        .admin(
            Method::GET,
            "/system/function/echo?namespace=openfaas-fn&usage=1",
            "",
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(without_created_at(a.json()), expected_status(0));

    let a = gw.admin(Method::GET, "/system/function/nope", "").await;
    assert_eq!(a.status, 404);
    assert!(!a.body.trim().is_empty());

    let a = gw
        .admin(
            Method::DELETE,
            "/system/functions",
            r#"{"functionName":"echo","namespace":"openfaas-fn"}"#,
        )
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (202, ""));
    let a = gw
        .admin(
            Method::DELETE,
            "/system/functions",
            r#"{"functionName":"echo"}"#,
        )
        .await;
    assert_eq!(a.status, 404);
    let a = gw.admin(Method::GET, "/system/functions", "").await;
    assert_eq!(a.body, "[]");
}

#[tokio::test]
async fn bad_deployments_are_400() {
    let gw = start().await;
    for body in [
        "{",
        "",
        r#"{"service":"my.fn","image":"x"}"#,
        r#"{"service":"echo","image":""}"#,
        r#"{"service":"echo","image":"x","limits":{"memory":"lots"}}"#,
    ] {
        let a = gw.admin(Method::POST, "/system/functions", body).await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        assert_eq!(a.header("content-type"), "text/plain; charset=utf-8");
        assert!(a.body.ends_with('\n') && a.body.len() > 1);
    }
    let a = gw
        .admin(
            Method::DELETE,
            "/system/functions",
            r#"{"functionName":""}"#,
        )
        .await;
    assert_eq!(a.status, 400);
    let a = gw.admin(Method::DELETE, "/system/functions", "nope").await;
    assert_eq!(a.status, 400);
    let a = gw
        .admin(Method::GET, "/system/functions?namespace=nope", "")
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
}

#[tokio::test]
async fn delete_reads_the_namespace_from_the_query_too() {
    let gw = start().await;
    let a = gw
        .admin(Method::POST, "/system/namespace/", r#"{"name":"dev"}"#)
        .await;
    assert_eq!(a.status, 201);
    let d = r#"{"service":"echo","image":"x","namespace":"dev"}"#;
    assert_eq!(
        gw.admin(Method::POST, "/system/functions", d).await.status,
        202
    );
    let a = gw
        .admin(
            Method::DELETE,
            "/system/functions?namespace=dev",
            r#"{"functionName":"echo"}"#,
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
}

#[tokio::test]
async fn scale_honours_the_path_zero_and_the_maximum() {
    let gw = start_with(faas_gateway::GatewayConfig {
        max_replicas: 7,
        ..config()
    })
    .await;
    gw.deploy("echo", &[], &[]).await;
    let scale = |body: &'static str| gw.admin(Method::POST, "/system/scale-function/echo", body);

    let a = scale(r#"{"serviceName":"echo","replicas":0}"#).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (202, ""));
    let a = scale(r#"{"replicas":6,"namespace":"openfaas-fn"}"#).await;
    assert_eq!(a.status, 202);
    let a = scale(r#"{"replicas":6}"#).await; // idempotent
    assert_eq!(a.status, 202);
    let a = gw.admin(Method::GET, "/system/function/echo", "").await;
    assert_eq!(a.json()["replicas"], 6);

    let a = scale(r#"{"serviceName":"other","replicas":1}"#).await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("other"), "{}", a.body);
    let a = scale(r#"{"replicas":8}"#).await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("at most 7"), "{}", a.body);
    let a = scale(r#"{"replicas":-1}"#).await;
    assert_eq!(a.status, 400);
    let a = scale("not json").await;
    assert_eq!(a.status, 400);
    let a = gw
        .admin(
            Method::POST,
            "/system/scale-function/nope",
            r#"{"replicas":1}"#,
        )
        .await;
    assert_eq!(a.status, 404);
    let a = gw
        .admin(Method::GET, "/system/scale-function/echo", "")
        .await;
    assert_eq!(a.status, 405);
}

#[tokio::test]
async fn invocation_count_and_service_count_come_from_the_gateway() {
    let gw = start().await;
    let addr = upstream(|_| async { reply(200, "hi") }).await;
    gw.deploy_at("echo", addr).await;
    for _ in 0..3 {
        let a = gw
            .send(
                Method::GET,
                "/function/echo.openfaas-fn",
                &[],
                crate::support::no_body(),
            )
            .await;
        assert_eq!(a.status, 200);
    }
    let a = gw.admin(Method::GET, "/system/functions", "").await;
    assert_eq!(a.json()[0]["invocationCount"], 3);
    let a = gw.admin(Method::GET, "/system/function/echo", "").await;
    assert_eq!(a.json()["invocationCount"], 3);
    let metrics = gw
        .send(Method::GET, "/metrics", &[], crate::support::no_body())
        .await;
    assert!(
        metrics
            .body
            .contains("gateway_service_count{function_name=\"echo.openfaas-fn\"} 1\n"),
        "{}",
        metrics.body
    );
}

#[tokio::test]
async fn a_configured_default_namespace_applies_where_the_client_names_none() {
    use faas_core::{FunctionRef, NamespaceRequest, Provider as _};

    let gw = start_with(faas_gateway::GatewayConfig {
        default_namespace: "team".to_owned(),
        ..config()
    })
    .await;
    gw.provider
        .create_namespace(NamespaceRequest {
            name: "team".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    let a = gw
        .admin(
            Method::POST,
            "/system/functions",
            &json!({"service": "echo", "image": "i:1", "labels": {}, "annotations": {}})
                .to_string(),
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    let addr = upstream(|_| async { reply(200, "hi") }).await;
    gw.provider
        .set_backend(&FunctionRef::new("echo", Some("team")), vec![addr]);

    let a = gw.admin(Method::GET, "/system/functions", "").await;
    assert_eq!(a.json()[0]["namespace"], "team");
    let a = gw.admin(Method::GET, "/system/function/echo", "").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = gw
        .send(
            Method::POST,
            "/function/echo",
            &[],
            crate::support::no_body(),
        )
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, "hi"));
    // Naming another namespace still works: openfaas-fn has no echo.
    let a = gw
        .send(
            Method::POST,
            "/function/echo.openfaas-fn",
            &[],
            crate::support::no_body(),
        )
        .await;
    assert_eq!(a.status, 404);
    let a = gw
        .admin(
            Method::DELETE,
            "/system/functions",
            r#"{"functionName":"echo"}"#,
        )
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
}

#[tokio::test]
async fn provider_warnings_reach_the_client_as_warning_headers() {
    let gw = start().await;
    let a = gw
        .admin(Method::POST, "/system/functions", DEPLOYMENT)
        .await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert!(a.headers.get("warning").is_none());
    gw.provider.set_deploy_warnings(vec![
        "registry \"r\" unreachable; using the local image".into()
    ]);
    for method in [Method::POST, Method::PUT] {
        let body = DEPLOYMENT.replace("\"echo\"", "\"echo2\"");
        let a = gw.admin(method.clone(), "/system/functions", &body).await;
        assert_eq!(a.status, 202, "{method}: {}", a.body);
        let warnings: Vec<_> = a.headers.get_all("warning").iter().collect();
        assert_eq!(
            warnings,
            [r#"299 - "registry \"r\" unreachable; using the local image""#],
            "{method}"
        );
    }
}

//! `/system/namespaces` and `/system/namespace/…` (docs/api.md §7).

use http::Method;
use serde_json::json;

use crate::support::{full, start, BASIC};

#[tokio::test]
async fn create_without_content_type_get_update_delete() {
    let gw = start().await;
    let a = gw.admin(Method::GET, "/system/namespaces", "").await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (200, r#"["openfaas-fn"]"#)
    );
    assert_eq!(a.header("content-type"), "application/json");

    // faas-cli: trailing slash, no Content-Type, its own marker in the body.
    let body = r#"{"name":"staging","labels":{"openfaas":"1","team":"a"},"annotations":{"openfaas":"1","x":"y"}}"#;
    let a = gw
        .send(
            Method::POST,
            "/system/namespace/",
            &[
                ("authorization", BASIC),
                ("user-agent", "Go-http-client/1.1"),
            ],
            full(body),
        )
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (201, ""));
    let a = gw.admin(Method::POST, "/system/namespace/", body).await;
    assert_eq!(a.status, 409);

    let a = gw.admin(Method::GET, "/system/namespace/staging", "").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, body);

    let a = gw
        .admin(
            Method::PUT,
            "/system/namespace/staging",
            r#"{"name":"other"}"#,
        )
        .await;
    assert_eq!(a.status, 400);
    let a = gw
        .admin(
            Method::PUT,
            "/system/namespace/staging",
            r#"{"name":"staging","labels":{"team":"b"}}"#,
        )
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (202, ""));
    let a = gw.admin(Method::GET, "/system/namespace/staging", "").await;
    assert_eq!(a.json()["labels"], json!({"openfaas": "1", "team": "b"}));

    let a = gw.admin(Method::GET, "/system/namespaces", "").await;
    assert_eq!(a.json(), json!(["openfaas-fn", "staging"]));

    let a = gw
        .admin(
            Method::DELETE,
            "/system/namespace/staging",
            r#"{"name":"staging","labels":{"openfaas":"1"}}"#,
        )
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (202, ""));
    let a = gw.admin(Method::GET, "/system/namespace/staging", "").await;
    assert_eq!(
        (a.status.as_u16(), a.body.as_str()),
        (404, "namespace staging not found\n")
    );
    let a = gw
        .admin(Method::DELETE, "/system/namespace/staging", "")
        .await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn invalid_names_and_busy_namespaces() {
    let gw = start().await;
    for body in [r#"{"name":"Bad_Name"}"#, r#"{"name":""}"#, "{"] {
        let a = gw.admin(Method::POST, "/system/namespace/", body).await;
        assert_eq!(a.status, 400, "{body}");
    }
    gw.admin(Method::POST, "/system/namespace/", r#"{"name":"dev"}"#)
        .await;
    let d = r#"{"service":"echo","image":"x","namespace":"dev"}"#;
    assert_eq!(
        gw.admin(Method::POST, "/system/functions", d).await.status,
        202
    );
    let a = gw.admin(Method::DELETE, "/system/namespace/dev", "").await;
    assert_eq!(a.status, 409, "{}", a.body);
    let a = gw.admin(Method::POST, "/system/namespace/dev", "").await;
    assert_eq!(a.status, 405);
    let a = gw.admin(Method::PUT, "/system/namespaces", "").await;
    assert_eq!(a.status, 405);
}

//! `/system/secrets` (docs/api.md §6).

use http::Method;

use crate::support::start;

#[tokio::test]
async fn create_list_update_delete() {
    let gw = start().await;
    let p = "/system/secrets";
    let a = gw
        .admin(
            Method::POST,
            p,
            r#"{"name":"api-key","namespace":"openfaas-fn","value":"s3cr3t"}"#,
        )
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (201, ""));
    let a = gw
        .admin(Method::POST, p, r#"{"name":"api-key","value":"again"}"#)
        .await;
    assert_eq!(a.status, 409);
    assert_eq!(a.body, "secret with the name \"api-key\" already exists\n");

    let a = gw.admin(Method::GET, p, "").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), "application/json");
    assert_eq!(a.body, r#"[{"name":"api-key","namespace":"openfaas-fn"}]"#);

    let a = gw
        .admin(
            Method::PUT,
            p,
            r#"{"name":"api-key","value":"x","rawValue":"ICBmaWxlc2VjcmV0ICA="}"#,
        )
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, ""));
    assert_eq!(
        gw.provider.secret_value("openfaas-fn", "api-key").unwrap(),
        b"  filesecret  "
    );
    let a = gw
        .admin(Method::PUT, p, r#"{"name":"absent","value":"x"}"#)
        .await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body, "unable to find secret: absent\n");

    let a = gw.admin(Method::DELETE, p, r#"{"name":"api-key"}"#).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, ""));
    let a = gw.admin(Method::DELETE, p, r#"{"name":"api-key"}"#).await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn delete_takes_body_then_query_then_default_namespace() {
    let gw = start().await;
    assert_eq!(
        gw.admin(Method::POST, "/system/namespace/", r#"{"name":"dev"}"#)
            .await
            .status,
        201
    );
    for ns in ["dev", "dev", "openfaas-fn"] {
        let body = format!(r#"{{"name":"k","namespace":"{ns}","value":"v"}}"#);
        gw.admin(Method::POST, "/system/secrets", &body).await;
    }
    let a = gw
        .admin(
            Method::DELETE,
            "/system/secrets?namespace=openfaas-fn",
            r#"{"name":"k","namespace":"dev"}"#,
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(gw.provider.secret_value("dev", "k").is_none());
    assert!(gw.provider.secret_value("openfaas-fn", "k").is_some());
    gw.admin(
        Method::POST,
        "/system/secrets",
        r#"{"name":"k","namespace":"dev","value":"v"}"#,
    )
    .await;
    let a = gw
        .admin(
            Method::DELETE,
            "/system/secrets?namespace=dev",
            r#"{"name":"k"}"#,
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(gw.provider.secret_value("dev", "k").is_none());
    let a = gw
        .admin(Method::DELETE, "/system/secrets", r#"{"name":"k"}"#)
        .await;
    assert_eq!(a.status, 200);
    assert!(gw.provider.secret_value("openfaas-fn", "k").is_none());
}

#[tokio::test]
async fn bad_secrets_are_400() {
    let gw = start().await;
    for body in [
        "{",
        r#"{"name":""}"#,
        r#"{"name":"../etc","value":"x"}"#,
        r#"{"name":"a/b","value":"x"}"#,
        r#"{"name":"k","rawValue":"***"}"#,
    ] {
        let a = gw.admin(Method::POST, "/system/secrets", body).await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
    }
    let a = gw
        .admin(Method::DELETE, "/system/secrets", r#"{"name":""}"#)
        .await;
    assert_eq!(a.status, 400);
    let a = gw
        .admin(Method::GET, "/system/secrets?namespace=nope", "")
        .await;
    assert_eq!(a.status, 400);
    let a = gw.admin(Method::PATCH, "/system/secrets", "").await;
    assert_eq!(a.status, 405);
}

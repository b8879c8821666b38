//! Basic auth on every `/system/*` route, never on the open ones (docs/api.md §4).

use http::Method;

use crate::support::{full, no_body, start};

const SYSTEM_ROUTES: &[(Method, &str)] = &[
    (Method::GET, "/system/functions"),
    (Method::POST, "/system/functions"),
    (Method::PUT, "/system/functions"),
    (Method::DELETE, "/system/functions"),
    (Method::GET, "/system/function/echo"),
    (Method::POST, "/system/scale-function/echo"),
    (Method::GET, "/system/secrets"),
    (Method::POST, "/system/secrets"),
    (Method::PUT, "/system/secrets"),
    (Method::DELETE, "/system/secrets"),
    (Method::GET, "/system/namespaces"),
    (Method::POST, "/system/namespace/"),
    (Method::GET, "/system/namespace/openfaas-fn"),
    (Method::PUT, "/system/namespace/openfaas-fn"),
    (Method::DELETE, "/system/namespace/openfaas-fn"),
    (Method::GET, "/system/info"),
    (Method::GET, "/system/logs?name=echo"),
    (Method::GET, "/system/unknown"),
];

#[tokio::test]
async fn every_system_route_refuses_missing_empty_bearer_and_wrong_credentials() {
    let gw = start().await;
    let refusals: [&[(&str, &str)]; 4] = [
        &[],
        &[("authorization", "Bearer")],
        &[("authorization", "Bearer ")],
        // admin:wrong
        &[("authorization", "Basic YWRtaW46d3Jvbmc=")],
    ];
    for (method, path) in SYSTEM_ROUTES {
        for headers in refusals {
            let a = gw.send(method.clone(), path, headers, full("{}")).await;
            assert_eq!(a.status, 401, "{method} {path} {headers:?}");
            assert_eq!(a.body, "invalid credentials\n");
            assert_eq!(a.header("www-authenticate"), "Basic realm=\"Restricted\"");
            assert_eq!(a.header("content-type"), "text/plain; charset=utf-8");
            assert_eq!(a.header("content-length"), "20");
        }
    }
}

#[tokio::test]
async fn open_routes_need_no_credentials() {
    let gw = start().await;
    for path in ["/healthz", "/metrics"] {
        let a = gw.send(Method::GET, path, &[], no_body()).await;
        assert_eq!(a.status, 200, "{path}");
    }
    // Not 401: the function simply does not exist.
    let a = gw.send(Method::GET, "/function/nope", &[], no_body()).await;
    assert_eq!(a.status, 404);
    let a = gw
        .send(Method::POST, "/async-function/nope", &[], no_body())
        .await;
    assert_eq!(a.status, 404);
}

#[tokio::test]
async fn right_credentials_pass() {
    let gw = start().await;
    let a = gw.admin(Method::GET, "/system/functions", "").await;
    assert_eq!(a.status, 200);
}

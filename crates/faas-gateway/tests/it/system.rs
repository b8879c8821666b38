//! `/system/info`, `/healthz`, `/metrics`, unknown paths and wrong methods (docs/api.md §2, §8, §12).

use http::Method;
use serde_json::json;

use crate::support::{config, no_body, start, start_with};

#[tokio::test]
async fn info_is_always_complete() {
    let gw = start_with(faas_gateway::GatewayConfig {
        version: faas_core::VersionInfo {
            commit_message: Some("See GitHub for latest changes".into()),
            sha: "4679f278".into(),
            release: "0.27.5".into(),
        },
        arch: "x86_64".into(),
        ..config()
    })
    .await;
    gw.provider.set_healthy(false);
    let a = gw.admin(Method::GET, "/system/info", "").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), "application/json");
    assert_eq!(
        a.json(),
        json!({
            "provider": {"provider": "fake", "orchestration": "memory",
                         "version": {"sha": "0000000", "release": "0.0.0"}},
            "version": {"commit_message": "See GitHub for latest changes", "sha": "4679f278", "release": "0.27.5"},
            "arch": "x86_64"
        })
    );
    let a = gw.admin(Method::POST, "/system/info", "").await;
    assert_eq!(a.status, 405);
}

#[tokio::test]
async fn healthz_follows_the_provider() {
    let gw = start().await;
    let a = gw.send(Method::GET, "/healthz", &[], no_body()).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, "OK"));
    gw.provider.set_healthy(false);
    let a = gw.send(Method::GET, "/healthz", &[], no_body()).await;
    assert_eq!(a.status, 503);
    assert_eq!(
        a.body,
        "provider is not healthy: fake backend marked unhealthy\n"
    );
    let a = gw.send(Method::POST, "/healthz", &[], no_body()).await;
    assert_eq!(a.status, 405);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let gw = start().await;
    // `/` and `/ui/` are the web UI (tests/it/ui.rs).
    for path in [
        "/nope",
        "/function/",
        "/function/a%20b",
        "/ui/nope",
        "/system/functions/",
    ] {
        let a = gw.admin(Method::GET, path, "").await;
        assert_eq!(
            (a.status.as_u16(), a.body.as_str()),
            (404, "404 page not found\n"),
            "{path}"
        );
        assert_eq!(a.header("content-type"), "text/plain; charset=utf-8");
    }
    let a = gw.admin(Method::PATCH, "/system/functions", "").await;
    assert_eq!(a.status, 405);
    assert_eq!(a.body, "method not allowed\n");
    let a = gw.send(Method::DELETE, "/metrics", &[], no_body()).await;
    assert_eq!(a.status, 405);
}

#[tokio::test]
async fn separate_metrics_listener() {
    let gateway = faas_gateway::router(
        std::sync::Arc::new(faas_core::fake::FakeProvider::new()),
        config(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(faas_gateway::serve_metrics(
        listener,
        gateway.metrics(),
        async {
            let _ = stopped.await;
        },
    ));
    let client = crate::support::client();
    let response = client
        .get(format!("http://{addr}/metrics").parse().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let response = client
        .get(format!("http://{addr}/other").parse().unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    drop(client);
    stop.send(()).unwrap();
    served.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutdown_stops_accepting_and_finishes_in_flight_calls() {
    let mut gw = start().await;
    let addr = crate::support::upstream(|_| async {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        crate::support::reply(200, "finished")
    })
    .await;
    gw.deploy_at("slow", addr).await;
    let client = crate::support::client();
    let in_flight = tokio::spawn(
        client.request(
            http::Request::get(gw.url("/function/slow"))
                .body(no_body())
                .unwrap(),
        ),
    );
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    gw.begin_shutdown();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!gw.stopped(), "serve returned with a call in flight");
    assert!(
        tokio::net::TcpStream::connect(gw.addr).await.is_err(),
        "still accepting after shutdown"
    );
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let body = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(body, "finished");
    drop(client);
    for _ in 0..100 {
        if gw.stopped() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("serve did not return after its last call finished");
}

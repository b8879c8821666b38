//! Scale from zero (docs/api.md §10.6): one scale-up for concurrent callers, a readiness wait bounded
//! by the deadline, then 503.

use std::time::Duration;

use faas_core::{FunctionRef, Provider as _};
use http::Method;

use crate::support::{config, no_body, reply, start, start_with, upstream, TestGateway};

fn scale_ups(gw: &TestGateway) -> usize {
    gw.provider
        .calls()
        .iter()
        .filter(|c| *c == "scale echo.openfaas-fn 1")
        .count()
}

#[tokio::test]
async fn first_call_scales_up_and_succeeds() {
    let gw = start().await;
    let addr = upstream(|_| async { reply(200, "awake") }).await;
    gw.deploy_at("echo", addr).await;
    let f = FunctionRef::new("echo", None);
    gw.provider.scale(f, 0).await.unwrap();
    let a = gw.send(Method::GET, "/function/echo", &[], no_body()).await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, "awake"));
    assert_eq!(scale_ups(&gw), 1);
    let a = gw.send(Method::GET, "/function/echo", &[], no_body()).await;
    assert_eq!(a.status, 200);
    assert_eq!(scale_ups(&gw), 1);
}

#[tokio::test]
async fn concurrent_callers_share_one_scale_up_and_wait_for_readiness() {
    let gw = start().await;
    let addr = upstream(|_| async { reply(200, "awake") }).await;
    gw.deploy("echo", &[("exec_timeout", "2s")], &[]).await;
    let f = FunctionRef::new("echo", None);
    gw.provider.scale(f.clone(), 0).await.unwrap();

    // The replica becomes ready 300 ms after the scale-up.
    let provider = gw.provider.clone();
    let readiness = tokio::spawn(async move {
        while !provider
            .calls()
            .iter()
            .any(|c| c == "scale echo.openfaas-fn 1")
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        provider.set_backend(&f, vec![addr]);
    });
    let started = tokio::time::Instant::now();
    let calls = (0..10).map(|_| gw.send(Method::GET, "/function/echo", &[], no_body()));
    let answers = futures_util::future::join_all(calls).await;
    for a in &answers {
        assert_eq!((a.status.as_u16(), a.body.as_str()), (200, "awake"));
    }
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(scale_ups(&gw), 1, "{:?}", gw.provider.calls());
    readiness.await.unwrap();
}

#[tokio::test]
async fn still_not_ready_after_the_bound_is_503() {
    let gw = start_with(faas_gateway::GatewayConfig {
        scale_from_zero_wait: Some(Duration::from_millis(200)),
        ..config()
    })
    .await;
    gw.deploy("echo", &[("exec_timeout", "1s")], &[]).await;
    gw.provider
        .scale(FunctionRef::new("echo", None), 0)
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let a = gw.send(Method::GET, "/function/echo", &[], no_body()).await;
    assert_eq!(a.status, 503);
    assert!(
        a.body.contains("has no ready replica after waiting"),
        "{}",
        a.body
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(scale_ups(&gw), 1);
}

#[tokio::test]
async fn disabled_scale_from_zero_is_503_at_once() {
    let gw = start_with(faas_gateway::GatewayConfig {
        scale_from_zero: false,
        ..config()
    })
    .await;
    let addr = upstream(|_| async { reply(200, "awake") }).await;
    gw.deploy_at("echo", addr).await;
    gw.provider
        .scale(FunctionRef::new("echo", None), 0)
        .await
        .unwrap();
    let a = gw.send(Method::GET, "/function/echo", &[], no_body()).await;
    assert_eq!(a.status, 503);
    assert_eq!(a.body, "function echo.openfaas-fn has no ready replica\n");
    assert_eq!(scale_ups(&gw), 0);
}

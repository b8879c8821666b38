//! Idle scale to zero: a function labelled `com.openfaas.scale.zero=true` goes to zero once no
//! call reached it for its `com.openfaas.scale.zero-duration`; one still called, or unlabelled,
//! keeps its replica; the next call scales it back up.

use std::time::Duration;

use faas_core::{FunctionRef, Provider as _};
use http::Method;

use crate::support::{config, no_body, reply, start_with, upstream};

const ZERO: (&str, &str) = ("com.openfaas.scale.zero", "true");
const AFTER: (&str, &str) = ("com.openfaas.scale.zero-duration", "400ms");

#[tokio::test]
async fn idle_labelled_functions_go_to_zero_and_come_back() {
    let mut c = config();
    c.idle_check_interval = Some(Duration::from_millis(50));
    let gw = start_with(c).await;
    let addr = upstream(|_| async { reply(200, "awake") }).await;
    for (name, labels) in [
        ("sleepy", vec![ZERO, AFTER]),
        ("busy", vec![ZERO, AFTER]),
        ("plain", vec![]),
    ] {
        gw.deploy(name, &[("exec_timeout", "2s")], &labels).await;
        gw.provider
            .set_backend(&FunctionRef::new(name, None), vec![addr]);
    }
    let replicas = |name: &'static str| {
        let provider = gw.provider.clone();
        async move {
            provider
                .get(FunctionRef::new(name, None), false)
                .await
                .unwrap()
                .replicas
        }
    };

    // `busy` is called every 100 ms for 1.2 s (three times its idle duration).
    let started = tokio::time::Instant::now();
    while started.elapsed() < Duration::from_millis(1200) {
        let a = gw.send(Method::GET, "/function/busy", &[], no_body()).await;
        assert_eq!(a.status, 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(replicas("sleepy").await, 0, "{:?}", gw.provider.calls());
    assert_eq!(replicas("busy").await, 1);
    assert_eq!(replicas("plain").await, 1);
    assert!(gw
        .provider
        .calls()
        .contains(&"scale sleepy.openfaas-fn 0".to_owned()));

    // Its next call scales it back up and is answered.
    let a = gw
        .send(Method::GET, "/function/sleepy", &[], no_body())
        .await;
    assert_eq!((a.status.as_u16(), a.body.as_str()), (200, "awake"));
    assert_eq!(replicas("sleepy").await, 1);
}

#[tokio::test]
async fn no_idle_check_interval_means_no_scale_to_zero() {
    let mut c = config();
    c.idle_check_interval = None;
    let gw = start_with(c).await;
    gw.deploy(
        "sleepy",
        &[],
        &[ZERO, ("com.openfaas.scale.zero-duration", "10ms")],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = gw
        .provider
        .get(FunctionRef::new("sleepy", None), false)
        .await
        .unwrap();
    assert_eq!(status.replicas, 1);
}

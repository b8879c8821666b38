//! `http` mode: one upstream process, requests proxied, ready only once the upstream listens.
//!
//! The upstream is another `fwatchdog` (serializing mode, answering through a shell script),
//! started by a script that first sleeps, so the test can watch readiness wait for it.

use std::time::Duration;

use hyper::{Request, StatusCode};
use tokio::time::Instant;

use crate::harness::{empty, free_port, get, post, script, Watchdog, FWATCHDOG};

/// Starts an http-mode watchdog whose upstream listens after `delay`. The upstream answers
/// `/slow` after 5 s, anything else at once; it serves no metrics.
pub(crate) fn http_watchdog(delay: &str) -> Watchdog {
    let dir = tempfile::tempdir().unwrap();
    let upstream_port = free_port();
    let route = script(
        dir.path(),
        "route.sh",
        "if [ \"$Http_Path\" = /slow ]; then sleep 5; fi\n\
         echo \"upstream saw $Http_Method $Http_Path $Http_X_Custom\"\n",
    );
    let start = script(
        dir.path(),
        "start.sh",
        &format!(
            "sleep {delay}\nexec env mode=serializing port={upstream_port} suppress_lock=true \
             metrics_port=0 fprocess=\"{route}\" {FWATCHDOG}\n"
        ),
    );
    let upstream_url = format!("http://127.0.0.1:{upstream_port}");
    Watchdog::spawn(
        dir,
        &[
            ("mode", "http"),
            ("fprocess", &start),
            ("upstream_url", &upstream_url),
        ],
    )
}

#[tokio::test]
async fn proxies_and_is_ready_only_when_the_upstream_listens() {
    let watchdog = http_watchdog("1");
    // The watchdog listens at once but is not ready until the upstream does.
    let started = Instant::now();
    let mut saw_unavailable = false;
    while started.elapsed() < Duration::from_millis(600) {
        if let Ok((status, _, _)) = watchdog.try_request(get("/_/health")).await {
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready before the upstream"
            );
            saw_unavailable = true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(saw_unavailable, "watchdog answered health while waiting");
    assert!(
        !watchdog.path(".lock").exists(),
        "no lock before the upstream listens"
    );
    watchdog.wait_healthy(Duration::from_secs(10)).await;
    assert!(watchdog.path(".lock").exists());
    assert_eq!(watchdog.request(get("/_/ready")).await.0, StatusCode::OK);

    let request = Request::post("/some/path?x=1")
        .header("host", "127.0.0.1")
        .header("x-custom", "abc")
        .body(empty())
        .unwrap();
    let (status, headers, body) = watchdog.request(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "upstream saw POST /some/path abc\n");
    assert!(headers.contains_key("x-duration-seconds"));
}

#[tokio::test]
async fn deadline_is_504_and_x_timeout_shortens_it() {
    let watchdog = http_watchdog("0");
    watchdog.wait_healthy(Duration::from_secs(10)).await;
    let request = Request::get("/slow")
        .header("host", "127.0.0.1")
        .header("x-timeout", "1s")
        .body(empty())
        .unwrap();
    let started = Instant::now();
    let (status, headers, _) = watchdog.request(request).await;
    let elapsed = started.elapsed();
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(headers.contains_key("x-duration-seconds"));
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    let (status, _, _) = watchdog.request(post("/fast", "")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn upstream_exit_ends_the_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    let fprocess = script(dir.path(), "die.sh", "sleep 0.5; exit 7\n");
    let mut watchdog = Watchdog::spawn(
        dir,
        &[
            ("mode", "http"),
            ("fprocess", &fprocess),
            ("upstream_url", "http://127.0.0.1:9"),
        ],
    );
    let exit = watchdog
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("exits");
    assert!(!exit.success(), "non-zero exit after the upstream died");
    assert!(
        watchdog.log().contains("exit status: 7"),
        "{}",
        watchdog.log()
    );
}

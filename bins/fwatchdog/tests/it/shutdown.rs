//! SIGTERM: health drops at once, serving continues for `healthcheck_interval`, then new
//! connections are refused while in-flight requests finish, then the process exits (docs/watchdog.md §7).

use std::time::Duration;

use hyper::StatusCode;
use tokio::time::Instant;

use crate::harness::{get, post, SendError, Watchdog};

#[tokio::test]
async fn sigterm_drains_in_flight_requests() {
    let mut watchdog = Watchdog::start(&[
        ("fprocess", "sleep 3"),
        ("healthcheck_interval", "1s"),
        ("write_timeout", "10s"),
    ])
    .await;
    let port = watchdog.port;
    let slow = tokio::spawn(async move {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        sender
            .send_request(post("/", "slow"))
            .await
            .map(|r| r.status())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let terminated = Instant::now();
    watchdog.terminate();

    // Readiness drops at once, the lock file goes, but the port still serves.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, _, _) = watchdog.request(get("/_/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!watchdog.path(".lock").exists(), "lock file removed");

    // After healthcheck_interval: new connections are refused.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    match watchdog.send(get("/_/health")).await {
        Err(SendError::Connect(e)) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused),
        other => panic!("expected connection refused, got {other:?}"),
    }
    assert!(!slow.is_finished(), "the slow request is still running");

    // The in-flight request completes, then the watchdog exits cleanly.
    let status = slow.await.unwrap().expect("in-flight request answered");
    assert_eq!(status, StatusCode::OK);
    let exit = watchdog
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("watchdog exits after draining");
    assert!(exit.success(), "{exit:?}; log:\n{}", watchdog.log());
    assert!(terminated.elapsed() < Duration::from_secs(6));
}

//! `max_inflight`: the request over the limit gets 429, and `/_/ready` follows (docs/watchdog.md §6).

use std::time::Duration;

use hyper::StatusCode;

use crate::harness::{get, post, Watchdog};

#[tokio::test]
async fn request_over_max_inflight_is_429() {
    let watchdog = Watchdog::start(&[("fprocess", "sleep 2"), ("max_inflight", "1")]).await;
    let (status, _, _) = watchdog.request(get("/_/ready")).await;
    assert_eq!(status, StatusCode::OK);

    let slow = {
        let port = watchdog.port;
        tokio::spawn(async move {
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
                .unwrap()
                .status()
        })
    };
    // Wait until the slow request holds the only slot.
    let mut saturated = false;
    for _ in 0..100 {
        if watchdog.request(get("/_/ready")).await.0 == StatusCode::TOO_MANY_REQUESTS {
            saturated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(saturated, "/_/ready reports 429 while the slot is taken");

    let (status, headers, body) = watchdog.request(post("/", "second")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body,
        "Concurrent request limit exceeded. Max concurrent requests: 1\n"
    );
    assert_eq!(headers["x-openfaas-internal"], "faas-middleware");
    assert_eq!(
        watchdog.request(get("/_/health")).await.0,
        StatusCode::OK,
        "health is not limited"
    );

    assert_eq!(slow.await.unwrap(), StatusCode::OK);
    assert_eq!(watchdog.request(get("/_/ready")).await.0, StatusCode::OK);
    assert_eq!(watchdog.request(post("/", "third")).await.0, StatusCode::OK);
}

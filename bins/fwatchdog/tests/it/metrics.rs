//! Metrics on `metrics_port` (docs/watchdog.md §9, §10): every function request is counted by code and
//! method in every mode, `/_/health` and `/_/ready` are not, the port is configurable, `0`
//! disables it, a taken port does not stop the function, and the endpoint stops with the drain.

use std::time::Duration;

use hyper::{Request, StatusCode};
use tokio::time::Instant;

use crate::harness::{
    empty, free_port, get, listening_ports, post, request_to, sample, script, send_to, SendError,
    Watchdog,
};
use crate::http_mode::http_watchdog;

/// The buckets of `http_request_duration_seconds`: Prometheus' defaults.
const DEFAULT_BUCKETS: [&str; 12] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
];

/// Waits until `series` has `value` in the watchdog's metrics, then returns the metrics text;
/// panics with the text after 5 s.
async fn wait_for_sample(watchdog: &Watchdog, series: &str, value: f64) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = watchdog.metrics().await;
        if sample(&text, series) == Some(value) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{series} is not {value}; metrics:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The sum of every `http_requests_total` sample.
fn total_requests(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| line.starts_with("http_requests_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn request(method: &str, path: &str) -> Request<crate::harness::RequestBody> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1")
        .body(empty())
        .unwrap()
}

#[tokio::test]
async fn fork_mode_requests_are_counted_by_code_and_method() {
    let dir = tempfile::tempdir().unwrap();
    let fprocess = script(
        dir.path(),
        "fn.sh",
        "read -r line\nif [ \"$line\" = fail ]; then exit 1; fi\necho \"ok $line\"\n",
    );
    let watchdog = Watchdog::start(&[("fprocess", &fprocess)]).await;
    for _ in 0..3 {
        assert_eq!(watchdog.request(post("/", "hi")).await.0, StatusCode::OK);
    }
    assert_eq!(watchdog.request(get("/any/path")).await.0, StatusCode::OK);
    let failed = watchdog.request(post("/", "fail")).await.0;
    assert_eq!(failed, StatusCode::INTERNAL_SERVER_ERROR);
    let refused = watchdog.request(request("OPTIONS", "/")).await.0;
    assert_eq!(refused, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(watchdog.request(get("/_/health")).await.0, StatusCode::OK);
    assert_eq!(watchdog.request(get("/_/ready")).await.0, StatusCode::OK);

    let text = wait_for_sample(
        &watchdog,
        r#"http_requests_total{code="405",method="options"}"#,
        1.0,
    )
    .await;
    for (series, value) in [
        (r#"http_requests_total{code="200",method="post"}"#, 3.0),
        (r#"http_requests_total{code="200",method="get"}"#, 1.0),
        (r#"http_requests_total{code="500",method="post"}"#, 1.0),
        (
            r#"http_request_duration_seconds_count{code="200",method="post"}"#,
            3.0,
        ),
        (
            r#"http_request_duration_seconds_count{code="500",method="post"}"#,
            1.0,
        ),
        ("http_requests_in_flight", 0.0),
    ] {
        assert_eq!(sample(&text, series), Some(value), "{series} in\n{text}");
    }
    assert_eq!(
        total_requests(&text),
        6.0,
        "only function requests:\n{text}"
    );
    for bucket in DEFAULT_BUCKETS {
        let series = format!(
            r#"http_request_duration_seconds_bucket{{code="200",method="post",le="{bucket}"}}"#
        );
        assert!(sample(&text, &series).is_some(), "{series} in\n{text}");
    }
    for line in [
        "# TYPE http_requests_total counter",
        "# TYPE http_request_duration_seconds histogram",
        "# TYPE http_requests_in_flight gauge",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
    }
    let (_, headers, _) = watchdog.try_metrics().await.unwrap();
    let content_type = headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
}

#[tokio::test]
async fn request_closed_without_a_response_is_code_0() {
    let vars = [("fprocess", "sleep 3"), ("write_timeout", "1s")];
    let watchdog = Watchdog::start(&vars).await;
    let result = watchdog.try_request(post("/", "x")).await;
    assert!(
        result.is_err(),
        "write_timeout closes the connection: {result:?}"
    );
    let series = r#"http_requests_total{code="0",method="post"}"#;
    let text = wait_for_sample(&watchdog, series, 1.0).await;
    assert_eq!(total_requests(&text), 1.0, "{text}");
    assert_eq!(
        sample(&text, "http_requests_in_flight"),
        Some(0.0),
        "{text}"
    );
}

#[tokio::test]
async fn health_and_ready_are_not_counted() {
    let watchdog = Watchdog::start(&[("fprocess", "cat")]).await;
    for _ in 0..5 {
        assert_eq!(watchdog.request(get("/_/health")).await.0, StatusCode::OK);
        assert_eq!(watchdog.request(get("/_/ready")).await.0, StatusCode::OK);
    }
    let refused = watchdog.request(request("POST", "/_/health")).await.0;
    assert_eq!(refused, StatusCode::METHOD_NOT_ALLOWED);
    let text = watchdog.metrics().await;
    assert_eq!(total_requests(&text), 0.0, "{text}");
    assert_eq!(sample(&text, "http_requests_in_flight"), Some(0.0));

    assert_eq!(watchdog.request(post("/", "x")).await.0, StatusCode::OK);
    let series = r#"http_requests_total{code="200",method="post"}"#;
    let text = wait_for_sample(&watchdog, series, 1.0).await;
    assert_eq!(total_requests(&text), 1.0, "{text}");
}

#[tokio::test]
async fn requests_over_max_inflight_are_counted_and_in_flight_is_a_gauge() {
    let watchdog = Watchdog::start(&[("fprocess", "sleep 2"), ("max_inflight", "1")]).await;
    let port = watchdog.port;
    let slow = tokio::spawn(async move { request_to(port, post("/", "slow")).await });
    wait_for_sample(&watchdog, "http_requests_in_flight", 1.0).await;

    let (status, _, _) = watchdog.request(post("/", "second")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let text = wait_for_sample(
        &watchdog,
        r#"http_requests_total{code="429",method="post"}"#,
        1.0,
    )
    .await;
    assert_eq!(
        sample(&text, "http_requests_in_flight"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        total_requests(&text),
        1.0,
        "the slow request is not done:\n{text}"
    );

    let (status, _, _) = slow.await.unwrap().expect("slow request answered");
    assert_eq!(status, StatusCode::OK);
    let series = r#"http_requests_total{code="200",method="post"}"#;
    let text = wait_for_sample(&watchdog, series, 1.0).await;
    assert_eq!(
        sample(&text, "http_requests_in_flight"),
        Some(0.0),
        "{text}"
    );
    let slow_seconds = r#"http_request_duration_seconds_sum{code="200",method="post"}"#;
    let seconds = sample(&text, slow_seconds).unwrap();
    assert!((1.9..5.0).contains(&seconds), "{seconds} in\n{text}");
}

#[tokio::test]
async fn http_mode_requests_and_deadlines_are_counted() {
    let watchdog = http_watchdog("0");
    watchdog.wait_healthy(Duration::from_secs(10)).await;
    for _ in 0..2 {
        assert_eq!(watchdog.request(post("/fast", "")).await.0, StatusCode::OK);
    }
    let slow = Request::get("/slow")
        .header("host", "127.0.0.1")
        .header("x-timeout", "1s")
        .body(empty())
        .unwrap();
    assert_eq!(watchdog.request(slow).await.0, StatusCode::GATEWAY_TIMEOUT);

    let timed_out = r#"http_requests_total{code="504",method="get"}"#;
    let text = wait_for_sample(&watchdog, timed_out, 1.0).await;
    let ok = r#"http_requests_total{code="200",method="post"}"#;
    assert_eq!(sample(&text, ok), Some(2.0), "{text}");
    assert_eq!(total_requests(&text), 3.0, "{text}");
    let seconds = r#"http_request_duration_seconds_sum{code="504",method="get"}"#;
    let seconds = sample(&text, seconds).unwrap();
    assert!((0.9..3.0).contains(&seconds), "{seconds} in\n{text}");
    assert_eq!(
        sample(&text, "http_requests_in_flight"),
        Some(0.0),
        "{text}"
    );
}

#[tokio::test]
async fn streamed_responses_are_measured_to_their_end() {
    let dir = tempfile::tempdir().unwrap();
    let fprocess = script(dir.path(), "fn.sh", "echo first\nsleep 1\necho second\n");
    let watchdog = Watchdog::start(&[("mode", "streaming"), ("fprocess", &fprocess)]).await;
    let (status, _, body) = watchdog.request(post("/", "")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "first\nsecond\n");

    let count = r#"http_request_duration_seconds_count{code="200",method="post"}"#;
    let text = wait_for_sample(&watchdog, count, 1.0).await;
    let fast = r#"http_request_duration_seconds_bucket{code="200",method="post",le="0.5"}"#;
    assert_eq!(
        sample(&text, fast),
        Some(0.0),
        "not at the first chunk:\n{text}"
    );
    let slow = r#"http_request_duration_seconds_bucket{code="200",method="post",le="2.5"}"#;
    assert_eq!(sample(&text, slow), Some(1.0), "{text}");
}

#[tokio::test]
async fn static_mode_requests_are_counted() {
    let public = tempfile::tempdir().unwrap();
    std::fs::write(public.path().join("index.html"), "<h1>hi</h1>").unwrap();
    let root = public.path().display().to_string();
    let watchdog = Watchdog::start(&[("mode", "static"), ("static_path", &root)]).await;
    assert_eq!(watchdog.request(get("/")).await.0, StatusCode::OK);
    assert_eq!(
        watchdog.request(request("HEAD", "/")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        watchdog.request(get("/missing")).await.0,
        StatusCode::NOT_FOUND
    );

    let missing = r#"http_requests_total{code="404",method="get"}"#;
    let text = wait_for_sample(&watchdog, missing, 1.0).await;
    let found = r#"http_requests_total{code="200",method="get"}"#;
    assert_eq!(sample(&text, found), Some(1.0), "{text}");
    let head = r#"http_requests_total{code="200",method="head"}"#;
    assert_eq!(sample(&text, head), Some(1.0), "{text}");
}

#[tokio::test]
async fn metrics_port_is_configurable() {
    let metrics_port = free_port().to_string();
    let watchdog = Watchdog::start(&[("fprocess", "cat"), ("metrics_port", &metrics_port)]).await;
    assert_eq!(watchdog.metrics_port.to_string(), metrics_port);
    let mut expected = vec![watchdog.port, watchdog.metrics_port];
    expected.sort_unstable();
    assert_eq!(listening_ports(watchdog.pid()), expected);

    assert_eq!(watchdog.request(post("/", "x")).await.0, StatusCode::OK);
    let series = r#"http_requests_total{code="200",method="post"}"#;
    wait_for_sample(&watchdog, series, 1.0).await;
    let port = watchdog.metrics_port;
    let (status, _, _) = request_to(port, get("/other")).await.unwrap();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = request_to(port, post("/metrics", "")).await.unwrap();
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn metrics_port_zero_disables_the_endpoint() {
    let watchdog = Watchdog::start(&[("fprocess", "cat"), ("metrics_port", "0")]).await;
    assert_eq!(watchdog.request(post("/", "x")).await.0, StatusCode::OK);
    assert_eq!(listening_ports(watchdog.pid()), vec![watchdog.port]);
    assert!(
        watchdog.log().contains("no metrics endpoint"),
        "{}",
        watchdog.log()
    );
}

#[tokio::test]
async fn taken_metrics_port_does_not_stop_the_function() {
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    let watchdog = Watchdog::start(&[("fprocess", "cat"), ("metrics_port", &taken_port)]).await;
    let (status, _, body) = watchdog.request(post("/", "still served")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "still served");
    assert_eq!(listening_ports(watchdog.pid()), vec![watchdog.port]);
    let log = watchdog.log();
    assert!(
        log.contains("WARN") && log.contains("metrics port"),
        "{log}"
    );
    drop(taken);
}

#[tokio::test]
async fn metrics_endpoint_stops_with_the_drain() {
    let mut watchdog =
        Watchdog::start(&[("fprocess", "cat"), ("healthcheck_interval", "1s")]).await;
    assert_eq!(watchdog.request(post("/", "x")).await.0, StatusCode::OK);
    // A scraper's keep-alive connection, left open across the shutdown.
    let scraper = send_to(watchdog.metrics_port, get("/metrics"))
        .await
        .expect("metrics answer");
    assert_eq!(scraper.status(), StatusCode::OK);

    let terminated = Instant::now();
    watchdog.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let series = r#"http_requests_total{code="200",method="post"}"#;
    wait_for_sample(&watchdog, series, 1.0).await;

    let exit = watchdog
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("watchdog exits after draining");
    assert!(exit.success(), "{exit:?}; log:\n{}", watchdog.log());
    assert!(
        terminated.elapsed() < Duration::from_millis(2_800),
        "{:?}",
        terminated.elapsed()
    );
    assert!(watchdog.log().contains("metrics endpoint stopped"));
    match watchdog.try_metrics().await {
        Err(SendError::Connect(e)) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused),
        other => panic!("expected connection refused, got {other:?}"),
    }
    drop(scraper);
}

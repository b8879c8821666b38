//! `streaming` mode: stdout streamed as produced, failures before output are 500/504.

use std::time::Duration;

use http_body_util::BodyExt;
use hyper::StatusCode;
use tokio::time::Instant;

use crate::fork::{assert_no_leftovers, env_map, env_request};
use crate::harness::{post, script, Watchdog};

#[tokio::test]
async fn process_sees_of_watchdog_http_variables() {
    let watchdog = Watchdog::start(&[("mode", "streaming"), ("fprocess", "env")]).await;
    let (status, headers, body) = watchdog.request(env_request()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/octet-stream");
    let env = env_map(&body);
    assert_eq!(env["Http_Method"], "POST");
    assert_eq!(env["Http_Path"], "/sub/path");
    assert_eq!(env["Http_Query"], "q=1&r=2");
    assert_eq!(env["Http_X_Custom_Header"], "abc");
    assert_eq!(env["Http_Content_Length"], "2");
    assert!(!env.contains_key("Http_Host"));
}

#[tokio::test]
async fn cat_streams_the_request_back() {
    let watchdog = Watchdog::start(&[("mode", "streaming"), ("fprocess", "cat")]).await;
    let (status, headers, body) = watchdog.request(post("/", "round trip")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "round trip");
    assert_eq!(headers["transfer-encoding"], "chunked");
}

#[tokio::test]
async fn exec_timeout_is_504_and_kills_the_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    let fprocess = script(
        dir.path(),
        "slow.sh",
        "sleep 60 &\necho \"$$ $!\" > \"$PIDFILE\"\nwait\n",
    );
    let pidfile_text = pidfile.display().to_string();
    let watchdog = Watchdog::start(&[
        ("mode", "streaming"),
        ("fprocess", &fprocess),
        ("exec_timeout", "1s"),
        ("PIDFILE", &pidfile_text),
    ])
    .await;
    let started = Instant::now();
    let (status, headers, body) = watchdog.request(post("/", "x")).await;
    let elapsed = started.elapsed();
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(headers["x-openfaas-internal"], "of-watchdog");
    assert!(
        String::from_utf8_lossy(&body).contains("deadline"),
        "{body:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_no_leftovers(&pidfile).await;
}

#[tokio::test]
async fn failure_before_output_is_500_with_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let fprocess = script(dir.path(), "fail.sh", "echo broken >&2; exit 2\n");
    let watchdog = Watchdog::start(&[("mode", "streaming"), ("fprocess", &fprocess)]).await;
    let (status, _, body) = watchdog.request(post("/", "x")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.starts_with("exit status 2\n") && body.contains("broken"),
        "{body:?}"
    );
}

#[tokio::test]
async fn failure_after_output_aborts_the_stream() {
    let dir = tempfile::tempdir().unwrap();
    let fprocess = script(dir.path(), "late.sh", "echo first; sleep 0.2; exit 2\n");
    let watchdog = Watchdog::start(&[("mode", "streaming"), ("fprocess", &fprocess)]).await;
    let response = watchdog.send(post("/", "x")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert_eq!(first, "first\n");
    let mut ended_cleanly = true;
    while let Some(frame) = body.frame().await {
        if frame.is_err() {
            ended_cleanly = false;
            break;
        }
    }
    assert!(!ended_cleanly, "no terminating chunk after a failure");
}

/// The seed's `printr` function: 10 000 lines, one per millisecond or so. Prints its timings.
#[allow(clippy::print_stderr)]
#[tokio::test]
async fn printr_lines_arrive_while_produced() {
    let dir = tempfile::tempdir().unwrap();
    let fprocess = script(
        dir.path(),
        "handler.sh",
        "for i in $(seq 1 10000); do sleep 0.001; echo $i; done\n",
    );
    let watchdog = Watchdog::start(&[
        ("mode", "streaming"),
        ("fprocess", &fprocess),
        ("read_timeout", "1m"),
        ("write_timeout", "1m"),
        ("exec_timeout", "1m"),
    ])
    .await;
    let started = Instant::now();
    let response = watchdog.send(post("/", "")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut text = Vec::new();
    let mut first_line_at = None;
    while let Some(frame) = body.frame().await {
        let data = frame
            .expect("body completes")
            .into_data()
            .unwrap_or_default();
        if first_line_at.is_none() && data.contains(&b'\n') {
            first_line_at = Some(started.elapsed());
        }
        text.extend_from_slice(&data);
    }
    let total = started.elapsed();
    let first = first_line_at.expect("some output");
    let lines: Vec<u32> = String::from_utf8(text)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(lines, (1..=10_000).collect::<Vec<_>>());
    eprintln!("printr: first line after {first:?}, last after {total:?}");
    assert!(
        first < Duration::from_millis(500) && first * 10 < total,
        "first line after {first:?}, whole stream {total:?}"
    );
}

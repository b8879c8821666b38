//! Classic (mode unset) and `serializing`: fork per request, output buffered.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{Request, StatusCode};

use crate::harness::{
    eventually, group_members, is_alive, post, rss_kib, script, GeneratedBody, Watchdog,
};

/// Parses `env` output into a map.
pub(crate) fn env_map(body: &Bytes) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The request of docs/watchdog.md §4's example: `POST /sub/path?q=1&r=2`, body `hi`.
pub(crate) fn env_request() -> Request<crate::harness::RequestBody> {
    Request::post("/sub/path?q=1&r=2")
        .header("host", "127.0.0.1:8000")
        .header("content-type", "text/plain")
        .header("x-custom-header", "abc")
        .body(http_body_util::Full::new(Bytes::from_static(b"hi")).boxed())
        .unwrap()
}

#[tokio::test]
async fn classic_cat_echoes_body_and_content_type() {
    let watchdog = Watchdog::start(&[("fprocess", "cat")]).await;
    let (status, headers, body) = watchdog.request(post("/", "hello")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "hello");
    assert_eq!(headers["content-type"], "text/plain");
    let seconds: f64 = headers["x-duration-seconds"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(seconds > 0.0 && seconds < 5.0);
    assert!(watchdog.path(".lock").exists(), "lock file written");
}

#[tokio::test]
async fn classic_refuses_head() {
    let watchdog = Watchdog::start(&[("fprocess", "cat")]).await;
    let head = Request::head("/").body(crate::harness::empty()).unwrap();
    let (status, _, _) = watchdog.request(head).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn classic_process_sees_http_variables() {
    let watchdog = Watchdog::start(&[("fprocess", "env")]).await;
    let (status, _, body) = watchdog.request(env_request()).await;
    assert_eq!(status, StatusCode::OK);
    let env = env_map(&body);
    assert_eq!(env["Http_Method"], "POST");
    assert_eq!(env["Http_Path"], "/sub/path");
    assert_eq!(env["Http_Query"], "q=1&r=2");
    assert_eq!(env["Http_Content_Type"], "text/plain");
    assert_eq!(env["Http_Content_Length"], "2");
    assert_eq!(env["Http_X_Custom_Header"], "abc");
    assert_eq!(env["Http_ContentLength"], "2");
    assert_eq!(env["Http_Host"], "127.0.0.1:8000");
    assert_eq!(
        env["fprocess"], "env",
        "the watchdog's own environment is inherited"
    );
}

#[tokio::test]
async fn serializing_has_no_classic_only_variables() {
    let watchdog = Watchdog::start(&[("mode", "serializing"), ("fprocess", "env")]).await;
    let (status, headers, body) = watchdog.request(env_request()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/octet-stream");
    let env = env_map(&body);
    assert_eq!(env["Http_Method"], "POST");
    assert_eq!(env["Http_Path"], "/sub/path");
    assert!(!env.contains_key("Http_Host"));
    assert!(!env.contains_key("Http_ContentLength"));
}

#[tokio::test]
async fn nonzero_exit_is_500_with_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let fprocess = script(
        dir.path(),
        "fail.sh",
        "echo partial; echo oops >&2; exit 3\n",
    );
    let watchdog = Watchdog::start(&[("fprocess", &fprocess)]).await;
    let (status, _, body) = watchdog.request(post("/", "x")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let body = String::from_utf8_lossy(&body);
    assert!(body.starts_with("exit status 3\n"), "{body:?}");
    assert!(
        body.contains("oops") && body.contains("partial"),
        "{body:?}"
    );
}

#[tokio::test]
async fn combine_output_false_keeps_stderr_out_of_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let fprocess = script(dir.path(), "both.sh", "echo out; echo secret-err >&2\n");
    let watchdog = Watchdog::start(&[("fprocess", &fprocess), ("combine_output", "false")]).await;
    let (status, _, body) = watchdog.request(post("/", "x")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "out\n");
    assert!(
        eventually(Duration::from_secs(2), || watchdog
            .log()
            .contains("stderr: secret-err"))
        .await,
        "stderr is logged:\n{}",
        watchdog.log()
    );
}

#[tokio::test]
async fn classic_exec_timeout_kills_the_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pids");
    let fprocess = script(
        dir.path(),
        "slow.sh",
        "sleep 60 &\necho \"$$ $!\" > \"$PIDFILE\"\nwait\n",
    );
    let pidfile_text = pidfile.display().to_string();
    let watchdog = Watchdog::start(&[
        ("fprocess", &fprocess),
        ("exec_timeout", "1s"),
        ("PIDFILE", &pidfile_text),
    ])
    .await;
    let started = tokio::time::Instant::now();
    let (status, _, body) = watchdog.request(post("/", "x")).await;
    let elapsed = started.elapsed();
    assert_eq!(
        status,
        StatusCode::REQUEST_TIMEOUT,
        "classic answers 408 (docs/watchdog.md §3.1)"
    );
    assert_eq!(body, "Killed process.\n");
    assert!(
        elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert_no_leftovers(&pidfile).await;
}

/// Reads `leader background` pids from `pidfile` and checks both and their group are gone.
pub(crate) async fn assert_no_leftovers(pidfile: &std::path::Path) {
    let text = std::fs::read_to_string(pidfile).expect("the script wrote its pids");
    let pids: Vec<u32> = text
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let (leader, background) = (pids[0], pids[1]);
    let gone = eventually(Duration::from_secs(2), || {
        !is_alive(leader) && !is_alive(background) && group_members(leader).is_empty()
    })
    .await;
    assert!(
        gone,
        "leftover processes: leader alive={}, background alive={}, group={:?}",
        is_alive(leader),
        is_alive(background),
        group_members(leader)
    );
}

/// Prints the RSS it measured.
#[allow(clippy::print_stderr)]
#[tokio::test]
async fn hundred_megabyte_body_is_streamed_to_stdin() {
    const LEN: u64 = 100 * 1024 * 1024;
    let watchdog = Watchdog::start(&[("fprocess", "wc -c")]).await;
    let pid = watchdog.pid();
    let baseline = rss_kib(pid);
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(rss_kib(pid));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            peak
        })
    };
    let request = Request::post("/")
        .header("host", "127.0.0.1")
        .body(GeneratedBody::new(LEN).boxed())
        .unwrap();
    let (status, _, body) = watchdog.request(request).await;
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8_lossy(&body).trim(), LEN.to_string());
    let growth_mib = (peak.saturating_sub(baseline)) / 1024;
    eprintln!("100 MB upload: watchdog RSS baseline {baseline} KiB, peak {peak} KiB");
    assert!(
        growth_mib < 32,
        "RSS grew by {growth_mib} MiB (baseline {baseline} KiB, peak {peak} KiB)"
    );
}

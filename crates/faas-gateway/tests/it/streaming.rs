//! Bodies stream through the proxy both ways (docs/api.md §10.4): response chunks are forwarded as
//! they arrive, and a 1 GiB upload passes without the gateway's memory growing.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Response};
use http_body::Frame;
use http_body_util::{BodyExt as _, StreamBody};
use tokio::time::Instant;

use crate::support::{full, no_body, start, upstream, ClientBody};

#[tokio::test]
async fn chunks_arrive_as_the_function_writes_them() {
    let gw = start().await;
    let sent_at = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let log = sent_at.clone();
    let addr = upstream(move |_| {
        let log = log.clone();
        async move {
            let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
            tokio::spawn(async move {
                for n in 0..3 {
                    if n > 0 {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                    log.lock().unwrap().push(Instant::now());
                    if tx.send(Bytes::from(format!("chunk {n}\n"))).await.is_err() {
                        return;
                    }
                }
            });
            let frames = futures_util::stream::unfold(rx, |mut rx| async move {
                let chunk = rx.recv().await?;
                Some((
                    Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Frame::data(chunk)),
                    rx,
                ))
            });
            Response::builder()
                .header("content-type", "text/plain")
                .body(ClientBody::new(StreamBody::new(frames)))
                .unwrap()
        }
    })
    .await;
    gw.deploy_at("printer", addr).await;

    let response = gw
        .request(Method::GET, "/function/printer", &[], no_body())
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-length").is_none());
    let mut body = response.into_body();
    let mut arrivals = Vec::new();
    let mut text = String::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            arrivals.push(Instant::now());
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
    assert_eq!(text, "chunk 0\nchunk 1\nchunk 2\n");
    assert_eq!(arrivals.len(), 3, "each chunk arrives on its own");
    for pair in arrivals.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(200),
            "chunks arrived {gap:?} apart"
        );
    }
    let sent = sent_at.lock().unwrap().clone();
    assert!(
        arrivals[0] < sent[1],
        "the first chunk arrived only after the second was sent"
    );
}

/// The example gateway binary, built by `cargo test` with the crate's examples (or built here
/// when only this test target was compiled).
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join("fixed_upstream_gateway");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "-p",
                "faas-gateway",
                "--example",
                "fixed_upstream_gateway",
            ])
            .status()
            .unwrap();
        assert!(status.success(), "building the example gateway");
    }
    path
}

/// A kilobyte figure from `/proc/PID/status`.
fn proc_status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} not in /proc/{pid}/status"))
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_gib_upload_streams_through_in_bounded_memory() {
    const CHUNK: usize = 64 * 1024;
    const TOTAL: u64 = 1 << 30;

    // A replica that counts and discards what it receives.
    let addr = upstream(|r: http::Request<hyper::body::Incoming>| async move {
        let mut body = r.into_body();
        let mut received = 0u64;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame.unwrap().into_data() {
                received += data.len() as u64;
            }
        }
        Response::new(full(received.to_string()))
    })
    .await;

    let mut child = Command::new(example_binary())
        .arg(addr.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let child = KillOnDrop(child);
    let mut port = String::new();
    stdout.read_line(&mut port).unwrap();
    let url = format!("http://127.0.0.1:{}/function/sink", port.trim());

    let client = crate::support::client();
    let send = |body: ClientBody, length: u64| {
        let request = http::Request::post(&url)
            .header("content-length", length)
            .body(body)
            .unwrap();
        client.request(request)
    };
    // Warm up the gateway's pools and buffers first.
    let warm = send(full("warm-up"), 7).await.unwrap();
    assert_eq!(warm.into_body().collect().await.unwrap().to_bytes(), "7");
    let before = proc_status_kib(pid, "VmRSS:");

    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    let frames = futures_util::stream::iter((0..TOTAL / CHUNK as u64).map(move |_| {
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Frame::data(chunk.clone()))
    }));
    let response = send(ClientBody::new(StreamBody::new(frames)), TOTAL)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let received = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(received, TOTAL.to_string());

    let peak = proc_status_kib(pid, "VmHWM:");
    let growth_mib = peak.saturating_sub(before) / 1024;
    assert!(
        growth_mib < 32,
        "gateway RSS grew by {growth_mib} MiB (from {before} kB to a peak of {peak} kB)"
    );
    drop(child);
}

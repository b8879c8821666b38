//! A closed-loop HTTP/1.1 load generator: `connections` keep-alive connections, each sending the
//! next request as soon as the previous answer is read, for a fixed duration. It records every
//! latency, so percentiles are exact, not estimated.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// What to send, where, and for how long.
#[derive(Debug, Clone)]
pub(crate) struct LoadSpec {
    /// The server to connect to.
    pub(crate) addr: SocketAddr,
    /// The request path (and query).
    pub(crate) path: String,
    /// The request method: POST with `body`, or GET (the body is then not sent).
    pub(crate) method: http::Method,
    /// The request body, sent with POST.
    pub(crate) body: Bytes,
    /// Concurrent keep-alive connections.
    pub(crate) connections: usize,
    /// How long to send before measuring (not counted).
    pub(crate) warmup: Duration,
    /// How long to measure.
    pub(crate) duration: Duration,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LoadResult {
    /// Concurrent connections.
    pub(crate) connections: usize,
    /// Requests answered with a 2xx within the measured window.
    pub(crate) requests: u64,
    /// Requests that failed (non-2xx or transport error).
    pub(crate) errors: u64,
    /// Requests per second.
    pub(crate) rps: f64,
    /// Median latency, milliseconds.
    pub(crate) p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub(crate) p99_ms: f64,
}

/// Runs the load and returns the figures of the measured window.
pub(crate) async fn run(spec: &LoadSpec) -> anyhow::Result<LoadResult> {
    let start = Instant::now();
    let measure_from = start + spec.warmup;
    let end = measure_from + spec.duration;
    let mut tasks = Vec::with_capacity(spec.connections);
    for _ in 0..spec.connections {
        let spec = spec.clone();
        tasks.push(tokio::spawn(async move {
            connection_loop(&spec, measure_from, end).await
        }));
    }
    let mut latencies_us: Vec<u32> = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, err) = t.await??;
        latencies_us.extend(lat);
        errors += err;
    }
    latencies_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies_us.is_empty() {
            return f64::NAN;
        }
        let idx = ((latencies_us.len() as f64 - 1.0) * p).round() as usize;
        f64::from(latencies_us[idx]) / 1000.0
    };
    Ok(LoadResult {
        connections: spec.connections,
        requests: latencies_us.len() as u64,
        errors,
        rps: latencies_us.len() as f64 / spec.duration.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    })
}

async fn connection_loop(
    spec: &LoadSpec,
    measure_from: Instant,
    end: Instant,
) -> anyhow::Result<(Vec<u32>, u64)> {
    let stream = TcpStream::connect(spec.addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let host = spec.addr.to_string();
    let mut latencies = Vec::with_capacity(64 * 1024);
    let mut errors = 0;
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let req = if spec.method == http::Method::GET {
            http::Request::get(&spec.path)
                .header(http::header::HOST, &host)
                .body(Full::new(Bytes::new()))?
        } else {
            http::Request::builder()
                .method(spec.method.clone())
                .uri(&spec.path)
                .header(http::header::HOST, &host)
                .header(http::header::CONTENT_TYPE, "text/plain")
                .body(Full::new(spec.body.clone()))?
        };
        sender.ready().await?;
        let ok = match sender.send_request(req).await {
            Ok(resp) => {
                let ok = resp.status().is_success();
                resp.into_body().collect().await?;
                ok
            }
            Err(_) => false,
        };
        let done = Instant::now();
        if sent >= measure_from && done <= end {
            if ok {
                let us = done.duration_since(sent).as_micros();
                latencies.push(u32::try_from(us).unwrap_or(u32::MAX));
            } else {
                errors += 1;
            }
        }
        if !ok && sender.is_closed() {
            anyhow::bail!("connection to {} closed", spec.addr);
        }
    }
    Ok((latencies, errors))
}

//! The gateway scenario: a trivial hyper upstream measured directly and through the gateway, at
//! each connection count, runs interleaved (direct, gateway, direct, gateway …) so both see the
//! same machine load. Figures: requests/s, p50/p99, the gateway's CPU per request and RSS.
//! Targets (issue #2): gateway rps ≥ 0.8 × direct; added p50 at one connection < 0.15 ms.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use faas_core::fake::FakeProvider;
use faas_core::{FunctionDeployment, FunctionRef, Provider};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;

use crate::load::{self, LoadResult, LoadSpec};
use crate::process::Server;

/// Options of `faas-bench gateway`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Seconds measured per run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Warm-up seconds before each run.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Runs per target and connection count (the median is reported).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Connection counts.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 64])]
    connections: Vec<usize>,
}

#[derive(Serialize)]
struct Row {
    connections: usize,
    direct: LoadResult,
    gateway: LoadResult,
    /// gateway rps ÷ direct rps.
    rps_ratio: f64,
    /// gateway p50 − direct p50, milliseconds.
    added_p50_ms: f64,
    /// The gateway process's CPU (user + system) per request, microseconds.
    gateway_cpu_us_per_request: f64,
}

#[derive(Serialize)]
struct Report {
    benchmark: &'static str,
    date: String,
    cores: usize,
    seconds_per_run: u64,
    runs_per_figure: usize,
    rows: Vec<Row>,
    gateway_rss_idle_mib: f64,
    gateway_rss_peak_mib: f64,
    targets: &'static str,
}

const BODY: &str = "hello world";

/// Runs the scenario and writes `bench-results/gateway.json`.
pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let upstream = Server::start(&["upstream".to_owned()])?;
    let gateway = Server::start(&["gateway-server".to_owned(), upstream.addr.to_string()])?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    std::thread::sleep(Duration::from_millis(500));
    let rss_idle = gateway.rss_mib()?;
    let mut rows = Vec::new();
    for &connections in &args.connections {
        let spec = |addr: SocketAddr, path: &str| LoadSpec {
            addr,
            path: path.to_owned(),
            method: http::Method::POST,
            body: Bytes::from_static(BODY.as_bytes()),
            connections,
            warmup: Duration::from_secs(args.warmup),
            duration: Duration::from_secs(args.seconds),
        };
        let direct_spec = spec(upstream.addr, "/");
        let gateway_spec = spec(gateway.addr, "/function/echo");
        let mut direct = Vec::new();
        let mut through = Vec::new();
        let mut cpu_per_req = Vec::new();
        for _ in 0..args.repeat {
            direct.push(rt.block_on(load::run(&direct_spec))?);
            let cpu_before = gateway.cpu_seconds()?;
            let r = rt.block_on(load::run(&gateway_spec))?;
            let cpu = gateway.cpu_seconds()? - cpu_before;
            // The CPU window includes the warm-up; count its requests at the measured rate.
            let total = r.rps * (args.seconds + args.warmup) as f64;
            cpu_per_req.push(cpu / total.max(1.0) * 1e6);
            through.push(r);
        }
        let direct = median_by_rps(direct);
        let through = median_by_rps(through);
        cpu_per_req.sort_by(f64::total_cmp);
        rows.push(Row {
            connections,
            rps_ratio: through.rps / direct.rps,
            added_p50_ms: through.p50_ms - direct.p50_ms,
            gateway_cpu_us_per_request: cpu_per_req[cpu_per_req.len() / 2],
            direct,
            gateway: through,
        });
    }
    let report = Report {
        benchmark: "gateway",
        date: jiff::Timestamp::now().to_string(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        seconds_per_run: args.seconds,
        runs_per_figure: args.repeat,
        gateway_rss_idle_mib: rss_idle,
        gateway_rss_peak_mib: gateway.peak_rss_mib()?,
        rows,
        targets: "rps_ratio >= 0.8; added_p50_ms < 0.15 at 1 connection",
    };
    print_table(&report);
    let dir = crate::results_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("gateway.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("figures written to {}", path.display());
    Ok(())
}

fn median_by_rps(mut runs: Vec<LoadResult>) -> LoadResult {
    runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    runs.swap_remove(runs.len() / 2)
}

fn print_table(r: &Report) {
    println!(
        "gateway benchmark, {} cores, {} s per run, median of {}",
        r.cores, r.seconds_per_run, r.runs_per_figure
    );
    println!("conns | direct rps  p50 ms  p99 ms | gateway rps  p50 ms  p99 ms | ratio  +p50 ms  gw CPU µs/req");
    for row in &r.rows {
        println!(
            "{:>5} | {:>10.0} {:>7.3} {:>7.3} | {:>11.0} {:>7.3} {:>7.3} | {:>5.2} {:>7.3} {:>13.1}",
            row.connections,
            row.direct.rps,
            row.direct.p50_ms,
            row.direct.p99_ms,
            row.gateway.rps,
            row.gateway.p50_ms,
            row.gateway.p99_ms,
            row.rps_ratio,
            row.added_p50_ms,
            row.gateway_cpu_us_per_request
        );
    }
    println!(
        "gateway RSS: {:.1} MiB idle, {:.1} MiB peak",
        r.gateway_rss_idle_mib, r.gateway_rss_peak_mib
    );
}

/// `faas-bench upstream`: an echo server on 127.0.0.1, the "function" of the scenario.
pub(crate) fn serve_upstream() -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on {}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let body = req.into_body().collect().await.map(|b| b.to_bytes());
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(
                        body.unwrap_or_else(|_| Bytes::new()),
                    )))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

/// `faas-bench gateway-server UPSTREAM`: the gateway over an in-memory provider whose one
/// function, `echo`, has its replica at `UPSTREAM`.
pub(crate) fn serve_gateway(upstream: SocketAddr) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let provider = Arc::new(FakeProvider::new());
        provider
            .deploy(FunctionDeployment {
                service: "echo".into(),
                image: "bench/echo:latest".into(),
                ..Default::default()
            })
            .await
            .context("deploying the echo function")?;
        provider.set_backend(&FunctionRef::new("echo", None), vec![upstream]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        println!("listening on {}", listener.local_addr()?);
        let config = faas_gateway::GatewayConfig::default();
        faas_gateway::serve(listener, provider, config, std::future::pending()).await?;
        Ok(())
    })
}

//! The queue scenario: end-to-end queued invocations of a trivial function through JetStream.
//!
//! A private nats-server (`-js`, file store in a temp dir), the faas-queue publisher and worker in
//! this process, and one in-process HTTP server playing both the gateway's `/function/echo` and
//! the callback receiver. Two phases:
//! * **throughput**: `--calls` invocations published with 256 acks in flight; figure = calls ÷
//!   (last callback − first publish), plus publish → callback latency under that saturation;
//! * **paced**: `--rate` calls/s for `--seconds`; figure = publish → callback latency p50/p99 of
//!   a queue that keeps up.
//!
//! The gateway's own hops (`/async-function` in, `/function` proxy) are not in these figures;
//! `faas-bench gateway` measures those. Target (issue #6): ≥ 2 000 calls/s on 2 cores.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use faas_core::{FunctionRef, QueuedInvocation};
use faas_queue::{JetStreamQueue, QueueConfig, QueueMetrics, Worker, WorkerConfig};
use futures_util::StreamExt;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Options of `faas-bench queue`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Invocations in the throughput phase.
    #[arg(long, default_value_t = 20_000)]
    calls: usize,
    /// The worker's concurrency.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Calls per second in the paced latency phase.
    #[arg(long, default_value_t = 500)]
    rate: u32,
    /// Seconds of the paced phase.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
}

#[derive(Serialize)]
struct Phase {
    calls: usize,
    seconds: f64,
    calls_per_second: f64,
    /// Publish start → callback received, milliseconds.
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

#[derive(Serialize)]
struct Report {
    benchmark: &'static str,
    date: String,
    cores: usize,
    nats_server: String,
    worker_concurrency: usize,
    throughput: Phase,
    paced: Phase,
    paced_rate: u32,
    target: &'static str,
}

/// Runs the scenario and writes `bench-results/queue.json`.
pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let nats = NatsServer::start()?;
    let report = rt.block_on(scenario(&args, &nats))?;
    println!(
        "queue benchmark, {} cores, worker concurrency {}",
        report.cores, report.worker_concurrency
    );
    println!("phase      | calls  calls/s | p50 ms  p99 ms  max ms   (publish → callback)");
    for (name, p) in [("throughput", &report.throughput), ("paced", &report.paced)] {
        println!(
            "{name:<10} | {:>5} {:>8.0} | {:>6.2} {:>7.2} {:>7.2}",
            p.calls, p.calls_per_second, p.p50_ms, p.p99_ms, p.max_ms
        );
    }
    let dir = crate::results_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("queue.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("figures written to {}", path.display());
    Ok(())
}

async fn scenario(args: &Args, nats: &NatsServer) -> anyhow::Result<Report> {
    let receiver = Receiver::start().await?;
    let queue_config = QueueConfig {
        stream: "faas-bench-queue".into(),
        subject_prefix: "faas-bench.queue".into(),
        ..QueueConfig::new(nats.url())
    };
    let metrics = QueueMetrics::default();
    let queue = JetStreamQueue::connect(&queue_config, metrics.clone()).await?;
    let worker_config = WorkerConfig {
        concurrency: args.concurrency,
        ..WorkerConfig::new(format!("http://{}", receiver.addr).parse()?)
    };
    let worker = Worker::connect(&queue_config, worker_config, metrics).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));

    // Warm-up: connections, the consumer, the allocator.
    run_phase(&queue, &receiver, "warm", 500, None).await?;
    let throughput = run_phase(&queue, &receiver, "tput", args.calls, None).await?;
    let paced_calls = (u64::from(args.rate) * args.seconds) as usize;
    let paced = run_phase(&queue, &receiver, "paced", paced_calls, Some(args.rate)).await?;

    let _ = stop.send(());
    running.await??;
    Ok(Report {
        benchmark: "queue",
        date: jiff::Timestamp::now().to_string(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        nats_server: nats.version.clone(),
        worker_concurrency: args.concurrency,
        throughput,
        paced,
        paced_rate: args.rate,
        target: "throughput calls_per_second >= 2000",
    })
}

/// Publishes `calls` invocations (all at once with 256 in flight, or at `rate` per second) and
/// waits for every callback.
async fn run_phase(
    queue: &JetStreamQueue,
    receiver: &Receiver,
    tag: &str,
    calls: usize,
    rate: Option<u32>,
) -> anyhow::Result<Phase> {
    receiver.reset(calls);
    let callback = format!("http://{}/callback", receiver.addr);
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; calls]));
    let start = Instant::now();
    let publish = |i: usize| {
        let queue = queue.clone();
        let sent = sent.clone();
        let inv = invocation(&format!("{tag}-{i}"), &callback);
        async move {
            sent.lock().unwrap()[i] = Some(Instant::now());
            queue.publish(&inv).await
        }
    };
    match rate {
        None => {
            let mut publishing = futures_util::stream::iter(0..calls)
                .map(publish)
                .buffer_unordered(256);
            while let Some(r) = publishing.next().await {
                r?;
            }
        }
        Some(rate) => {
            let mut ticker = tokio::time::interval(Duration::from_secs(1) / rate);
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..calls {
                ticker.tick().await;
                tasks.spawn(publish(i));
            }
            while let Some(r) = tasks.join_next().await {
                r??;
            }
        }
    }
    tokio::time::timeout(Duration::from_secs(120), receiver.all_received())
        .await
        .context("not every callback arrived within 120 s")?;
    let elapsed = receiver.last_arrival().duration_since(start).as_secs_f64();

    let sent = sent.lock().unwrap();
    let arrived = receiver.arrivals.lock().unwrap();
    let mut latencies: Vec<f64> = sent
        .iter()
        .zip(arrived.iter())
        .filter_map(|(s, a)| Some(a.as_ref()?.duration_since((*s)?).as_secs_f64() * 1e3))
        .collect();
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    Ok(Phase {
        calls,
        seconds: elapsed,
        calls_per_second: calls as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
    })
}

fn invocation(call_id: &str, callback: &str) -> QueuedInvocation {
    QueuedInvocation {
        function: FunctionRef::new("echo", None),
        segment: "echo".into(),
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("content-type".into(), b"text/plain".to_vec()),
            ("x-callback-url".into(), callback.as_bytes().to_vec()),
        ],
        body: b"hello".to_vec(),
        call_id: call_id.to_owned(),
        start_time_ns: 0,
        callback_url: Some(callback.to_owned()),
    }
}

/// The function (`/function/…` echoes) and the callback receiver (records arrival times by the
/// index at the end of the call id).
struct Receiver {
    addr: SocketAddr,
    arrivals: Arc<Mutex<Vec<Option<Instant>>>>,
    remaining: Arc<Mutex<usize>>,
    done: Arc<Notify>,
}

impl Receiver {
    async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let receiver = Self {
            addr: listener.local_addr()?,
            arrivals: Arc::default(),
            remaining: Arc::default(),
            done: Arc::default(),
        };
        let (arrivals, remaining, done) = (
            receiver.arrivals.clone(),
            receiver.remaining.clone(),
            receiver.done.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (arrivals, remaining, done) =
                    (arrivals.clone(), remaining.clone(), done.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let (arrivals, remaining, done) =
                            (arrivals.clone(), remaining.clone(), done.clone());
                        async move {
                            let is_callback = req.uri().path() == "/callback";
                            let index = req
                                .headers()
                                .get("x-call-id")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|id| id.rsplit('-').next()?.parse::<usize>().ok());
                            let body = req.into_body().collect().await.map(|b| b.to_bytes());
                            if is_callback {
                                let now = Instant::now();
                                let mut arrivals = arrivals.lock().unwrap();
                                if let Some(slot) = index.and_then(|i| arrivals.get_mut(i)) {
                                    if slot.is_none() {
                                        *slot = Some(now);
                                        let mut left = remaining.lock().unwrap();
                                        *left -= 1;
                                        if *left == 0 {
                                            done.notify_one();
                                        }
                                    }
                                }
                                return Ok::<_, Infallible>(hyper::Response::new(Full::new(
                                    Bytes::new(),
                                )));
                            }
                            Ok(hyper::Response::new(Full::new(body.unwrap_or_default())))
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(receiver)
    }

    fn reset(&self, calls: usize) {
        *self.arrivals.lock().unwrap() = vec![None; calls];
        *self.remaining.lock().unwrap() = calls;
    }

    async fn all_received(&self) {
        loop {
            let notified = self.done.notified();
            if *self.remaining.lock().unwrap() == 0 {
                return;
            }
            notified.await;
        }
    }

    fn last_arrival(&self) -> Instant {
        let arrivals = self.arrivals.lock().unwrap();
        arrivals
            .iter()
            .flatten()
            .max()
            .copied()
            .unwrap_or_else(Instant::now)
    }
}

/// A nats-server with JetStream on a free loopback port, its store in a temp dir; killed on drop.
struct NatsServer {
    child: Child,
    port: u16,
    version: String,
    _store: tempfile::TempDir,
}

impl NatsServer {
    fn start() -> anyhow::Result<Self> {
        let binary = [
            "nats-server",
            "/usr/sbin/nats-server",
            "/usr/local/bin/nats-server",
        ]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| Command::new(p).arg("--version").output().is_ok())
        .context("nats-server not found (scripts/install-deps.sh)")?;
        let version = Command::new(&binary).arg("--version").output()?;
        let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let store = tempfile::Builder::new()
            .prefix("faas-bench-nats-")
            .tempdir()?;
        let child = Command::new(&binary)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nats-server")?;
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Self {
                    child,
                    port,
                    version,
                    _store: store,
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        anyhow::bail!("nats-server did not listen on 127.0.0.1:{port}")
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `fwatchdog-bench`: measures the release `fwatchdog` on loopback (not a test).
//!
//! For each scenario it starts a fresh watchdog, waits for `/_/health`, reads its idle RSS,
//! drives it with its own load generator (N keep-alive HTTP/1.1 connections for a fixed time)
//! and reads its peak RSS (`VmHWM`). Figures go to stdout as a table and to
//! `bench-results/watchdog.json`.
//!
//! Scenarios: classic fork with `cat`, streaming fork with `cat`, http mode in front of a trivial
//! echo upstream (this program, started as `fwatchdog-bench --upstream PORT` by the watchdog),
//! and static mode serving a small file. Compare with docs/performance.md §3.
//!
//! Usage: `fwatchdog-bench [--watchdog PATH] [--duration SECS] [--connections 16,64]
//! [--out PATH] [--only SCENARIO-SUBSTRING]`.

mod load;
mod upstream;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::load::{LoadReport, Target};

/// Replaced by a fresh port in each run's environment.
const UPSTREAM_PORT: &str = "{upstream_port}";

/// One benchmark scenario: the watchdog's environment and the request to repeat.
struct Scenario {
    name: &'static str,
    env: Vec<(String, String)>,
    target: Target,
}

/// Settings from the command line.
struct Options {
    watchdog: PathBuf,
    duration: Duration,
    connections: Vec<usize>,
    out: PathBuf,
    only: Option<String>,
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(port) = flag(&args, "--upstream") {
        return upstream::run(port.parse().expect("--upstream PORT"));
    }
    let options = Options {
        watchdog: flag(&args, "--watchdog").map_or_else(default_watchdog, PathBuf::from),
        duration: Duration::from_secs(
            flag(&args, "--duration").map_or(10, |d| d.parse().expect("--duration SECS")),
        ),
        connections: flag(&args, "--connections")
            .unwrap_or("16,64")
            .split(',')
            .map(|n| n.parse().expect("--connections N,M"))
            .collect(),
        out: flag(&args, "--out").map_or_else(
            || PathBuf::from("bench-results/watchdog.json"),
            PathBuf::from,
        ),
        only: flag(&args, "--only").map(str::to_owned),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(options))
}

async fn run(options: Options) -> std::process::ExitCode {
    let scratch = tempfile::tempdir().expect("scratch directory");
    std::fs::write(
        scratch.path().join("index.html"),
        "<h1>hello from static mode</h1>\n",
    )
    .unwrap();
    let me = std::env::current_exe().expect("own path");
    let scenarios = [
        Scenario {
            name: "classic fork (cat)",
            env: vars(&[("fprocess", "cat")]),
            target: Target::post("/", "hello watchdog"),
        },
        Scenario {
            name: "streaming fork (cat)",
            env: vars(&[("mode", "streaming"), ("fprocess", "cat")]),
            target: Target::post("/", "hello watchdog"),
        },
        Scenario {
            name: "http (echo upstream)",
            env: vars(&[
                ("mode", "http"),
                (
                    "fprocess",
                    &format!("{} --upstream {UPSTREAM_PORT}", me.display()),
                ),
                ("upstream_url", &format!("http://127.0.0.1:{UPSTREAM_PORT}")),
            ]),
            target: Target::post("/", "hello watchdog"),
        },
        Scenario {
            name: "static (GET index.html)",
            env: vars(&[
                ("mode", "static"),
                ("static_path", &scratch.path().display().to_string()),
            ]),
            target: Target::get("/"),
        },
    ];

    let mut results = Vec::new();
    println_table_header();
    let only = options.only.as_deref().unwrap_or("");
    for scenario in scenarios.iter().filter(|s| s.name.contains(only)) {
        for &connections in &options.connections {
            let mut watchdog = start_watchdog(&options.watchdog, scratch.path(), &scenario.env);
            wait_healthy(watchdog.port).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            let pid = watchdog.child.id();
            let rss_idle = rss(pid, "VmRSS:");
            let cpu_before = cpu_ticks(pid);
            let report = load::drive(
                watchdog.port,
                &scenario.target,
                connections,
                options.duration,
            )
            .await;
            let cpu_after = cpu_ticks(pid);
            let rss_peak = rss(pid, "VmHWM:");
            watchdog.stop().await;
            let per_request = |ticks: u64| ticks as f64 * 10_000.0 / report.ok.max(1) as f64;
            let watchdog_us = per_request(cpu_after.0 - cpu_before.0);
            let children_us = per_request(cpu_after.1 - cpu_before.1);
            println_row(
                scenario.name,
                connections,
                &report,
                (rss_idle, rss_peak),
                (watchdog_us, children_us),
            );
            results.push(json!({
                "scenario": scenario.name,
                "connections": connections,
                "duration_s": report.elapsed.as_secs_f64(),
                "requests": report.ok,
                "errors": report.errors,
                "rps": report.rps(),
                "p50_ms": report.percentile_ms(50.0),
                "p99_ms": report.percentile_ms(99.0),
                "watchdog_rss_idle_kib": rss_idle,
                "watchdog_rss_peak_kib": rss_peak,
                "watchdog_cpu_us_per_request": watchdog_us,
                "function_cpu_us_per_request": children_us,
            }));
        }
    }
    let document = json!({
        "tool": "fwatchdog-bench",
        "watchdog": options.watchdog.display().to_string(),
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "note": "loopback, load generator on the same machine; upstream figures in docs/performance.md §3",
        "results": results,
    });
    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir).expect("create the results directory");
    }
    std::fs::write(
        &options.out,
        serde_json::to_string_pretty(&document).unwrap() + "\n",
    )
    .expect("write results");
    std::process::ExitCode::SUCCESS
}

/// A watchdog started for one measurement.
struct RunningWatchdog {
    child: Child,
    port: u16,
    _tmpdir: tempfile::TempDir,
}

impl RunningWatchdog {
    /// SIGTERM (the watchdog drains at once: `healthcheck_interval=0`, and stops its http-mode
    /// upstream), then SIGKILL if it is still there after 5 s.
    async fn stop(&mut self) {
        use nix::sys::signal::{kill, Signal};
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        for _ in 0..250 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = kill(pid, Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

fn start_watchdog(binary: &Path, scratch: &Path, env: &[(String, String)]) -> RunningWatchdog {
    let port = free_port();
    let upstream_port = free_port().to_string();
    let tmpdir = tempfile::tempdir_in(scratch).expect("TMPDIR for the lock file");
    let child = Command::new(binary)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TMPDIR", tmpdir.path())
        .env("port", port.to_string())
        .env("healthcheck_interval", "0")
        .envs(
            env.iter()
                .map(|(k, v)| (k.clone(), v.replace(UPSTREAM_PORT, &upstream_port))),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
    RunningWatchdog {
        child,
        port,
        _tmpdir: tmpdir,
    }
}

async fn wait_healthy(port: u16) {
    for _ in 0..500 {
        if load::get_status(port, "/_/health").await == Some(200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("watchdog on port {port} not healthy after 10 s");
}

/// CPU time in clock ticks (1/100 s) from `/proc/PID/stat`: (the process itself, its reaped
/// children — the function processes).
fn cpu_ticks(pid: u32) -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return (0, 0);
    };
    let Some(after_name) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return (0, 0);
    };
    // Fields 14-17 (utime stime cutime cstime) are the 12th-15th after the name.
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    if fields.len() < 4 {
        return (0, 0);
    }
    (fields[0] + fields[1], fields[2] + fields[3])
}

/// A `/proc/PID/status` field in KiB (`VmRSS:`, `VmHWM:`).
fn rss(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("ephemeral port");
    listener.local_addr().unwrap().port()
}

fn default_watchdog() -> PathBuf {
    let static_build = PathBuf::from("target/x86_64-unknown-linux-gnu/release/fwatchdog");
    if static_build.exists() {
        static_build
    } else {
        PathBuf::from("target/release/fwatchdog")
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[allow(clippy::print_stdout)]
fn println_table_header() {
    println!(
        "| scenario | conns | rps | p50 ms | p99 ms | errors | RSS idle MiB | RSS peak MiB \
         | watchdog CPU µs/req | function CPU µs/req |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
}

#[allow(clippy::print_stdout)]
fn println_row(
    name: &str,
    connections: usize,
    report: &LoadReport,
    (idle, peak): (u64, u64),
    (watchdog_us, children_us): (f64, f64),
) {
    println!(
        "| {name} | {connections} | {:.0} | {:.2} | {:.2} | {} | {:.1} | {:.1} | {watchdog_us:.0} | {children_us:.0} |",
        report.rps(),
        report.percentile_ms(50.0),
        report.percentile_ms(99.0),
        report.errors,
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
    );
}

//! The faasd scenario: the `faasd up` binary (gateway and containerd provider in one process)
//! on a private containerd, registry, namespace and bridge, measured as a user sees it.
//!
//! ```text
//! cargo build --release -p faasd -p faas-bench && scripts/build-fwatchdog.sh
//! sudo target/release/faas-bench faasd      # --samples 10 --functions 20 --seconds 5 --repeat 3
//! ```
//!
//! The function is the static fwatchdog in `static` mode (no fork per request), so the load
//! figures isolate the platform's cost (docs/performance.md §2); it answers GET only, so every
//! invocation here is `GET /function/NAME.NS`. In order:
//! 1. faasd's RSS idle (2 s after it wrote `gateway.addr`, no function);
//! 2. the first deploy (pulls the image, creates the bridge), RSS with 1 function, then
//!    `--functions` in all (1 replica each), RSS, and all deleted;
//! 3. cold starts: deploy POST → first 200 polling every 5 ms, then DELETE, `--samples` times;
//! 4. load: `GET /` on the container's bridge IP:8080 (read from faasd's persisted replica
//!    records) vs through the gateway, interleaved, median of `--repeat`, with faasd's (and a
//!    private containerd's) CPU per proxied request;
//! 5. scale from zero: scale to 0, wait until no replica is reported or recorded and faasd's
//!    standby (created, not started) is in place, as for any function idle at zero, then one
//!    timed call, `--samples` times.
//!
//! Writes `bench-results/faasd.json` and a table, both with the targets.

mod api;
mod image;
mod measure;
mod world;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use api::Gateway;
use measure::{Deploy, LoadPlan, LoadRow, Stats};
use world::{Faasd, FaasdOptions, Services};

/// Options of `faas-bench faasd`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// Cold starts and scale-from-zero calls measured (each figure is their median).
    #[arg(long, default_value_t = 10)]
    samples: usize,
    /// Functions deployed for the memory figure.
    #[arg(long, default_value_t = 20)]
    functions: usize,
    /// Seconds measured per load run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Warm-up seconds before each load run.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// Load runs per target and connection count (the median is reported).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Connection counts of the load runs.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 16])]
    connections: Vec<usize>,
    /// The faasd binary (default: `faasd` next to this binary).
    #[arg(long)]
    faasd: Option<PathBuf>,
    /// The static fwatchdog put in the function image.
    #[arg(long)]
    fwatchdog: Option<PathBuf>,
}

/// The targets the figures are judged against.
#[derive(Serialize)]
struct Targets {
    cold_start_median_ms_max: f64,
    scale_from_zero_median_ms_max: f64,
    gateway_rps_ratio_min: f64,
    rss_idle_mb_max: f64,
    rss_per_function_mb_max: f64,
}

const TARGETS: Targets = Targets {
    cold_start_median_ms_max: 100.0,
    scale_from_zero_median_ms_max: 60.0,
    gateway_rps_ratio_min: 0.8,
    rss_idle_mb_max: 12.0,
    rss_per_function_mb_max: 0.5,
};

/// faasd's resident memory, MB (10^6 bytes, from `VmRSS` in KiB).
#[derive(Serialize)]
struct Memory {
    idle_mb: f64,
    one_function_mb: f64,
    functions: usize,
    with_functions_mb: f64,
    /// (with_functions − idle) ÷ functions: what the target is judged on.
    per_function_mb: f64,
    /// (with_functions − one_function) ÷ (functions − 1): without one-time costs of a first deploy.
    marginal_per_function_mb: f64,
    /// After the load and scale runs.
    end_mb: f64,
    /// `VmHWM` at the end.
    peak_mb: f64,
}

#[derive(Serialize)]
struct Verdicts {
    cold_start: bool,
    scale_from_zero: bool,
    gateway_rps_ratio: bool,
    rss_idle: bool,
    rss_per_function: bool,
}

#[derive(Serialize)]
struct Report {
    benchmark: &'static str,
    date: String,
    cores: usize,
    /// `/proc/loadavg` before and after the measurements (the machine is shared: judge noise).
    loadavg_start: String,
    loadavg_end: String,
    faasd: String,
    function: &'static str,
    /// The size of the image's one (uncompressed) layer, MB: what the first deploy pulls.
    image_layer_mb: f64,
    containerd_private: bool,
    /// The first deploy of the run: image pull and bridge creation included.
    first_deploy: Deploy,
    cold_start_samples: usize,
    cold_start_post_ms: Stats,
    cold_start_first_200_ms: Stats,
    delete_ms: Stats,
    scale_from_zero_first_call_ms: Stats,
    scale_from_zero_second_call_ms: Stats,
    load_seconds_per_run: u64,
    load_runs_per_figure: usize,
    load: Vec<LoadRow>,
    memory: Memory,
    targets: Targets,
    met: Verdicts,
}

/// Runs the scenario and writes `bench-results/faasd.json`.
pub(crate) fn run(args: Args) -> anyhow::Result<()> {
    world::require_root()?;
    let exe_dir = std::env::current_exe()?
        .parent()
        .context("no directory of the running binary")?
        .to_path_buf();
    let faasd_bin = args.faasd.clone().unwrap_or_else(|| exe_dir.join("faasd"));
    anyhow::ensure!(
        faasd_bin.is_file(),
        "{} not found: build it with `cargo build --release -p faasd -p faas-bench` (or pass --faasd)",
        faasd_bin.display()
    );
    let fwatchdog = args.fwatchdog.clone().unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target/x86_64-unknown-linux-gnu/release/fwatchdog")
    });
    let image = image::build(&fwatchdog)?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let services = Services::start()?;
    let result = with_services(&args, &rt, &services, &faasd_bin, &image);
    services.stop();
    let report = result?;
    print_table(&report);
    let dir = crate::results_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("faasd.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("figures written to {}", path.display());
    Ok(())
}

/// Pushes the image, starts faasd, measures, and always removes faasd's functions, namespace
/// and bridge afterwards.
fn with_services(
    args: &Args,
    rt: &tokio::runtime::Runtime,
    services: &Services,
    faasd_bin: &std::path::Path,
    image: &faas_provider_containerd::test_image::TestImage,
) -> anyhow::Result<Report> {
    let reference = format!("{}/faas-bench/static:latest", services.registry);
    image::push(image, &services.registry, "faas-bench/static", "latest")
        .context("pushing the function image")?;
    rt.block_on(world::sweep_stale(&services.socket))?;
    let namespace = world::namespace();
    let subnet = world::free_subnet()?;
    let started = Faasd::start(&FaasdOptions {
        binary: faasd_bin,
        socket: &services.socket,
        namespace: &namespace,
        subnet,
        registry: &services.registry,
    });
    let mut faasd = match started {
        Ok(f) => f,
        Err(e) => {
            // It may have created the namespace or the bridge before it failed.
            let _ = rt.block_on(world::purge(&services.socket, &namespace, &subnet));
            return Err(e);
        }
    };
    let gw = Gateway::new(faasd.addr, &faasd.user, &faasd.password, &namespace);
    let result = rt
        .block_on(scenario(args, services, &faasd, &gw, &reference))
        .map(|mut report| {
            report.faasd = faasd_bin.display().to_string();
            report.image_layer_mb = image.layer.len() as f64 / 1e6;
            report
        });
    if result.is_err() {
        eprintln!("faas-bench: faasd's last log lines:\n{}", faasd.log_tail());
    }
    // Clean up through the API first (CNI DEL releases addresses and iptables rules).
    rt.block_on(async {
        for name in gw.list().await.unwrap_or_default() {
            let _ = gw.delete(&name).await;
        }
    });
    faasd.stop();
    if let Err(e) = rt.block_on(world::purge(&services.socket, &namespace, &subnet)) {
        eprintln!("faas-bench: cleanup: {e:#}");
    }
    drop(faasd);
    result
}

async fn scenario(
    args: &Args,
    services: &Services,
    faasd: &Faasd,
    gw: &Gateway,
    image: &str,
) -> anyhow::Result<Report> {
    let rss_mb = || -> anyhow::Result<f64> {
        Ok(crate::process::status_kib(faasd.pid(), "VmRSS:")? * 1024.0 / 1e6)
    };
    let state_dir = faasd.state_dir.path();
    let loadavg_start = loadavg();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_mb = rss_mb()?;

    eprintln!(
        "faas-bench: first deploy (pulls the image) and {} functions",
        args.functions
    );
    let names: Vec<String> = (0..args.functions.max(1))
        .map(|i| format!("fn-{i}"))
        .collect();
    let first_deploy = measure::deploy_until_200(gw, &names[0], image).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let one_function_mb = rss_mb()?;
    for name in &names[1..] {
        gw.deploy(name, image).await?;
    }
    measure::wait_available(gw, &names).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let with_functions_mb = rss_mb()?;
    for name in &names {
        gw.delete(name).await?;
    }

    eprintln!("faas-bench: {} cold starts", args.samples);
    let (deploys, deletes) = measure::cold_starts(gw, image, args.samples).await?;

    eprintln!("faas-bench: load, direct vs through the gateway");
    let name = "static";
    measure::deploy_until_200(gw, name, image).await?;
    let direct = measure::replica_addr(gw, state_dir, name).await?;
    let plan = LoadPlan {
        connections: args.connections.clone(),
        seconds: args.seconds,
        warmup: args.warmup,
        repeat: args.repeat,
    };
    let load = measure::load(
        &plan,
        direct,
        faasd.addr,
        &gw.function_path(name),
        faasd.pid(),
        services.containerd_pid,
    )
    .await?;

    eprintln!("faas-bench: {} scale-from-zero calls", args.samples);
    let containerd =
        faas_provider_containerd::client::Containerd::connect(&services.socket).await?;
    let (first, second) =
        measure::scale_from_zero(gw, &containerd, state_dir, name, args.samples).await?;
    let end_mb = rss_mb()?;
    let peak_mb = crate::process::status_kib(faasd.pid(), "VmHWM:")? * 1024.0 / 1e6;

    let n = names.len();
    let memory = Memory {
        idle_mb,
        one_function_mb,
        functions: n,
        with_functions_mb,
        per_function_mb: (with_functions_mb - idle_mb) / n as f64,
        marginal_per_function_mb: (with_functions_mb - one_function_mb) / (n.max(2) - 1) as f64,
        end_mb,
        peak_mb,
    };
    let cold = Stats::of(deploys.iter().map(|d| d.first_200_ms).collect());
    let from_zero = Stats::of(first);
    let met = Verdicts {
        cold_start: cold.median <= TARGETS.cold_start_median_ms_max,
        scale_from_zero: from_zero.median <= TARGETS.scale_from_zero_median_ms_max,
        gateway_rps_ratio: load
            .iter()
            .all(|r| r.rps_ratio >= TARGETS.gateway_rps_ratio_min),
        rss_idle: memory.idle_mb <= TARGETS.rss_idle_mb_max,
        rss_per_function: memory.per_function_mb <= TARGETS.rss_per_function_mb_max,
    };
    Ok(Report {
        benchmark: "faasd",
        date: jiff::Timestamp::now().to_string(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg_start,
        loadavg_end: loadavg(),
        faasd: String::new(),
        function: "fwatchdog static mode, GET / (no fork)",
        image_layer_mb: 0.0,
        containerd_private: services.containerd_pid.is_some(),
        first_deploy,
        cold_start_samples: args.samples,
        cold_start_post_ms: Stats::of(deploys.iter().map(|d| d.post_ms).collect()),
        cold_start_first_200_ms: cold,
        delete_ms: Stats::of(deletes),
        scale_from_zero_first_call_ms: from_zero,
        scale_from_zero_second_call_ms: Stats::of(second),
        load_seconds_per_run: args.seconds,
        load_runs_per_figure: args.repeat,
        load,
        memory,
        targets: TARGETS,
        met,
    })
}

/// The 1-, 5- and 15-minute load averages.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

fn print_table(r: &Report) {
    let t = &r.targets;
    println!(
        "faasd benchmark, {} cores, load average {} → {}, function: {}",
        r.cores, r.loadavg_start, r.loadavg_end, r.function
    );
    println!(
        "first deploy (pulls a {:.1} MB layer, creates the bridge): POST {:.1} ms, first 200 {:.1} ms",
        r.image_layer_mb, r.first_deploy.post_ms, r.first_deploy.first_200_ms
    );
    println!("figure                              min / median / max       target");
    let row = |name: &str, s: &Stats, target: String| {
        println!(
            "{name:<34} {:>7.1} / {:>7.1} / {:>7.1}   {target}",
            s.min, s.median, s.max
        );
    };
    row(
        "cold start: deploy → first 200 ms",
        &r.cold_start_first_200_ms,
        format!(
            "≤ {} ms median: {}",
            t.cold_start_median_ms_max,
            verdict(r.met.cold_start)
        ),
    );
    row("  deploy POST ms", &r.cold_start_post_ms, String::new());
    row("  delete ms", &r.delete_ms, String::new());
    row(
        "scale from zero: first call ms",
        &r.scale_from_zero_first_call_ms,
        format!(
            "≤ {} ms median: {}",
            t.scale_from_zero_median_ms_max,
            verdict(r.met.scale_from_zero)
        ),
    );
    row(
        "  second call ms",
        &r.scale_from_zero_second_call_ms,
        String::new(),
    );
    println!(
        "load, {} s per run, median of {}; target gateway ÷ direct rps ≥ {}: {}",
        r.load_seconds_per_run,
        r.load_runs_per_figure,
        t.gateway_rps_ratio_min,
        verdict(r.met.gateway_rps_ratio)
    );
    println!("conns | direct rps  p50 ms  p99 ms | gateway rps  p50 ms  p99 ms | ratio  +p50 ms | faasd µs/req  containerd µs/req");
    for l in &r.load {
        println!(
            "{:>5} | {:>10.0} {:>7.3} {:>7.3} | {:>11.0} {:>7.3} {:>7.3} | {:>5.2} {:>7.3} | {:>12.1} {:>17}",
            l.connections,
            l.direct.rps,
            l.direct.p50_ms,
            l.direct.p99_ms,
            l.gateway.rps,
            l.gateway.p50_ms,
            l.gateway.p99_ms,
            l.rps_ratio,
            l.added_p50_ms,
            l.faasd_cpu_us_per_request,
            l.containerd_cpu_us_per_request
                .map_or("-".to_owned(), |c| format!("{c:.1}")),
        );
    }
    let m = &r.memory;
    println!(
        "faasd RSS: idle {:.1} MB (target ≤ {}: {}); 1 function {:.1} MB; {} functions {:.1} MB",
        m.idle_mb,
        t.rss_idle_mb_max,
        verdict(r.met.rss_idle),
        m.one_function_mb,
        m.functions,
        m.with_functions_mb
    );
    println!(
        "  per function {:.3} MB vs idle (target ≤ {}: {}), {:.3} MB marginal; end {:.1} MB, peak {:.1} MB",
        m.per_function_mb,
        t.rss_per_function_mb_max,
        verdict(r.met.rss_per_function),
        m.marginal_per_function_mb,
        m.end_mb,
        m.peak_mb
    );
}

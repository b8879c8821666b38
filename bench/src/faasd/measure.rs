//! The faasd scenario's measurements, each driving the gateway API as a user would: cold
//! starts, scale-from-zero first calls, load through the gateway versus the container's own
//! address, and faasd's memory as functions are added.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use faas_provider_containerd::client::Containerd;
use faas_provider_containerd::state::FunctionRecord;
use serde::Serialize;
use tokio::time::Instant;

use super::api::Gateway;
use crate::load::{self, LoadResult, LoadSpec};
use crate::process;

/// Interval between invocation attempts while waiting for a first 200 (docs/performance.md §4).
const POLL: Duration = Duration::from_millis(5);
/// The longest a function may take to answer after a deploy or scale.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// min / median / max of a series, with every sample.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Stats {
    pub(crate) min: f64,
    pub(crate) median: f64,
    pub(crate) max: f64,
    pub(crate) samples: Vec<f64>,
}

impl Stats {
    /// The statistics of `samples` (in their order of measurement).
    pub(crate) fn of(samples: Vec<f64>) -> Self {
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let pick = |i: usize| sorted.get(i).copied().unwrap_or(f64::NAN);
        Self {
            min: pick(0),
            median: pick(sorted.len() / 2),
            max: pick(sorted.len().saturating_sub(1)),
            samples,
        }
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

/// One deploy: the POST's latency and the time from the POST to the first 200.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Deploy {
    pub(crate) post_ms: f64,
    pub(crate) first_200_ms: f64,
}

/// Deploys `name` and invokes it every 5 ms until it answers 200.
pub(crate) async fn deploy_until_200(
    gw: &Gateway,
    name: &str,
    image: &str,
) -> anyhow::Result<Deploy> {
    let start = Instant::now();
    gw.deploy(name, image).await?;
    let post_ms = ms(start);
    until_200(gw, name, start).await?;
    Ok(Deploy {
        post_ms,
        first_200_ms: ms(start),
    })
}

/// Invokes `name` every [`POLL`] until a 200 (transport errors and other statuses retry).
async fn until_200(gw: &Gateway, name: &str, start: Instant) -> anyhow::Result<()> {
    let mut last = String::new();
    while start.elapsed() < READY_TIMEOUT {
        match gw.invoke(name).await {
            Ok(s) if s == http::StatusCode::OK => return Ok(()),
            Ok(s) => last = format!("HTTP {s}"),
            Err(e) => last = format!("{e:#}"),
        }
        tokio::time::sleep(POLL).await;
    }
    anyhow::bail!("{name} did not answer 200 within {READY_TIMEOUT:?} (last: {last})")
}

/// Cold starts: `samples` × (deploy → first 200, then DELETE), each a new function name.
pub(crate) async fn cold_starts(
    gw: &Gateway,
    image: &str,
    samples: usize,
) -> anyhow::Result<(Vec<Deploy>, Vec<f64>)> {
    let mut deploys = Vec::with_capacity(samples);
    let mut deletes = Vec::with_capacity(samples);
    for i in 0..samples {
        let name = format!("cold-{i}");
        deploys.push(deploy_until_200(gw, &name, image).await?);
        let start = Instant::now();
        gw.delete(&name).await?;
        deletes.push(ms(start));
    }
    Ok((deploys, deletes))
}

/// The replica records faasd persisted for `name`: `<state dir>/…/functions/<ns>/<name>.json`
/// (searched a few levels deep, wherever faasd puts its provider's state).
pub(crate) fn record(state_dir: &Path, namespace: &str, name: &str) -> Option<FunctionRecord> {
    let file = Path::new("functions")
        .join(namespace)
        .join(format!("{name}.json"));
    let mut dirs = vec![state_dir.to_path_buf()];
    for _ in 0..3 {
        if let Some(r) = dirs
            .iter()
            .find_map(|d| std::fs::read(d.join(&file)).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            return Some(r);
        }
        dirs = dirs
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
    }
    None
}

/// Scale-from-zero: `samples` × (scale to 0, wait until faasd reports no replica, has none
/// recorded and containerd has no container of the function left, settle 200 ms, then one
/// timed invocation). Returns first-call and second-call ms.
pub(crate) async fn scale_from_zero(
    gw: &Gateway,
    containerd: &Containerd,
    state_dir: &Path,
    name: &str,
    samples: usize,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let mut first = Vec::with_capacity(samples);
    let mut second = Vec::with_capacity(samples);
    for _ in 0..samples {
        gw.scale(name, 0).await?;
        let start = Instant::now();
        loop {
            let r = gw.replicas(name).await?;
            let rec = record(state_dir, gw.namespace(), name);
            let recorded = rec.as_ref().map_or(0, |rec| rec.replica_records.len());
            let standby = rec.is_some_and(|rec| rec.standby.is_some());
            let containers = super::world::containers_of(containerd, gw.namespace(), name).await?;
            // Settled: no replica left, and faasd's standby (a created, unstarted replica it
            // keeps for functions at zero) in place, as it is for a function idle at zero.
            if r.desired == 0 && r.available == 0 && recorded == 0 && standby && containers == 1 {
                break;
            }
            anyhow::ensure!(
                start.elapsed() < READY_TIMEOUT,
                "{name} still has replicas {READY_TIMEOUT:?} after scaling to 0 \
                 ({r:?}, {recorded} recorded, {containers} containers)"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let start = Instant::now();
        let status = gw.invoke(name).await?;
        anyhow::ensure!(
            status.is_success(),
            "first call after scale to 0: HTTP {status}"
        );
        first.push(ms(start));
        let start = Instant::now();
        let status = gw.invoke(name).await?;
        anyhow::ensure!(status.is_success(), "second call: HTTP {status}");
        second.push(ms(start));
    }
    Ok((first, second))
}

/// The address of `name`'s one replica, as faasd recorded it (waits for it to appear).
pub(crate) async fn replica_addr(
    gw: &Gateway,
    state_dir: &Path,
    name: &str,
) -> anyhow::Result<SocketAddr> {
    let start = Instant::now();
    loop {
        let addr = record(state_dir, gw.namespace(), name)
            .and_then(|r| r.replica_records.values().find_map(|rep| rep.addr));
        if let Some(addr) = addr {
            return Ok(addr);
        }
        anyhow::ensure!(
            start.elapsed() < READY_TIMEOUT,
            "no replica address of {name} recorded under {}",
            state_dir.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until every function in `names` has a ready replica.
pub(crate) async fn wait_available(gw: &Gateway, names: &[String]) -> anyhow::Result<()> {
    let start = Instant::now();
    for name in names {
        while gw.replicas(name).await?.available == 0 {
            anyhow::ensure!(
                start.elapsed() < READY_TIMEOUT,
                "{name} has no ready replica after {READY_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(())
}

/// Load at one connection count: direct and through the gateway.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct LoadRow {
    pub(crate) connections: usize,
    /// `http://<container ip>:8080/`, median run by rps.
    pub(crate) direct: LoadResult,
    /// `http://<gateway>/function/NAME.NS`, median run by rps.
    pub(crate) gateway: LoadResult,
    /// gateway rps ÷ direct rps.
    pub(crate) rps_ratio: f64,
    /// gateway p50 − direct p50, ms.
    pub(crate) added_p50_ms: f64,
    /// faasd's CPU (user + system) per proxied request, µs (median of the runs).
    pub(crate) faasd_cpu_us_per_request: f64,
    /// containerd's CPU per proxied request, µs, when this run started containerd.
    pub(crate) containerd_cpu_us_per_request: Option<f64>,
}

/// How the load runs are made.
pub(crate) struct LoadPlan {
    pub(crate) connections: Vec<usize>,
    pub(crate) seconds: u64,
    pub(crate) warmup: u64,
    pub(crate) repeat: usize,
}

/// Direct and gateway runs, interleaved (direct, gateway, direct, gateway …), median of
/// `repeat` per figure; the CPU of faasd (and containerd) is read around each gateway run.
pub(crate) async fn load(
    plan: &LoadPlan,
    direct_addr: SocketAddr,
    gateway_addr: SocketAddr,
    function_path: &str,
    faasd_pid: u32,
    containerd_pid: Option<u32>,
) -> anyhow::Result<Vec<LoadRow>> {
    let mut rows = Vec::new();
    for &connections in &plan.connections {
        let spec = |addr: SocketAddr, path: &str| LoadSpec {
            addr,
            path: path.to_owned(),
            method: http::Method::GET,
            body: Bytes::new(),
            connections,
            warmup: Duration::from_secs(plan.warmup),
            duration: Duration::from_secs(plan.seconds),
        };
        let direct_spec = spec(direct_addr, "/");
        let gateway_spec = spec(gateway_addr, function_path);
        let (mut direct, mut through) = (Vec::new(), Vec::new());
        let (mut faasd_cpu, mut containerd_cpu) = (Vec::new(), Vec::new());
        for _ in 0..plan.repeat {
            direct.push(load::run(&direct_spec).await.context("direct load")?);
            let f0 = process::cpu_seconds(faasd_pid)?;
            let c0 = containerd_pid.map(process::cpu_seconds).transpose()?;
            let r = load::run(&gateway_spec).await.context("gateway load")?;
            let f1 = process::cpu_seconds(faasd_pid)?;
            let c1 = containerd_pid.map(process::cpu_seconds).transpose()?;
            // The CPU window includes the warm-up; count its requests at the measured rate.
            let total = (r.rps * (plan.seconds + plan.warmup) as f64).max(1.0);
            faasd_cpu.push((f1 - f0) / total * 1e6);
            if let (Some(c0), Some(c1)) = (c0, c1) {
                containerd_cpu.push((c1 - c0) / total * 1e6);
            }
            through.push(r);
        }
        let direct = median_by_rps(direct);
        let gateway = median_by_rps(through);
        rows.push(LoadRow {
            connections,
            rps_ratio: gateway.rps / direct.rps,
            added_p50_ms: gateway.p50_ms - direct.p50_ms,
            faasd_cpu_us_per_request: Stats::of(faasd_cpu).median,
            containerd_cpu_us_per_request: (!containerd_cpu.is_empty())
                .then(|| Stats::of(containerd_cpu).median),
            direct,
            gateway,
        });
    }
    Ok(rows)
}

fn median_by_rps(mut runs: Vec<LoadResult>) -> LoadResult {
    runs.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    runs.swap_remove(runs.len() / 2)
}

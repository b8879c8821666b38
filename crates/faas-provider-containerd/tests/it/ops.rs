//! What an operator sees of running functions: their DNS, their logs (per-line times, `since`,
//! across a provider restart) and their CPU/memory use.

use std::time::Duration;

use faas_core::{FunctionDeployment, LogMessage, LogRequest, Provider};
use futures_util::StreamExt as _;
use jiff::Timestamp;

use crate::images::{self, SERVER_SCRIPT};
use crate::support::{invoke, wait_available, TestEnv};

fn deployment(env: &TestEnv, name: &str, image: &str) -> FunctionDeployment {
    FunctionDeployment {
        service: name.into(),
        image: image.into(),
        namespace: Some(env.namespace.clone()),
        ..Default::default()
    }
}

/// Imports an image running `script` as `local/<name>:1`.
async fn import(
    env: &TestEnv,
    p: &faas_provider_containerd::ContainerdProvider,
    name: &str,
    script: &str,
) -> String {
    let archive = env.dir.path().join(format!("{name}.tar"));
    images::write_oci_archive(&images::build(name, script), &archive);
    p.import_image(&env.namespace, &format!("local/{name}:1"), archive)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_resolves_through_the_upstream_servers_of_a_loopback_only_host() {
    let Some(mut env) = TestEnv::new().await else {
        return;
    };
    // The host as systemd-resolved leaves it: only its stub on 127.0.0.53.
    let host = env.dir.path().join("host-resolv.conf");
    std::fs::write(
        &host,
        "# stub\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n",
    )
    .unwrap();
    let upstream = env.dir.path().join("systemd-resolv.conf");
    std::fs::write(&upstream, "nameserver 192.0.2.53\nsearch lan\n").unwrap();
    env.config.host_resolv_conf = host;
    env.config.upstream_resolv_conf = upstream;
    let p = env.provider().await;
    let image = import(
        &env,
        &p,
        "dns",
        "mkdir -p /tmp/www && cat /etc/resolv.conf > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
    )
    .await;
    p.deploy(deployment(&env, "dns", &image)).await.unwrap();
    let f = env.function("dns");
    let resolved = tokio::time::timeout(Duration::from_secs(30), p.wait_ready(f.clone()).unwrap())
        .await
        .unwrap()
        .unwrap();
    let seen = invoke(resolved.endpoints.pick().unwrap());
    let servers: Vec<&str> = seen
        .lines()
        .filter_map(|l| l.strip_prefix("nameserver "))
        .collect();
    assert_eq!(
        servers,
        ["192.0.2.53"],
        "the function's resolv.conf:\n{seen}"
    );
    assert!(seen.lines().any(|l| l == "search lan"), "{seen}");
    assert!(
        seen.lines().any(|l| l == "options edns0 trust-ad"),
        "{seen}"
    );
    p.delete(f).await.unwrap();
    drop(p);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_reports_the_replicas_memory() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let p = env.provider().await;
    let image = import(&env, &p, "usage", SERVER_SCRIPT).await;
    let mut d = deployment(&env, "usage", &image);
    d.labels = [("com.openfaas.scale.min".to_owned(), "2".to_owned())].into();
    p.deploy(d).await.unwrap();
    let f = env.function("usage");
    wait_available(&p, &f, 2).await;
    assert_eq!(p.get(f.clone(), false).await.unwrap().usage, None);
    let one = p
        .get(f.clone(), true)
        .await
        .unwrap()
        .usage
        .expect("usage measured");
    assert!(one.total_memory_bytes > 0.0, "{one:?}");
    assert!(one.cpu >= 0.0, "{one:?}");
    // The list reports it too, for both replicas together.
    let listed = p.list(env.namespace.clone()).await.unwrap();
    let usage = listed[0].usage.expect("usage in the list");
    assert!(usage.total_memory_bytes > 0.0, "{usage:?}");
    // A second measurement a moment later compares with the kept sample.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = p.get(f.clone(), true).await.unwrap().usage.unwrap();
    assert!(
        later.cpu >= 0.0 && later.total_memory_bytes > 0.0,
        "{later:?}"
    );
    // At zero replicas nothing runs: nothing is used.
    p.scale(f.clone(), 0).await.unwrap();
    wait_available(&p, &f, 0).await;
    for _ in 0..100 {
        if p.get(f.clone(), true)
            .await
            .unwrap()
            .usage
            .map(|u| u.total_memory_bytes)
            == Some(0.0)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let idle = p.get(f.clone(), true).await.unwrap().usage.unwrap();
    assert_eq!(idle.total_memory_bytes, 0.0, "{idle:?}");
    p.delete(f).await.unwrap();
    drop(p);
    env.cleanup().await;
}

/// A function printing `tick <n>` every 200 ms while it serves.
const TICKER: &str = r#"mkdir -p /tmp/www && echo ok > /tmp/www/index.html
( i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done ) &
exec httpd -f -p 8080 -h /tmp/www"#;

async fn logs(
    p: &faas_provider_containerd::ContainerdProvider,
    env: &TestEnv,
    since: Option<Timestamp>,
) -> Vec<LogMessage> {
    p.logs(LogRequest {
        name: "ticker".into(),
        namespace: env.namespace.clone(),
        instance: None,
        tail: None,
        since: Some(since.unwrap_or(Timestamp::UNIX_EPOCH)),
        follow: false,
    })
    .await
    .unwrap()
    .map(|m| m.unwrap())
    .collect()
    .await
}

fn ticks(messages: &[LogMessage]) -> Vec<u64> {
    messages
        .iter()
        .filter_map(|m| m.text.strip_prefix("tick ")?.parse().ok())
        .collect()
}

async fn wait_ticks(
    p: &faas_provider_containerd::ContainerdProvider,
    env: &TestEnv,
    n: usize,
) -> Vec<LogMessage> {
    for _ in 0..200 {
        let got = logs(p, env, None).await;
        if ticks(&got).len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "fewer than {n} ticks: {:?}",
        ticks(&logs(p, env, None).await)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_carry_their_write_time_and_survive_a_provider_restart() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let p = env.provider().await;
    let image = import(&env, &p, "ticker", TICKER).await;
    p.deploy(deployment(&env, "ticker", &image)).await.unwrap();
    let f = env.function("ticker");
    wait_available(&p, &f, 1).await;
    let first: Vec<LogMessage> = wait_ticks(&p, &env, 5)
        .await
        .into_iter()
        .filter(|m| m.text.starts_with("tick "))
        .collect();

    // `since` a line's own time: that line and the later ones, exactly.
    let pivot = &first[2];
    let from_pivot = logs(&p, &env, Some(pivot.timestamp)).await;
    assert_eq!(from_pivot[0], *pivot);
    assert!(from_pivot.iter().all(|m| m.timestamp >= pivot.timestamp));
    assert_eq!(
        from_pivot.len(),
        logs(&p, &env, None)
            .await
            .iter()
            .filter(|m| m.timestamp >= pivot.timestamp)
            .count()
    );
    // The times are those of the writes (200 ms apart), not of this read.
    let read_at = Timestamp::now();
    let spread = first[4].timestamp.duration_since(first[0].timestamp);
    assert!(
        spread >= jiff::SignedDuration::from_millis(600),
        "{first:?}"
    );
    assert!(first[0].timestamp < read_at - jiff::SignedDuration::from_millis(600));

    // The provider dies; the function keeps printing; a new provider reads on.
    drop(p);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let p = env.provider().await;
    wait_available(&p, &f, 1).await;
    let before = ticks(&first).len();
    let after = wait_ticks(&p, &env, before + 15).await;
    let seq = ticks(&after);
    let expected: Vec<u64> = (0..seq.len() as u64).collect();
    assert_eq!(
        seq, expected,
        "every tick once, in order, across the restart"
    );
    assert!(after.windows(2).all(|w| w[0].timestamp < w[1].timestamp));
    p.delete(f).await.unwrap();
    drop(p);
    env.cleanup().await;
}

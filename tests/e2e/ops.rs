//! The operator's view through the `faas` CLI against `faasd up`: `faas describe` shows the
//! function's memory and CPU, `faas logs --since/--since-time` return exactly the lines written
//! after that time.

use faas_core::LogMessage;
use faas_e2e::faas_cli::FaasCli;
use faas_e2e::test_image;
use faas_e2e::TestEnv;
use jiff::Timestamp;

/// Prints `tick <n>` every 200 ms while it serves.
const TICKER: &str = r#"mkdir -p /tmp/www && echo ok > /tmp/www/index.html
( i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done ) &
exec httpd -f -p 8080 -h /tmp/www"#;

fn json_lines(stdout: &str) -> Vec<LogMessage> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_shows_usage_and_logs_since_is_exact() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let image = env.push(
        &test_image::build("ticker", TICKER).expect("building the ticker image"),
        "ticker",
        "1",
    );
    let faasd = env.start_faasd(&["--log-max-size", "64Ki"]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    assert_eq!(
        gw.deploy(&env.deployment("ticker", &image)).await.status,
        202
    );
    gw.wait_available("ticker", &ns, 1).await;

    let mut cli = FaasCli::new(&env.dir.join("cli"));
    cli.export("OPENFAAS_URL", &format!("http://{}", faasd.addr));
    let password = std::fs::read_to_string(env.state_dir().join("secrets/basic-auth-password"))
        .expect("faasd's basic-auth-password");
    cli.run(&["login", "--password-stdin"], password.trim().as_bytes())
        .await
        .success();

    // describe: the usage block faas-cli prints, with the replica's real memory.
    let described = cli.ok(&["describe", "ticker", "-n", &ns]).await.stdout;
    let lines: Vec<&str> = described.lines().collect();
    let usage = lines
        .iter()
        .position(|l| *l == "Usage:")
        .unwrap_or_else(|| panic!("no Usage block:\n{described}"));
    let ram = lines[usage + 1]
        .strip_prefix("  RAM:  ")
        .and_then(|r| r.strip_suffix(" MB"))
        .and_then(|r| r.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("RAM line:\n{described}"));
    assert!(ram > 0.0, "{described}");
    let cpu = lines[usage + 2]
        .strip_prefix("  CPU:  ")
        .and_then(|c| c.strip_suffix(" Mi"))
        .and_then(|c| c.parse::<u64>().ok());
    assert!(cpu.is_some(), "CPU line:\n{described}");

    // logs: wait for some ticks, then cut at one line's own time.
    let all = |since: String| {
        let cli = &cli;
        let ns = ns.clone();
        async move {
            json_lines(
                &cli.ok(&[
                    "logs",
                    "ticker",
                    "-n",
                    &ns,
                    "--follow=false",
                    "--since-time",
                    &since,
                    "-o",
                    "json",
                ])
                .await
                .stdout,
            )
        }
    };
    let mut history = Vec::new();
    for _ in 0..100 {
        history = all(Timestamp::UNIX_EPOCH.to_string()).await;
        if history.len() >= 8 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(history.len() >= 8, "{history:?}");
    let pivot = history[5].clone();
    let from_pivot = all(pivot.timestamp.to_string()).await;
    assert_eq!(from_pivot[..history.len() - 5], history[5..]);
    assert!(from_pivot.iter().all(|m| m.timestamp >= pivot.timestamp));
    // One nanosecond later the pivot line is out.
    let after_pivot =
        all((pivot.timestamp + jiff::SignedDuration::from_nanos(1)).to_string()).await;
    assert_eq!(after_pivot[0], history[6]);

    // --since DURATION: only the lines of the last second, in the plain format.
    let before = Timestamp::now();
    let recent = cli
        .ok(&[
            "logs",
            "ticker",
            "-n",
            &ns,
            "--follow=false",
            "--since",
            "1s",
        ])
        .await
        .stdout;
    let after = Timestamp::now();
    let cut_min = before - jiff::SignedDuration::from_secs(1);
    let cut_max = after - jiff::SignedDuration::from_secs(1);
    let latest = all(Timestamp::UNIX_EPOCH.to_string()).await;
    for m in &latest {
        let plain = format!("{} ticker ({}) {}", m.timestamp, m.instance, m.text);
        let shown = recent.lines().any(|l| l == plain);
        if m.timestamp < cut_min {
            assert!(!shown, "{plain} is older than --since 1s:\n{recent}");
        }
        if m.timestamp >= cut_max && m.timestamp <= before {
            assert!(shown, "{plain} is newer than --since 1s:\n{recent}");
        }
    }
    assert!(!recent.trim().is_empty(), "nothing in the last second");

    gw.delete("ticker", &ns).await;
    env.finish(faasd).await;
}

//! The seed's edit → build → push → deploy loop with `faas deploy`: the same tag pushed again
//! is rolled out; with the registry gone, the image already there is deployed and the CLI says
//! so on stderr.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use faas_e2e::faas_cli::FaasCli;
use faas_e2e::images::server;
use faas_e2e::services::repo_root;
use faas_e2e::TestEnv;

/// A registry of this test's own, stopped by its PID.
struct PrivateRegistry {
    dir: std::path::PathBuf,
    addr: String,
}

impl PrivateRegistry {
    fn start(dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = Command::new("bash")
            .arg("scripts/services/registry.sh")
            .arg(port.to_string())
            .arg(dir)
            .current_dir(repo_root())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self {
            dir: dir.to_owned(),
            addr: String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        }
    }

    fn stop(&self) {
        let Some(pid) = std::fs::read_to_string(self.dir.join("registry.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok())
        else {
            return;
        };
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        for _ in 0..100 {
            if std::net::TcpStream::connect(&self.addr).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the registry at {} still answers", self.addr);
    }
}

impl Drop for PrivateRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_tag_redeploys_roll_out_and_an_offline_registry_warns() {
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let registry = PrivateRegistry::start(&env.dir.join("registry"));
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    let mut cli = FaasCli::new(&env.dir.join("cli"));
    cli.export("OPENFAAS_URL", &format!("http://{}", faasd.addr));
    let password = std::fs::read_to_string(env.state_dir().join("secrets/basic-auth-password"))
        .expect("faasd's basic-auth-password");
    cli.run(&["login", "--password-stdin"], password.trim().as_bytes())
        .await
        .success();
    let repo = format!("{ns}/hello");
    let image = format!("{}/{repo}:latest", registry.addr);
    let deploy = [
        "deploy",
        "--image",
        &image,
        "--name",
        "hello",
        "--namespace",
        &ns,
    ];
    let serves = |want: &'static str| {
        let gw = gw.clone();
        let ns = ns.clone();
        async move {
            let got = faas_e2e::poll(Duration::from_secs(30), || {
                let gw = gw.clone();
                let ns = ns.clone();
                async move {
                    let body = gw.try_invoke("hello", &ns, "/").await.ok()?.text();
                    body.contains(want).then_some(body)
                }
            })
            .await;
            assert!(got.is_some(), "hello never answered {want}");
        }
    };

    for version in ["msg=v1", "msg=v2"] {
        let msg = version.trim_start_matches("msg=");
        faas_e2e::test_image::push(&server(msg), &registry.addr, &repo, "latest").expect("pushing");
        let run = cli.ok(&deploy).await;
        assert!(!run.stderr.contains("Warning:"), "{run:#?}");
        serves(version).await;
    }

    registry.stop();
    let run = cli.ok(&deploy).await;
    let warning = run
        .stderr
        .lines()
        .find(|l| l.starts_with("Warning: "))
        .unwrap_or_else(|| panic!("no warning on stderr: {run:#?}"));
    assert!(warning.contains(&image), "{warning}");
    assert!(
        warning.contains("using the copy already on this machine"),
        "{warning}"
    );
    assert!(run.stdout.contains("Deployed. 202"), "{run:#?}");
    serves("msg=v2").await;
    assert!(faasd.log_text().contains("could not check image"));

    gw.delete("hello", &ns).await;
    env.finish(faasd).await;
}

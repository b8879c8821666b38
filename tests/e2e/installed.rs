//! faasd as installed on a fresh machine: the binaries copied into a `bin/` folder of the test's
//! own (`faasd`, `faas`, the static `fwatchdog`), `faasd install` run into the test's state and
//! unit folders with a registry on a free loopback port, the registry started exactly as its
//! unit's `ExecStart=` says, `faasd provider` as its unit says, `faasd base-images`, `faasd up`;
//! then the tutorial's loop through the installed `faas-cli` name — `new`, `build`, `push`,
//! `deploy`, `invoke` — for `python3`, `python` (Python 2.7) and `bash-streaming`, with image
//! names without a registry (`NAME:latest`, as `faas new` writes them) landing in the local
//! registry. Nothing of the source tree is used but the built binaries.
//!
//! The functions run in the test's own namespace (faasd's `--namespace`, the gateway's default),
//! not `openfaas-fn`, so the seed world lock is not needed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use faas_e2e::faas_cli::base_images::{buildah_storage_for_builds, BASE_IMAGES_LOCK};
use faas_e2e::faas_cli::{faas_binary, FaasCli};
use faas_e2e::faasd::faasd_binary;
use faas_e2e::services::{free_port, repo_root, with_lock};
use faas_e2e::TestEnv;

/// A process the test started, killed (by its PID) when dropped.
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The static watchdog of the build (`scripts/build-fwatchdog.sh`, run once when missing).
fn static_fwatchdog() -> PathBuf {
    let path = repo_root().join("target/x86_64-unknown-linux-gnu/release/fwatchdog");
    with_lock("build-fwatchdog", || {
        if !path.is_file() {
            let status = Command::new("bash")
                .arg("scripts/build-fwatchdog.sh")
                .current_dir(repo_root())
                .status()
                .expect("running scripts/build-fwatchdog.sh");
            assert!(status.success(), "scripts/build-fwatchdog.sh failed");
        }
    });
    path
}

/// `bin/` with faasd, faas and fwatchdog, as `scripts/install.sh` lays them out side by side.
fn install_binaries(bin: &Path) {
    std::fs::create_dir_all(bin).expect("creating bin/");
    for (from, name) in [
        (faasd_binary().to_path_buf(), "faasd"),
        (faas_binary().to_path_buf(), "faas"),
        (static_fwatchdog(), "fwatchdog"),
    ] {
        let to = bin.join(name);
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to)
                .unwrap_or_else(|e| panic!("copying {} to bin/: {e}", from.display()));
        }
    }
}

/// Runs `program args…` to the end; panics with its output unless it exits 0.
fn run_ok(program: &Path, args: &[&str], envs: &[(String, String)]) -> String {
    let out = Command::new(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{} {args:?} failed ({}):\n{text}",
        program.display(),
        out.status
    );
    text
}

/// The `ExecStart=` of a unit file, split on spaces.
fn exec_start(unit: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(unit).expect("reading a unit");
    text.lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap_or_else(|| panic!("no ExecStart in {}", unit.display()))
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Waits until `GET http://addr/v2/` answers 200.
async fn wait_for_registry(addr: &str) {
    let answered = faas_e2e::poll(Duration::from_secs(20), || async {
        let addr = addr.to_owned();
        tokio::task::spawn_blocking(move || {
            faas_e2e::test_image::request(&addr, "GET", "/v2/", None, b"")
                .ok()
                .filter(|r| r.status == 200)
        })
        .await
        .ok()
        .flatten()
    })
    .await;
    assert!(
        answered.is_some(),
        "the installed registry did not answer on {addr}"
    );
}

/// The three functions: language, name, handler file and contents, request, expected answer.
const FUNCTIONS: [(&str, &str, &str, &str, &str, &str); 3] = [
    (
        "python3",
        "inst-py3",
        "handler.py",
        "import sys\n\n\ndef handle(req):\n    return \"python%d says %s\" % (sys.version_info[0], req.strip())\n",
        "hello",
        "python3 says hello",
    ),
    (
        "python",
        "inst-py2",
        "handler.py",
        // Python 2 only: the print statement; requests and json as in the tutorial.
        "import sys\nimport json\nimport requests\nimport setuptools\n\n\ndef handle(req):\n    print \"python%d.%d\" % sys.version_info[:2], json.dumps({\"said\": req.strip()})\n",
        "hello",
        "python2.7 {\"said\": \"hello\"}",
    ),
    (
        "bash-streaming",
        "inst-sh",
        "handler.sh",
        "#!/bin/sh\nwhile read -r line; do echo \"streamed: $line\"; done\n",
        "one\ntwo\n",
        "streamed: one\nstreamed: two",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn an_installed_faasd_builds_pushes_deploys_and_invokes_python3_python2_and_bash() {
    let Some(storage) = buildah_storage_for_builds() else {
        return;
    };
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let bin = env.dir.join("bin");
    install_binaries(&bin);
    let faasd = bin.join("faasd");
    let registry = format!("127.0.0.1:{}", free_port());
    let units = env.dir.join("units");

    // faasd install, files only.
    let state = env.state_dir().to_string_lossy().into_owned();
    let units_arg = units.to_string_lossy().into_owned();
    let installed = run_ok(
        &faasd,
        &[
            "install",
            "--state-dir",
            &state,
            "--unit-dir",
            &units_arg,
            "--registry",
            &registry,
            "--no-start",
        ],
        &[],
    );
    for expected in [
        format!("base-images --registry {registry}"),
        format!("cat {state}/secrets/basic-auth-password | faas-cli login --password-stdin"),
    ] {
        assert!(
            installed.contains(&expected),
            "{expected:?} not in:\n{installed}"
        );
    }
    for unit in [
        "faasd.service",
        "faasd-provider.service",
        "faasd-registry.service",
    ] {
        assert!(units.join(unit).is_file(), "{unit} not written");
    }
    let faas_cli = bin.join("faas-cli");
    assert_eq!(
        std::fs::read_link(&faas_cli).ok(),
        Some(PathBuf::from("faas"))
    );

    // The registry, exactly as its unit runs it.
    let command = exec_start(&units.join("faasd-registry.service"));
    let registry_process = Started(
        Command::new(&command[0])
            .args(&command[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting docker-registry"),
    );
    wait_for_registry(&registry).await;

    // faasd provider as its unit runs it, on the test's containerd and CNI folder.
    let mut provider = exec_start(&units.join("faasd-provider.service"));
    let cni_dir = env.dir.join("net.d").to_string_lossy().into_owned();
    let socket = env.socket.to_string_lossy().into_owned();
    provider.extend([
        "--containerd-socket".into(),
        socket,
        "--cni-conf-dir".into(),
        cni_dir,
    ]);
    let args: Vec<&str> = provider[1..].iter().map(String::as_str).collect();
    let prepared = run_ok(Path::new(&provider[0]), &args, &[]);
    for expected in ["faasd-provider start", "Writing network conf"] {
        assert!(
            prepared.contains(expected),
            "{expected:?} not in:\n{prepared}"
        );
    }

    // faasd base-images, as install said (in the tests' buildah storage).
    let built = with_lock(BASE_IMAGES_LOCK, || {
        run_ok(
            &faasd,
            &["base-images", "--registry", &registry],
            &storage.env(),
        )
    });
    assert!(
        built.contains(&format!("pushed {registry}/faas/python:2.7")),
        "{built}"
    );

    let faasd_up = env.start_faasd(&[]).await;
    let mut cli = FaasCli::new(&env.dir.join("cli")).with_binary(&faas_cli);
    for (name, value) in storage.env() {
        cli.export(&name, &value);
    }
    cli.export("OPENFAAS_URL", &format!("http://{}", faasd_up.addr));
    cli.export("FAAS_LOCAL_REGISTRY", &registry);
    let password = std::fs::read_to_string(env.state_dir().join("secrets/basic-auth-password"))
        .expect("the password install wrote");
    cli.run(&["login", "--password-stdin"], password.trim().as_bytes())
        .await
        .success();

    for (lang, name, file, handler, request, answer) in FUNCTIONS {
        cli.ok(&["new", "--lang", lang, name]).await;
        cli.write(&format!("{name}/{file}"), handler);
        if lang == "python" {
            cli.write(&format!("{name}/requirements.txt"), "requests\n");
        }
        let stack = format!("{name}.yml");
        assert!(
            cli.read(&stack).contains(&format!("image: {name}:latest")),
            "faas new names the image without a registry"
        );
        cli.ok(&["build", "-f", &stack]).await;
        let pushed = cli.ok(&["push", "-f", &stack]).await;
        let image = format!("{registry}/{name}:latest");
        assert!(pushed.stdout.contains(&image), "{pushed:#?}");
        cli.ok(&["deploy", "-f", &stack]).await;
        faasd_up
            .gateway()
            .wait_available(name, &env.namespace, 1)
            .await;
        // faasd's default namespace is the test's; `faas invoke` defaults to openfaas-fn.
        let invoked = cli
            .run(
                &["invoke", name, "--namespace", &env.namespace],
                request.as_bytes(),
            )
            .await
            .success();
        assert_eq!(invoked.stdout.trim_end(), answer, "{lang}: {invoked:#?}");
    }

    // With the registry stopped, a build fails at once with the one line that fixes it.
    drop(registry_process);
    let failed = cli.run(&["build", "-f", "inst-py2.yml"], b"").await;
    assert_ne!(failed.code, 0, "{failed:#?}");
    let fix = format!(
        "no registry answers at {registry}: run 'sudo faasd install' (or 'systemctl start faasd-registry')"
    );
    assert!(failed.stderr.contains(&fix), "{failed:#?}");
    assert!(
        !failed.stderr.contains("buildah"),
        "buildah ran: {failed:#?}"
    );
    env.finish(faasd_up).await;
}

/// `faas build` with no registry on the local address fails before buildah starts (nothing of
/// buildah's in the output), with one line naming the fix.
#[tokio::test(flavor = "multi_thread")]
async fn build_without_the_local_registry_fails_at_once_with_the_fix() {
    let Some(storage) = buildah_storage_for_builds() else {
        return;
    };
    let dir = faas_e2e::services::work_dir().join(format!("no-registry-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cli = FaasCli::new(&dir);
    for (name, value) in storage.env() {
        cli.export(&name, &value);
    }
    let registry = format!("127.0.0.1:{}", free_port());
    cli.export("FAAS_LOCAL_REGISTRY", &registry);
    cli.ok(&["new", "--lang", "python3", "nothing-there"]).await;
    let failed = cli.run(&["build", "-f", "nothing-there.yml"], b"").await;
    assert_ne!(failed.code, 0, "{failed:#?}");
    let lines: Vec<&str> = failed
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(
        lines,
        [format!(
            "faas: building nothing-there: no registry answers at {registry}: run 'sudo faasd install' (or 'systemctl start faasd-registry')"
        )],
        "{failed:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

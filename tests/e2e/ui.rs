//! The web UI in a real browser: Debian's chromium driven by `tests/ui/ui.mjs` (playwright-core)
//! against `faasd up` on real containerd. The script logs in, finds the deployed function with
//! its replicas, deploys from a store file pointing at the local registry, invokes with a body,
//! scales to 3, follows the logs, creates/replaces/deletes a secret, reads the system page and
//! deletes the function; a wrong password gets a 401 and no data. Then the login form: a wrong
//! password is told so, the right one gives an `HttpOnly`, `SameSite=Strict` cookie with which
//! the page creates and deletes a secret (CSRF token sent), a write without the token is refused
//! (403), and after "Log out" the API answers 401.
//!
//! Without chromium, node or `tests/ui/node_modules` (`npm ci` in `tests/ui`) the test prints a
//! `skip:` line, or fails under `FAAS_REQUIRE_SERVICES=1`. With `FAAS_UI_SCREENSHOTS=<dir>` the
//! script also writes each page at desktop and phone width there (how `docs/ui/` was made).

use std::path::{Path, PathBuf};
use std::process::Command;

use faas_e2e::images::server;
use faas_e2e::services::{repo_root, skip};
use faas_e2e::TestEnv;
use serde_json::json;

/// Chromium's path, or `None` after the skip line.
fn browser_tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = std::env::var_os("FAAS_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if !chromium.exists() {
        skip(&format!(
            "{} not found (apt-get install chromium)",
            chromium.display()
        ));
        return None;
    }
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok {
        skip("node not found (apt-get install nodejs)");
        return None;
    }
    let dir = repo_root().join("tests/ui");
    if !dir.join("node_modules/playwright-core").is_dir() {
        skip("tests/ui/node_modules/playwright-core missing (run `npm ci` in tests/ui)");
        return None;
    }
    Some((chromium, dir))
}

fn read_secret(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .expect("faasd's basic-auth file")
        .trim()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_ui_in_chromium_lists_deploys_invokes_scales_follows_logs_and_keeps_secrets() {
    let Some((chromium, script_dir)) = browser_tools() else {
        return;
    };
    let Some(env) = TestEnv::new().await else {
        return;
    };
    let image = env.push(&server("ui"), "hello", "1");
    let faasd = env.start_faasd(&[]).await;
    let gw = faasd.gateway();
    let ns = env.namespace.clone();
    gw.deploy(&env.deployment("hello", &image)).await;
    gw.wait_available("hello", &ns, 1).await;

    // A store in the OpenFaaS format whose one entry is the test image in the local registry.
    let store = env.dir.join("store.json");
    let images = json!({ "x86_64": image, "arm64": image, "armhf": image });
    let body = json!({ "version": "0.2.0", "functions": [{
        "title": "ui-store", "name": "ui-store",
        "description": "The test function, from a store file", "images": images,
        "labels": { "com.openfaas.ui.test": "1" },
    }]});
    std::fs::write(&store, body.to_string()).expect("writing the store file");

    let secrets = env.state_dir().join("secrets");
    let gateway_url = format!("http://{}", gw.addr);
    let mut node = Command::new("node");
    node.arg(script_dir.join("ui.mjs"))
        .current_dir(&script_dir)
        .env("FAAS_CHROMIUM", &chromium)
        .env("FAAS_GATEWAY_URL", &gateway_url)
        .env("FAAS_USER", read_secret(&secrets, "basic-auth-user"))
        .env(
            "FAAS_PASSWORD",
            read_secret(&secrets, "basic-auth-password"),
        )
        .env("FAAS_NAMESPACE", &ns)
        .env("FAAS_FUNCTION", "hello")
        .env("FAAS_STORE_FILE", &store)
        .env("FAAS_STORE_FUNCTION", "ui-store");
    let out = tokio::task::spawn_blocking(move || node.output())
        .await
        .expect("the node task")
        .expect("running node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tests/ui/ui.mjs failed ({}):\n{stdout}\n{stderr}\nfaasd log:\n{}",
        out.status,
        faasd.log_text()
    );
    assert!(stdout.contains("all checks passed"), "{stdout}\n{stderr}");
    // What the browser did is what the API sees.
    assert_eq!(gw.describe("hello", &ns).await, serde_json::Value::Null);
    assert_eq!(gw.replicas("ui-store", &ns).await, (1, 1));
    env.finish(faasd).await;
}

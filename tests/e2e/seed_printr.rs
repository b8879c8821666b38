//! The tutorial's bash chapter against `faasd up`: `faas template store pull bash-streaming`
//! from a template store file of our own, `faas new --lang bash-streaming printr`, the seed's
//! `handler.sh` counting to 10000, the seed's `printr.yml` with one-minute timeouts, `faas up`,
//! and a GET that streams all 10000 lines.

use std::path::Path;
use std::time::Duration;

use faas_e2e::services::repo_root;

use crate::seed_support::SeedWorld;

/// The seed's `printr/handler.sh`.
const PRINTR_HANDLER: &str =
    "#!/bin/sh\n\nfor i in $(seq 1 10000) ; do  sleep 0.001 &&  echo $i; done\n";

/// The seed's second `printr.yml`, with its gateway and image for this world.
fn printr_stack(gateway: &str, image: &str) -> String {
    format!(
        "version: 1.0
provider:
  name: openfaas
  gateway: {gateway}
functions:
  printr:
    lang: bash-streaming
    handler: ./printr
    image: {image}
    environment:
      write_timeout: 1m
      read_timeout: 1m
      exec_timeout: 1m
"
    )
}

/// A file in the project's `template/bash-streaming/` that only the store's copy has, so the
/// test can tell a pull from the store apart from the shipped fallback.
pub(crate) const STORE_MARKER: &str = "FROM_TEMPLATE_STORE";

/// Writes a template store under `dir` listing bash-streaming, whose repository is a local folder
/// holding a copy of our shipped template; the store file's path.
pub(crate) fn write_template_store(dir: &Path) -> String {
    let repository = dir.join("repository");
    let template = repository.join("template").join("bash-streaming");
    copy_dir(
        &repo_root().join("templates").join("bash-streaming"),
        &template,
    );
    std::fs::write(
        template.join(STORE_MARKER),
        "pulled from the test's store\n",
    )
    .unwrap();
    let store = serde_json::json!([{
        "template": "bash-streaming",
        "platform": "x86_64",
        "language": "bash",
        "source": "openfaas-incubator",
        "description": "Bash Streaming template",
        "repo": repository.to_string_lossy(),
        "official": "false",
        "recommended": false
    }]);
    let file = dir.join("templates.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&store).unwrap()).unwrap();
    file.to_string_lossy().into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn printr_streams_ten_thousand_lines() {
    let Some(mut world) = SeedWorld::start().await else {
        return;
    };
    let store = write_template_store(&world.env.dir.join("store"));
    world.cli.export("OPENFAAS_TEMPLATE_STORE_URL", &store);
    let cli = &world.cli;

    // faas-cli template store pull bash-streaming
    let pulled = cli
        .ok(&["template", "store", "pull", "bash-streaming"])
        .await;
    assert!(
        cli.path("template/bash-streaming")
            .join(STORE_MARKER)
            .exists(),
        "the template did not come from the store: {pulled:#?}"
    );

    // faas-cli new --lang bash-streaming printr; edit handler.sh and printr.yml
    cli.ok(&["new", "--lang", "bash-streaming", "printr"]).await;
    assert!(cli.path("printr.yml").exists() && cli.path("printr/handler.sh").exists());
    cli.write("printr/handler.sh", PRINTR_HANDLER);
    cli.write(
        "printr.yml",
        &printr_stack(&world.gateway_url(), &world.user_image("printr")),
    );

    // faas-cli up -f printr.yml
    world.login().await;
    world.with_build_args(&["up", "-f", "printr.yml"]).await;
    world.wait_ready("printr").await;
    let gateway = world.gateway();
    let described = gateway.describe("printr", &world.env.namespace).await;
    for timeout in ["write_timeout", "read_timeout", "exec_timeout"] {
        assert_eq!(described["envVars"][timeout], "1m", "{described}");
    }

    // curl http://<gateway>/function/printr — and, once lines flow, a rolling update of
    // printr: the replica serving the stream drains (SIGTERM, its one-minute grace, network
    // kept up) and the stream still ends with all 10000 lines.
    let mut update = serde_json::json!({
        "service": "printr",
        "namespace": world.env.namespace,
        "image": described["image"],
        "envProcess": described["envProcess"],
        "envVars": described["envVars"],
        "labels": described["labels"],
        "annotations": described["annotations"],
    });
    update["envVars"]["redeployed"] = "yes".into();
    let updater = world.gateway();
    let mut updating = None;
    let started = tokio::time::Instant::now();
    let mut body = Vec::new();
    let mut first_line_after = None;
    gateway
        .stream("/function/printr", Duration::from_secs(90), |chunk| {
            if first_line_after.is_none() && chunk.contains(&b'\n') {
                first_line_after = Some(started.elapsed());
                let (gw, update) = (updater.clone(), update.clone());
                updating = Some(tokio::spawn(async move { gw.update(&update).await }));
            }
            body.extend_from_slice(chunk);
            body.ends_with(b"\n10000\n")
        })
        .await
        .unwrap_or_else(|e| {
            panic!(
                "streaming printr: {e}; got {} lines, the last: {:?}",
                body.iter().filter(|b| **b == b'\n').count(),
                String::from_utf8_lossy(&body).lines().last()
            )
        });
    let last_line_after = started.elapsed();
    let updated = updating
        .expect("the update was sent")
        .await
        .expect("the update task");
    assert!(updated.status < 300, "update: {}", updated.text());
    let now = world
        .gateway()
        .describe("printr", &world.env.namespace)
        .await;
    assert_eq!(now["envVars"]["redeployed"], "yes", "{now}");
    let text = String::from_utf8(body).expect("printr writes text");
    let expected: Vec<String> = (1..=10000).map(|i| i.to_string()).collect();
    assert!(
        text.lines().eq(expected.iter().map(String::as_str)),
        "printr's answer is not 1..=10000: {} lines",
        text.lines().count()
    );
    // Ten thousand 1 ms sleeps take at least 10 s: a streamed answer starts long before it ends.
    let first_line_after = first_line_after.expect("a first line");
    assert!(
        last_line_after >= Duration::from_secs(10) && first_line_after * 4 < last_line_after,
        "not streamed: first line after {first_line_after:?}, last after {last_line_after:?}"
    );
    world.finish().await;
}

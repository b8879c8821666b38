//! A stack file written for faas-cli, in the tutorial's format (`version: 1.0`, `provider:
//! {name: openfaas, gateway}`, `functions:` with `lang`, `handler`, `image`, `environment`),
//! deployed unchanged by our CLI to `faasd up` and removed again. The image is the harness's test
//! server (no build), whose answer shows the environment the stack file gave it.

use faas_e2e::images;

use crate::seed_support::SeedWorld;

/// The tutorial's stack format with two functions sharing one image. Their names differ from the
/// other seed tests' functions: worlds on private containerds still share runc's state and the
/// cgroup tree, keyed by namespace and container id (see `seed_support`).
fn seed_format_stack(gateway: &str, image: &str) -> String {
    format!(
        "version: 1.0
provider:
  name: openfaas
  gateway: {gateway}
functions:
  figlet:
    lang: python
    handler: ./figlet
    image: {image}
  printr-stack:
    lang: bash-streaming
    handler: ./printr-stack
    image: {image}
    environment:
      MSG: from-the-stack-file
      write_timeout: 1m
      read_timeout: 1m
      exec_timeout: 1m
"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn faas_cli_stack_file_deploys_unchanged() {
    let Some(world) = SeedWorld::start_without_builds().await else {
        return;
    };
    let image = world
        .env
        .push(&images::server("from-the-image"), "seed-stack", "latest");
    let cli = &world.cli;
    cli.write(
        "stack.yml",
        &seed_format_stack(&world.gateway_url(), &image),
    );
    world.login().await;

    let deployed = cli.ok(&["deploy", "-f", "stack.yml"]).await;
    for name in ["figlet", "printr-stack"] {
        assert!(
            deployed.stdout.contains(&format!("/function/{name}")),
            "{deployed:#?}"
        );
        world.wait_ready(name).await;
    }
    let gateway = world.gateway();
    let plain = gateway.invoke("figlet", &world.env.namespace, "/").await;
    assert!(
        plain.text().starts_with("msg=from-the-image "),
        "{}",
        plain.text()
    );
    let configured = gateway
        .invoke("printr-stack", &world.env.namespace, "/")
        .await;
    assert!(
        configured.text().starts_with("msg=from-the-stack-file "),
        "{}",
        configured.text()
    );
    let described = gateway.describe("printr-stack", &world.env.namespace).await;
    assert_eq!(described["envVars"]["exec_timeout"], "1m", "{described}");

    // `faas list -f stack.yml` reads the gateway from the file; `faas remove -f` removes both.
    let listed = cli.ok(&["list", "-f", "stack.yml"]).await;
    let names: Vec<String> = faas_e2e::faas_cli::parse_list(&listed.stdout)
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["figlet", "printr-stack"], "{listed:#?}");
    cli.ok(&["remove", "-f", "stack.yml"]).await;
    for name in ["figlet", "printr-stack"] {
        assert!(
            world.list_until(name, |f| f.is_none()).await.is_none(),
            "{name} not removed"
        );
    }
    world.finish().await;
}

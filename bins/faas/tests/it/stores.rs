//! store list / deploy with --platform armhf (over HTTP and from a file), template store list.

use faas_core::Provider as _;

use crate::support::{file_server, run_faas, start};

const STORE: &str = r#"{
  "version": "0.2.1",
  "functions": [
    {"title": "NodeInfo", "name": "nodeinfo", "author": "openfaas",
     "description": "Get info about the machine",
     "images": {"x86_64": "ghcr.io/openfaas/nodeinfo:latest"}},
    {"title": "Figlet", "name": "figlet", "author": "",
     "description": "Generate ASCII logos with the figlet CLI",
     "images": {"x86_64": "ghcr.io/openfaas/figlet:latest", "armhf": "ghcr.io/openfaas/figlet:latest-armhf", "arm64": "ghcr.io/openfaas/figlet:latest-arm64"},
     "fprocess": "figlet", "repo_url": "https://github.com/openfaas/store-functions"}
  ]
}"#;

const TEMPLATES: &str = r#"[
  {"template": "zeta", "platform": "x86_64", "language": "Z", "source": "someone", "description": "Z template", "repo": "https://example.invalid/z", "official": "false", "recommended": false},
  {"template": "bash-streaming", "platform": "x86_64", "language": "Bash", "source": "openfaas-incubator", "description": "Bash Streaming template", "repo": "https://example.invalid/streaming", "official": "true", "recommended": true},
  {"template": "arm-only", "platform": "armhf", "language": "C", "source": "x", "description": "d", "repo": "r", "official": "false", "recommended": false}
]"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_list_and_deploy_for_armhf() {
    let gw = start().await;
    gw.login().await;
    let url = file_server(STORE).await;
    let listed = gw
        .faas(&["store", "list", "--platform", "armhf", "-u", &url], b"")
        .await
        .ok();
    assert_eq!(
        listed.stdout,
        "FUNCTION  AUTHOR   DESCRIPTION\nfiglet    unknown  Figlet\n"
    );

    std::fs::write(gw.dir().join("functions.json"), STORE).unwrap();
    let deployed = gw
        .faas(
            &[
                "store",
                "deploy",
                "--platform",
                "armhf",
                "figlet",
                "--url",
                "functions.json",
            ],
            b"",
        )
        .await
        .ok();
    assert!(
        deployed.stdout.contains("Deployed. 202 Accepted."),
        "{deployed:?}"
    );
    assert!(
        deployed
            .stdout
            .contains(&format!("URL: {}/function/figlet", gw.url())),
        "{deployed:?}"
    );
    let functions = gw.provider.list("openfaas-fn".into()).await.unwrap();
    assert_eq!(functions[0].image, "ghcr.io/openfaas/figlet:latest-armhf");
    assert_eq!(functions[0].env_process.as_deref(), Some("figlet"));

    let missing = gw.faas(&["store", "deploy", "nope", "-u", &url], b"").await;
    missing.failed_with_one_line();
    let wrong_platform = gw
        .faas(&["store", "list", "-p", "mips", "-u", &url], b"")
        .await;
    assert!(wrong_platform
        .failed_with_one_line()
        .contains("try one of the following: arm64, armhf, x86_64"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_store_list_from_a_file_and_offline_pull() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("templates.json"), TEMPLATES).unwrap();
    let listed = run_faas(
        dir.path(),
        &[],
        &["template", "store", "list", "-u", "templates.json"],
        b"",
    )
    .await
    .ok();
    assert_eq!(
        listed.stdout,
        "NAME            RECOMMENDED  SOURCE              DESCRIPTION\n\
         bash-streaming  true         openfaas-incubator  Bash Streaming template\n\
         zeta            false        someone             Z template\n"
    );
    let env = [(
        "OPENFAAS_TEMPLATE_STORE_URL",
        "file:///nonexistent/templates.json",
    )];
    let pulled = run_faas(
        dir.path(),
        &env,
        &["template", "store", "pull", "bash-streaming"],
        b"",
    )
    .await
    .ok();
    assert!(pulled.stderr.contains("shipped with faas"), "{pulled:?}");
    assert!(dir
        .path()
        .join("template/bash-streaming/template.yml")
        .is_file());
    let created = run_faas(
        dir.path(),
        &[],
        &["new", "--lang", "bash-streaming", "printr"],
        b"",
    )
    .await
    .ok();
    assert!(
        created.stdout.contains("Stack file written: printr.yml"),
        "{created:?}"
    );
    assert!(dir.path().join("printr/handler.sh").is_file());
}

//! deploy (seed stack file), list, invoke, describe, logs, remove, namespaces, version.

use faas_core::{FunctionRef, LogMessage, Provider as _};

use crate::support::{echo_function, start};

const SEED_STACK: &str = "version: 1.0
provider:
  name: openfaas
  gateway: http://192.168.0.107:8080
functions:
  hello-python:
    lang: python
    handler: ./hello-python
    image: josanabr/hello-python:latest
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_stack_deploys_put_then_post_and_is_invoked() {
    let gw = start().await;
    gw.login().await;
    let stack = SEED_STACK.replace("http://192.168.0.107:8080", &gw.url());
    std::fs::write(gw.dir().join("hello-python.yml"), stack).unwrap();
    std::fs::create_dir(gw.dir().join("hello-python")).unwrap();

    let first = gw
        .faas(&["deploy", "-f", "./hello-python.yml"], b"")
        .await
        .ok();
    assert!(
        first.stdout.contains("Deploying: hello-python."),
        "{first:?}"
    );
    assert!(
        first.stdout.contains("Deployed. 202 Accepted."),
        "{first:?}"
    );
    assert!(
        first
            .stdout
            .contains(&format!("URL: {}/function/hello-python\n", gw.url())),
        "{first:?}"
    );
    // PUT first (404: unknown), then POST.
    assert_eq!(
        gw.provider.calls(),
        [
            "update hello-python.openfaas-fn",
            "deploy hello-python.openfaas-fn"
        ]
    );

    let second = gw
        .faas(&["deploy", "-f", "./hello-python.yml"], b"")
        .await
        .ok();
    assert!(
        second.stdout.contains("Deployed. 202 Accepted."),
        "{second:?}"
    );
    assert_eq!(
        gw.provider.calls(),
        [
            "update hello-python.openfaas-fn",
            "deploy hello-python.openfaas-fn",
            "update hello-python.openfaas-fn"
        ]
    );
    let deployed = gw.provider.list("openfaas-fn".into()).await.unwrap();
    assert_eq!(deployed[0].image, "josanabr/hello-python:latest");
    // The `python` template is Python 2.7, like upstream's.
    assert_eq!(deployed[0].env_process.as_deref(), Some("python index.py"));

    let echo = echo_function().await;
    gw.provider
        .set_backend(&FunctionRef::new("hello-python", None), vec![echo]);
    let invoked = gw.faas(&["invoke", "hello-python"], b"Hello!\n").await.ok();
    assert_eq!(invoked.stdout, "You said: Hello!\n");
    gw.faas(&["invoke", "hello-python", "--query", "q=100%"], b"x")
        .await
        .ok();

    let listed = gw.faas(&["list"], b"").await.ok();
    assert_eq!(
        listed.stdout,
        "Function                        Invocations     Replicas\nhello-python                    2               1\n"
    );
    let verbose = gw.faas(&["list", "-v"], b"").await.ok();
    assert!(
        verbose.stdout.contains("josanabr/hello-python:latest"),
        "{verbose:?}"
    );

    let described = gw.faas(&["describe", "hello-python"], b"").await.ok();
    assert!(
        described.stdout.contains("Status:              Ready"),
        "{described:?}"
    );
    assert!(
        described
            .stdout
            .contains("Function Process:    python index.py"),
        "{described:?}"
    );

    gw.provider.push_log(LogMessage {
        name: "hello-python".into(),
        namespace: "openfaas-fn".into(),
        instance: "hello-python-1".into(),
        timestamp: "2026-11-25T13:00:00.123456Z".parse().unwrap(),
        text: "Forking - python3 index.py []".into(),
    });
    let logs = gw
        .faas(&["logs", "hello-python", "--follow=false"], b"")
        .await
        .ok();
    assert_eq!(
        logs.stdout,
        "2026-11-25T13:00:00.123456Z hello-python (hello-python-1) Forking - python3 index.py []\n"
    );

    let removed = gw.faas(&["remove", "hello-python"], b"").await.ok();
    assert!(
        removed.stdout.contains("Removing old function."),
        "{removed:?}"
    );
    let again = gw.faas(&["rm", "hello-python"], b"").await;
    assert!(
        again
            .failed_with_one_line()
            .contains("no existing function to remove"),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_functions_fail_with_one_line() {
    let gw = start().await;
    gw.login().await;
    let invoke = gw.faas(&["invoke", "nope"], b"x").await;
    assert!(
        invoke
            .failed_with_one_line()
            .contains("invoking nope: the server answered 404"),
        "{invoke:?}"
    );
    let describe = gw.faas(&["describe", "nope"], b"").await;
    assert!(
        describe
            .failed_with_one_line()
            .contains("no such function: nope"),
        "{describe:?}"
    );
    let scale = gw.faas(&["scale", "nope", "--replicas", "2"], b"").await;
    scale.failed_with_one_line();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces_version_and_ready() {
    let gw = start().await;
    gw.login().await;
    let namespaces = gw.faas(&["namespace", "list"], b"").await.ok();
    assert_eq!(namespaces.stdout, "Namespaces:\n - openfaas-fn\n");
    gw.faas(&["namespace", "create", "dev"], b"").await.ok();
    let namespaces = gw.faas(&["ns", "ls"], b"").await.ok();
    assert!(namespaces.stdout.contains(" - dev\n"), "{namespaces:?}");
    gw.faas(&["namespace", "remove", "dev"], b"").await.ok();

    let version = gw.faas(&["version"], b"").await.ok();
    assert!(
        version.stdout.contains(&format!(" uri:     {}", gw.url())),
        "{version:?}"
    );
    assert!(
        version.stdout.contains(" name:          fake"),
        "{version:?}"
    );

    gw.faas(&["ready", "--attempts", "2", "--interval", "10ms"], b"")
        .await
        .ok();
    gw.faas(
        &[
            "deploy",
            "--image",
            "ghcr.io/openfaas/alpine:latest",
            "--name",
            "cat",
            "--fprocess",
            "cat",
        ],
        b"",
    )
    .await
    .ok();
    let not_ready = gw
        .faas(
            &["ready", "cat", "--attempts", "2", "--interval", "10ms"],
            b"",
        )
        .await;
    assert!(
        not_ready
            .failed_with_one_line()
            .contains("no replica is ready"),
        "{not_ready:?}"
    );
}

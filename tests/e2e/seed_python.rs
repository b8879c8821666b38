//! The tutorial's Python chapter against `faasd up` on containerd, command by command with our
//! `faas` CLI: `new --lang python`, the seed's handler, `build` with buildah on the base images,
//! `push` to the local registry, `login`, `deploy`, `invoke` and a plain HTTP POST, `list`,
//! `remove`; and a function whose `requirements.txt` is installed when its image is built.

use crate::seed_support::{point_stack_at, SeedWorld};

/// The seed's `hello-python/handler.py`.
const HELLO_HANDLER: &str = "def handle(req):\n    print(\"Hello! You said: \" + req)\n";

/// The seed's request body and the answer it expects.
const SAID: &str = "it's john here";
const ANSWER: &str = "Hello! You said: it's john here";

#[tokio::test(flavor = "multi_thread")]
async fn hello_python_walkthrough() {
    let Some(world) = SeedWorld::start().await else {
        return;
    };
    let cli = &world.cli;

    // faas-cli new --lang python hello-python
    cli.ok(&["new", "--lang", "python", "hello-python"]).await;
    let generated = cli.read("hello-python.yml");
    for expected in [
        "version: 1.0",
        "name: openfaas",
        "lang: python",
        "handler: ./hello-python",
    ] {
        assert!(
            generated.contains(expected),
            "{expected:?} missing from:\n{generated}"
        );
    }
    assert!(cli.path("hello-python/requirements.txt").exists());
    cli.write("hello-python/handler.py", HELLO_HANDLER);
    let image = world.user_image("hello-python");
    cli.write(
        "hello-python.yml",
        &point_stack_at(&generated, &world.gateway_url(), &image),
    );

    // faas-cli build / push (buildah, base images from the local registry)
    world
        .with_build_args(&["build", "-f", "./hello-python.yml"])
        .await;
    let pushed = cli.ok(&["push", "-f", "./hello-python.yml"]).await;
    assert!(pushed.stdout.contains(&image), "{pushed:#?}");

    // faas-cli login --password-stdin, faas-cli deploy
    world.login().await;
    let deployed = cli.ok(&["deploy", "-f", "./hello-python.yml"]).await;
    assert!(
        deployed.stdout.contains("/function/hello-python"),
        "deploy prints the URL: {deployed:#?}"
    );
    world.wait_ready("hello-python").await;

    // echo "it's john here" | faas-cli invoke hello-python
    let invoked = cli
        .run(&["invoke", "hello-python"], SAID.as_bytes())
        .await
        .success();
    assert_eq!(invoked.stdout.trim_end(), ANSWER);

    // curl http://<gateway>/function/hello-python -d "it's john here"
    let posted = world.curl("/function/hello-python", Some(SAID)).await;
    assert_eq!(posted.status, 200, "{posted:?}");
    assert_eq!(posted.text().trim_end(), ANSWER);

    // faas-cli list: two invocations, one replica
    let listed = world
        .list_until("hello-python", |f| f.is_some_and(|f| f.invocations == 2))
        .await
        .expect("hello-python is listed");
    assert_eq!((listed.invocations, listed.replicas), (2, 1), "{listed:?}");

    // faas-cli remove hello-python
    cli.ok(&["remove", "hello-python"]).await;
    let gone = world.list_until("hello-python", |f| f.is_none()).await;
    assert!(gone.is_none(), "still listed after remove: {gone:?}");
    world.finish().await;
}

/// The handler of the requirements test: it imports a module only the package installed from
/// its `requirements.txt` provides.
const GREETING_HANDLER: &str =
    "from greeting import greet\n\n\ndef handle(req):\n    return greet(req)\n";

/// A local package the handler's `requirements.txt` points at (`./greeting`), built by pip with
/// the setuptools of the base image: `--no-index` proves nothing is fetched.
const GREETING_REQUIREMENTS: &str = "--no-index\n./greeting\n";
const GREETING_SETUP: &str =
    "from setuptools import setup\n\nsetup(name=\"greeting\", version=\"1.0\", py_modules=[\"greeting\"])\n";
const GREETING_MODULE: &str =
    "def greet(name):\n    return \"Installed greeting says hello to \" + name.strip()\n";

#[tokio::test(flavor = "multi_thread")]
async fn python_requirements_are_installed_at_build_time() {
    let Some(world) = SeedWorld::start().await else {
        return;
    };
    let cli = &world.cli;
    cli.ok(&["new", "--lang", "python", "hello-requirements"])
        .await;
    cli.write("hello-requirements/handler.py", GREETING_HANDLER);
    cli.write("hello-requirements/requirements.txt", GREETING_REQUIREMENTS);
    cli.write("hello-requirements/greeting/setup.py", GREETING_SETUP);
    cli.write("hello-requirements/greeting/greeting.py", GREETING_MODULE);
    let generated = cli.read("hello-requirements.yml");
    cli.write(
        "hello-requirements.yml",
        &point_stack_at(
            &generated,
            &world.gateway_url(),
            &world.user_image("hello-requirements"),
        ),
    );

    // The seed's loop: for i in build push deploy; do faas-cli ${i} -f ./hello-python.yml; done
    world
        .with_build_args(&["build", "-f", "./hello-requirements.yml"])
        .await;
    world.login().await;
    for command in ["push", "deploy"] {
        cli.ok(&[command, "-f", "./hello-requirements.yml"]).await;
    }
    world.wait_ready("hello-requirements").await;

    let answer = world.curl("/function/hello-requirements", Some(SAID)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.text().trim_end(),
        "Installed greeting says hello to it's john here"
    );
    world.finish().await;
}

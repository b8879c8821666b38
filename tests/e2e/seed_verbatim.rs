//! The seed tutorial's faasd chapters, verbatim: every `faas-cli` command of the seed, in the
//! seed's order, typed exactly as the seed shows it and run with `bash -c` through the name
//! `faas-cli` (a symlink to our `faas` in the test's own bin folder, first on `PATH`), against
//! `faasd up` on containerd; each command's output is checked against what the seed shows.
//!
//! What the seed takes from the outside world is replaced by a local stand-in
//! ([`crate::seed_stand_ins`]) in the places the seed tells its reader to put their own: the
//! server `192.168.0.107` (in `OPENFAAS_URL`, the stack files' `gateway:` and the URLs curl
//! calls), the Docker Hub user `josanabr/` (the stack files' `image:`, here the tests'
//! registry), the store and its Figlet image (`OPENFAAS_STORE_URL`), the template store
//! (`OPENFAAS_TEMPLATE_STORE_URL`) and the RSS URL in the request body. The stack files also get
//! `build_args:` naming the base images in the tests' registry (the templates default to
//! `127.0.0.1:5000`). No `faas-cli` command line is changed.
//!
//! After the seed's commands, the operations the seed's command table names but does not show:
//! `logs`, `describe`, `secret create|list` with a function of the python3 template (running as
//! the non-root user `app`) that reads its secret, and `remove`.

use faas_e2e::faas_cli::{faas_binary, parse_list, CliRun};

use crate::seed_printr::{write_template_store, STORE_MARKER};
use crate::seed_stand_ins::{figlet_store, RssFeed, ServerAddress};
use crate::seed_support::{point_stack_at, SeedWorld};

/// The line faas-cli prints before deploying over plain HTTP to another machine.
const NOT_SECURE: &str = "WARNING! Communication is not secure, please consider using HTTPS. Letsencrypt.org offers free SSL/TLS certificates.";

/// The seed's `echo "faasd" | faas-cli invoke figlet` answer.
const FAASD_BANNER: &str = r"  __                     _
 / _| __ _  __ _ ___  __| |
| |_ / _` |/ _` / __|/ _` |
|  _| (_| | (_| \__ \ (_| |
|_|  \__,_|\__,_|___/\__,_|
";

/// The seed's first `hello-python/handler.py`.
const HELLO_HANDLER: &str = "def handle(req):\n    print(\"Hello! You said: \" + req)\n";

/// The seed's second `hello-python/handler.py` (Python 2).
const RSS_HANDLER: &str = r#"import requests
import json

def handle(req):
    result = {"found": False}
    json_req = json.loads(req)
    r = requests.get(json_req["url"])
    if json_req["term"] in r.text:
        result = {"found": True}

    print json.dumps(result)
"#;

/// The seed's `printr/handler.sh`.
const PRINTR_HANDLER: &str =
    "#!/bin/sh\n\nfor i in $(seq 1 10000) ; do  sleep 0.001 &&  echo $i; done\n";

/// The secret the non-root function reads.
const API_KEY: &str = "s3cr3t-of-the-seed-walk";

/// A python3 handler (the template runs it as the user `app`) answering its secret.
const SECRET_HANDLER: &str =
    "def handle(req):\n    with open(\"/var/openfaas/secrets/api-key\") as f:\n        return f.read().strip()\n";

/// Runs one of the seed's lines and panics with its output unless it exits 0.
async fn seed(world: &SeedWorld, line: &str) -> CliRun {
    let run = world.cli.shell(line).await;
    assert_eq!(run.code, 0, "the seed's `{line}` failed:\n{run:#?}");
    run
}

/// Panics unless `run`'s stdout has every one of `lines` (trimmed) as a line of its own.
fn shows(run: &CliRun, lines: &[&str]) {
    for wanted in lines {
        assert!(
            run.stdout.lines().any(|l| l.trim_end() == *wanted),
            "`{}` does not show {wanted:?}:\n{run:#?}",
            run.command
        );
    }
}

/// Checks a deploy's output as the seed shows it: the warning, `Deployed. 200 OK.` (faasd) or
/// `202 Accepted.` (our gateway's answer to a deploy), and the function's URL.
fn deployed(run: &CliRun, url: &str, name: &str) {
    shows(run, &[NOT_SECURE, &format!("URL: {url}/function/{name}")]);
    assert!(
        run.stdout
            .lines()
            .any(|l| l == "Deployed. 202 Accepted." || l == "Deployed. 200 OK."),
        "no `Deployed.` line:\n{run:#?}"
    );
}

/// A stack file as the reader edits it: the seed's gateway and image lines with this world's
/// server and registry, the base images as build args, and `extra` lines for the function.
fn edited_stack(
    world: &SeedWorld,
    generated: &str,
    gateway: &str,
    name: &str,
    extra: &str,
) -> String {
    let images = world.images.expect("a world with base images");
    let mut args: Vec<String> = images
        .build_args()
        .into_iter()
        .filter(|a| a != "--build-arg")
        .collect();
    if !args.iter().any(|a| a.starts_with("PYTHON2_IMAGE=")) {
        args.push(format!("PYTHON2_IMAGE={}/faas/python:2.7", images.registry));
    }
    let mut block = String::from("    build_args:\n");
    for arg in args {
        let (k, v) = arg.split_once('=').expect("K=V");
        block.push_str(&format!("      {k}: {v}\n"));
    }
    block.push_str(extra);
    let stack = point_stack_at(generated, gateway, &world.user_image(name));
    let mut out = String::new();
    for line in stack.lines() {
        out.push_str(line);
        out.push('\n');
        if line.trim_start().starts_with("image:") {
            out.push_str(&block);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_commands_run_verbatim_through_faas_cli() {
    let Some(mut world) = SeedWorld::start().await else {
        return;
    };
    // faas-cli on PATH, first.
    let bin = world.env.dir.join("bin");
    std::fs::create_dir_all(&bin).expect("the bin folder");
    std::os::unix::fs::symlink(faas_binary(), bin.join("faas-cli")).expect("the faas-cli link");
    let path = format!(
        "{}:{}",
        bin.display(),
        world.cli.var("PATH").unwrap_or_default()
    );
    world.cli.export("PATH", &path);
    let server = ServerAddress::start(world.faasd.addr).await;
    let url = server.url();
    let store = figlet_store(&world).await;
    let templates = write_template_store(&world.env.dir.join("template-store"));
    let feed = RssFeed::start(server.ip).await;
    let password =
        std::fs::read_to_string(world.env.state_dir().join("secrets/basic-auth-password"))
            .expect("faasd's basic-auth-password");
    world
        .cli
        .export("OPENFAAS_URL", &url)
        .export("OPENFAAS_STORE_URL", &store)
        .export("OPENFAAS_TEMPLATE_STORE_URL", &templates);

    // echo "<password>" | faas-cli login --password-stdin
    let login = seed(
        &world,
        &format!(
            "echo \"{}\" | faas-cli login --password-stdin",
            password.trim()
        ),
    )
    .await;
    assert!(
        login
            .stdout
            .contains(&format!("credentials saved for admin {url}")),
        "{login:#?}"
    );

    // faas-cli store list --platform armhf
    let listed = seed(&world, "faas-cli store list --platform armhf").await;
    let header: Vec<&str> = listed
        .stdout
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert!(
        header.first() == Some(&"FUNCTION") && header.last() == Some(&"DESCRIPTION"),
        "{listed:#?}"
    );
    for (name, title) in [
        ("nodeinfo", "NodeInfo"),
        ("figlet", "Figlet"),
        ("nslookup", "nslookup"),
    ] {
        assert!(
            listed
                .stdout
                .lines()
                .any(|l| l.starts_with(name) && l.trim_end().ends_with(title)),
            "{name} missing:\n{listed:#?}"
        );
    }

    // faas-cli store deploy --platform armhf figlet
    let figlet = seed(&world, "faas-cli store deploy --platform armhf figlet").await;
    deployed(&figlet, &url, "figlet");
    world.wait_ready("figlet").await;

    // echo "faasd" | faas-cli invoke figlet
    let banner = seed(&world, "echo \"faasd\" | faas-cli invoke figlet").await;
    let drawn: Vec<&str> = banner
        .stdout
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        drawn,
        FAASD_BANNER.lines().collect::<Vec<_>>(),
        "{banner:#?}"
    );

    // faas-cli new --lang python hello-python; ls hello-python hello-python.yml
    seed(&world, "faas-cli new --lang python hello-python").await;
    let ls = seed(&world, "ls hello-python hello-python.yml").await;
    shows(
        &ls,
        &[
            "hello-python.yml",
            "hello-python:",
            "handler.py",
            "requirements.txt",
        ],
    );

    // The seed's handler and hello-python.yml (gateway and image lines edited).
    let cli = &world.cli;
    cli.write("hello-python/handler.py", HELLO_HANDLER);
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
    cli.write(
        "hello-python.yml",
        &edited_stack(&world, &generated, &url, "hello-python", ""),
    );
    let image = world.user_image("hello-python");

    // faas-cli build / push / deploy -f ./hello-python.yml
    let built = seed(&world, "faas-cli build -f ./hello-python.yml").await;
    let all = format!("{}{}", built.stdout, built.stderr);
    assert!(
        all.contains(&format!("Image: {image} built.")),
        "{built:#?}"
    );
    let pushed = seed(&world, "faas-cli push -f ./hello-python.yml").await;
    assert!(
        format!("{}{}", pushed.stdout, pushed.stderr).contains(&format!("Pushing {image}")),
        "{pushed:#?}"
    );
    let first = seed(&world, "faas-cli deploy -f ./hello-python.yml").await;
    shows(&first, &["Deploying: hello-python."]);
    deployed(&first, &url, "hello-python");
    world.wait_ready("hello-python").await;

    // curl http://192.168.0.107:8080/function/hello-python -d "it's john here"
    let said = seed(
        &world,
        &format!("curl {url}/function/hello-python -d \"it's john here\""),
    )
    .await;
    assert_eq!(
        said.stdout.trim_end(),
        "Hello! You said: it's john here",
        "{said:#?}"
    );

    // faas-cli list
    let mut table = seed(&world, "faas-cli list").await;
    for _ in 0..50 {
        let rows = parse_list(&table.stdout);
        if rows
            .iter()
            .any(|f| f.name == "hello-python" && f.invocations == 1)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        table = seed(&world, "faas-cli list").await;
    }
    assert!(
        table
            .stdout
            .starts_with("Function                        Invocations     Replicas\n"),
        "{table:#?}"
    );
    let rows = parse_list(&table.stdout);
    let row = |name: &str| {
        rows.iter()
            .find(|f| f.name == name)
            .map(|f| (f.invocations, f.replicas))
    };
    assert_eq!(row("hello-python"), Some((1, 1)), "{table:#?}");
    assert_eq!(row("figlet"), Some((1, 1)), "{table:#?}");

    // echo "Hello!" | faas-cli invoke hello-python
    let hello = seed(&world, "echo \"Hello!\" | faas-cli invoke hello-python").await;
    assert_eq!(
        hello.stdout.trim_end(),
        "Hello! You said: Hello!",
        "{hello:#?}"
    );

    // requirements.txt gets `requests`; the Python 2 handler; the build, push, deploy loop.
    cli.write("hello-python/requirements.txt", "requests\n");
    cli.write("hello-python/handler.py", RSS_HANDLER);
    let looped = seed(
        &world,
        "for i in build push deploy; do\n  faas-cli ${i} -f ./hello-python.yml\ndone",
    )
    .await;
    shows(
        &looped,
        &["Function hello-python already exists, attempting rolling-update."],
    );
    deployed(&looped, &url, "hello-python");
    world.wait_ready("hello-python").await;
    let search = |term: &str| {
        format!(
            "curl {url}/function/hello-python -d '{{ \"url\": \"{}\", \"term\": \"{term}\" }}'",
            feed.url
        )
    };
    let found = seed(&world, &search("docker")).await;
    assert_eq!(found.stdout.trim_end(), "{\"found\": true}", "{found:#?}");
    let not_found = seed(&world, &search("kubernetes")).await;
    assert_eq!(
        not_found.stdout.trim_end(),
        "{\"found\": false}",
        "{not_found:#?}"
    );

    printr_chapter(&world, &url).await;
    operations(&world, &url).await;

    // faas-cli remove. Not printr: with the seed's one-minute write_timeout its replica drains
    // for about a minute, and the gateway answers the DELETE only once it has, after
    // faas-cli's 60 s timeout.
    for line in [
        "faas-cli remove figlet",
        "faas-cli remove -f ./hello-python.yml",
        "faas-cli remove -f secret-reader.yml",
    ] {
        let removed = seed(&world, line).await;
        shows(&removed, &["Removing old function."]);
    }
    let left: Vec<String> = parse_list(&seed(&world, "faas-cli list").await.stdout)
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(left, ["printr"], "functions left after remove");
    drop(feed);
    drop(server);
    world.finish().await;
}

/// The bash chapter: template store pull, new, the seed's handler, `up`, curl; the timeouts
/// edit, `up` again (so the edit reaches faasd) and curl with all 10000 lines.
async fn printr_chapter(world: &SeedWorld, url: &str) {
    let cli = &world.cli;
    seed(world, "faas-cli template store pull bash-streaming").await;
    assert!(
        cli.path("template/bash-streaming")
            .join(STORE_MARKER)
            .exists(),
        "not pulled from the store"
    );
    seed(world, "faas-cli new --lang bash-streaming printr").await;
    let generated = cli.read("printr.yml");
    for expected in [
        "version: 1.0",
        "lang: bash-streaming",
        "handler: ./printr",
        "image: printr:latest",
    ] {
        assert!(
            generated.contains(expected),
            "{expected:?} missing from:\n{generated}"
        );
    }
    cli.write("printr/handler.sh", PRINTR_HANDLER);
    cli.write(
        "printr.yml",
        &edited_stack(world, &generated, url, "printr", ""),
    );
    let up = seed(world, "faas-cli up -f printr.yml").await;
    shows(&up, &["Deploying: printr."]);
    deployed(&up, url, "printr");
    world.wait_ready("printr").await;
    // The first call may be cut by the default timeouts, as the seed shows: whatever arrived is
    // the start of the count.
    let cut = world
        .cli
        .shell(&format!("curl {url}/function/printr"))
        .await;
    let expected: Vec<String> = (1..=10000).map(|i| i.to_string()).collect();
    let got: Vec<&str> = cut.stdout.lines().collect();
    let whole = got.len().saturating_sub(1);
    assert!(
        !got.is_empty() && got[..whole].iter().zip(&expected).all(|(a, b)| a == b),
        "printr's answer is not a count from 1:\n{}",
        cut.stdout.chars().take(300).collect::<String>()
    );

    // The seed's printr.yml with one-minute timeouts.
    let timeouts = "    environment:\n      write_timeout: 1m\n      read_timeout: 1m\n      exec_timeout: 1m\n";
    cli.write(
        "printr.yml",
        &edited_stack(world, &generated, url, "printr", timeouts),
    );
    let again = seed(world, "faas-cli up -f printr.yml").await;
    deployed(&again, url, "printr");
    let described = world
        .gateway()
        .describe("printr", &world.env.namespace)
        .await;
    assert_eq!(described["envVars"]["exec_timeout"], "1m", "{described}");
    world.wait_ready("printr").await;
    let all = seed(world, &format!("curl {url}/function/printr")).await;
    assert!(
        all.stdout.lines().eq(expected.iter().map(String::as_str)),
        "printr's answer is not 1..=10000: {} lines, ending {:?}",
        all.stdout.lines().count(),
        all.stdout.lines().last()
    );
}

/// logs, describe, secret create and list, and a non-root function reading its secret.
async fn operations(world: &SeedWorld, url: &str) {
    let cli = &world.cli;
    let logs = seed(world, "faas-cli logs hello-python --follow=false").await;
    assert!(
        logs.stdout.lines().any(|l| l.contains("hello-python")),
        "{logs:#?}"
    );
    let described = seed(world, "faas-cli describe hello-python").await;
    for (label, value) in [
        ("Name:", "hello-python"),
        ("Status:", "Ready"),
        ("Replicas:", "1"),
    ] {
        assert!(
            described
                .stdout
                .lines()
                .any(|l| l.starts_with(label) && l.trim_end().ends_with(value)),
            "no {label} {value}:\n{described:#?}"
        );
    }
    shows(
        &described,
        &[&format!("URL:                 {url}/function/hello-python")],
    );

    let created = seed(
        world,
        &format!("faas-cli secret create api-key --from-literal={API_KEY}"),
    )
    .await;
    shows(&created, &["Creating secret: api-key.", "Created."]);
    let secrets = seed(world, "faas-cli secret list").await;
    assert!(
        secrets
            .stdout
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("NAME")),
        "{secrets:#?}"
    );
    assert!(
        secrets.stdout.lines().any(|l| l.trim() == "api-key"),
        "{secrets:#?}"
    );

    seed(world, "faas-cli new --lang python3 secret-reader").await;
    cli.write("secret-reader/handler.py", SECRET_HANDLER);
    let generated = cli.read("secret-reader.yml");
    let secrets = "    secrets:\n      - api-key\n";
    cli.write(
        "secret-reader.yml",
        &edited_stack(world, &generated, url, "secret-reader", secrets),
    );
    let up = seed(world, "faas-cli up -f secret-reader.yml").await;
    deployed(&up, url, "secret-reader");
    world.wait_ready("secret-reader").await;
    let read = world
        .cli
        .shell(&format!(
            "curl -s -w '\\n%{{http_code}}' {url}/function/secret-reader"
        ))
        .await;
    let answer: Vec<&str> = read.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(answer, [API_KEY, "200"], "{read:#?}");
}

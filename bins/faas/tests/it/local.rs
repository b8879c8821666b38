//! Commands that need no gateway: new, new --list, build --shrinkwrap, and their failures.

use crate::support::run_faas;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_works_offline_and_build_shrinkwraps() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("OPENFAAS_URL", "http://192.168.0.107:8080")];
    let created = run_faas(
        dir.path(),
        &env,
        &["new", "--lang", "python", "hello-python"],
        b"",
    )
    .await
    .ok();
    assert!(
        created
            .stdout
            .contains("Function created in folder: hello-python"),
        "{created:?}"
    );
    let stack = std::fs::read_to_string(dir.path().join("hello-python.yml")).unwrap();
    assert_eq!(
        stack,
        "version: 1.0\nprovider:\n  name: openfaas\n  gateway: http://192.168.0.107:8080\nfunctions:\n  hello-python:\n    lang: python\n    handler: ./hello-python\n    image: hello-python:latest\n"
    );
    for file in ["handler.py", "requirements.txt"] {
        assert!(
            dir.path().join("hello-python").join(file).is_file(),
            "{file}"
        );
    }
    let duplicate = run_faas(
        dir.path(),
        &[],
        &[
            "new",
            "--lang",
            "python",
            "other",
            "--append",
            "hello-python.yml",
            "--prefix",
            "127.0.0.1:5000/me",
        ],
        b"",
    )
    .await
    .ok();
    assert!(duplicate
        .stdout
        .contains("Stack file written: hello-python.yml"));
    let appended = std::fs::read_to_string(dir.path().join("hello-python.yml")).unwrap();
    assert!(appended.ends_with("  other:\n    lang: python\n    handler: ./other\n    image: 127.0.0.1:5000/me/other:latest\n"), "{appended}");
    let again = run_faas(
        dir.path(),
        &[],
        &[
            "new",
            "--lang",
            "python",
            "other",
            "--append",
            "hello-python.yml",
        ],
        b"",
    )
    .await;
    assert!(
        again.failed_with_one_line().contains("already exists"),
        "{again:?}"
    );

    let listed = run_faas(dir.path(), &[], &["new", "--list"], b"")
        .await
        .ok();
    assert!(
        listed
            .stdout
            .starts_with("Languages available as templates:\n"),
        "{listed:?}"
    );
    assert!(listed.stdout.contains("- bash-streaming\n") && listed.stdout.contains("- python\n"));

    let wrapped = run_faas(
        dir.path(),
        &[],
        &[
            "build",
            "--shrinkwrap",
            "-f",
            "./hello-python.yml",
            "--filter",
            "hello-*",
        ],
        b"",
    )
    .await
    .ok();
    assert!(
        wrapped
            .stdout
            .contains("hello-python shrink-wrapped to build/hello-python"),
        "{wrapped:?}"
    );
    let mut files: Vec<String> = walk(&dir.path().join("build/hello-python"));
    files.sort();
    assert_eq!(
        files,
        [
            "Dockerfile",
            "function/__init__.py",
            "function/handler.py",
            "function/requirements.txt",
            "index.py",
            "requirements.txt",
            "template.yml"
        ]
    );
    assert!(!dir.path().join("build/other").exists());
}

fn walk(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_one_line_with_a_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yml"),
        "version: 1.0\nprovider:\n  name: openfaas\nfunctions:\n  f:\n    lang: python\n    lang: python3\n",
    )
    .unwrap();
    let bad_stack = run_faas(dir.path(), &[], &["deploy", "-f", "bad.yml"], b"").await;
    let line = bad_stack.failed_with_one_line();
    assert!(line.contains("bad.yml:7"), "{line}");

    run_faas(dir.path(), &[], &["new", "--lang", "python", "fn"], b"")
        .await
        .ok();
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap();
    let no_builder = run_faas(
        dir.path(),
        &[("PATH", path)],
        &["build", "-f", "fn.yml"],
        b"",
    )
    .await;
    let line = no_builder.failed_with_one_line();
    assert!(line.contains("install buildah"), "{line}");

    let no_match = run_faas(
        dir.path(),
        &[],
        &["build", "-f", "fn.yml", "--filter", "zzz", "--shrinkwrap"],
        b"",
    )
    .await;
    no_match.failed_with_one_line();
    let bad_name = run_faas(
        dir.path(),
        &[],
        &["new", "--lang", "python", "Bad_Name"],
        b"",
    )
    .await;
    bad_name.failed_with_one_line();
    let unknown_lang = run_faas(dir.path(), &[], &["new", "--lang", "cobol", "x"], b"").await;
    unknown_lang.failed_with_one_line();
}

/// Called through a link named `faas-cli` (how the seed types it), the binary works the same and
/// its usage names `faas-cli`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_to_the_name_faas_cli() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("faas-cli");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_faas"), &link).unwrap();
    let run = |args: &'static [&'static str]| {
        let link = link.clone();
        let cwd = dir.path().to_path_buf();
        async move {
            tokio::process::Command::new(&link)
                .args(args)
                .current_dir(cwd)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .output()
                .await
                .unwrap()
        }
    };
    let help = run(&["--help"]).await;
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Usage: faas-cli <COMMAND>"), "{help}");
    let wrong = run(&["deploy", "--no-such-flag"]).await;
    assert!(!wrong.status.success());
    let wrong = String::from_utf8_lossy(&wrong.stderr);
    assert!(wrong.contains("Usage: faas-cli deploy"), "{wrong}");
    let created = run(&["new", "--lang", "python", "hello-python"]).await;
    assert!(created.status.success(), "{created:?}");
    assert!(dir.path().join("hello-python/handler.py").is_file());
}

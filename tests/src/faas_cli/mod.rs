//! [`FaasCli`]: our `faas` command line run the way a user of the tutorial runs it — in a project
//! folder of its own, with its own `HOME` and `OPENFAAS_CONFIG`, and only the environment the test
//! gives it (nothing is set on the test process itself).
//!
//! The binary is `FAAS_BIN` when set, otherwise `target/debug/faas`, built once per test process
//! with `cargo build -p faas` (a no-op when fresh). [`base_images`] builds the images the
//! templates' Dockerfiles start from, once per test run.

pub mod base_images;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::AsyncWriteExt as _;

/// How long one `faas` command may take: a cold image build on a loaded CI machine is the
/// slowest.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// The `faas` binary to run.
pub fn faas_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("FAAS_BIN") {
            return PathBuf::from(bin);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = crate::services::with_lock("build-faas", || {
            Command::new(cargo)
                .args(["build", "-q", "-p", "faas", "--bin", "faas"])
                .current_dir(crate::services::repo_root())
                .status()
        });
        assert!(
            status.map(|s| s.success()).unwrap_or(false),
            "cargo build -p faas failed"
        );
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::services::repo_root().join("target"));
        target.join("debug").join("faas")
    })
}

/// The outcome of one `faas` command.
#[derive(Debug, Clone)]
pub struct CliRun {
    /// The command line, for messages.
    pub command: String,
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

impl CliRun {
    /// Panics with the whole output unless the command exited 0.
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "`{}` failed:\n{self:#?}", self.command);
        self
    }
}

/// A user's shell for the `faas` command: a working directory (the project folder), a home
/// directory (where `faas login` keeps credentials) and the variables every command gets.
#[derive(Debug, Clone)]
pub struct FaasCli {
    /// The project folder every command runs in.
    pub dir: PathBuf,
    /// The binary run: [`faas_binary`] unless [`FaasCli::with_binary`] chose another (an
    /// installed `faas-cli`).
    binary: PathBuf,
    home: PathBuf,
    env: Vec<(String, String)>,
}

impl FaasCli {
    /// A shell whose project folder is `root/project` and home `root/home` (both created); its
    /// environment is `PATH`, `HOME` and `OPENFAAS_CONFIG` (`<home>/.openfaas`).
    pub fn new(root: &Path) -> Self {
        let dir = root.join("project");
        let home = root.join("home");
        for d in [&dir, &home] {
            std::fs::create_dir_all(d).expect("creating the CLI's folders");
        }
        let env = vec![
            ("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".to_owned(), home.to_string_lossy().into_owned()),
            (
                "OPENFAAS_CONFIG".to_owned(),
                home.join(".openfaas").to_string_lossy().into_owned(),
            ),
        ];
        Self {
            dir,
            binary: faas_binary().to_path_buf(),
            home,
            env,
        }
    }

    /// Runs `binary` instead of [`faas_binary`] (e.g. the `faas-cli` link of an installed
    /// system).
    pub fn with_binary(mut self, binary: &Path) -> Self {
        self.binary = binary.to_path_buf();
        self
    }

    /// Adds (or replaces) a variable every later command gets, like `export NAME=VALUE`.
    pub fn export(&mut self, name: &str, value: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// A file of the project folder.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// Writes a file of the project folder (creating its parent folders).
    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("creating a project folder");
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// Reads a file of the project folder.
    pub fn read(&self, relative: &str) -> String {
        let path = self.path(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    }

    /// Runs `faas args…` in the project folder with `stdin` as its input.
    pub async fn run(&self, args: &[&str], stdin: &[u8]) -> CliRun {
        let command = format!("faas {}", args.join(" "));
        let mut child = tokio::process::Command::new(&self.binary)
            .args(args)
            .current_dir(&self.dir)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting `{command}`: {e}"));
        let mut input = child.stdin.take().expect("the child's stdin");
        input
            .write_all(stdin)
            .await
            .expect("writing the child's stdin");
        drop(input);
        let output = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("`{command}` did not finish within {COMMAND_TIMEOUT:?}"))
            .expect("waiting for faas");
        CliRun {
            command,
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs `line` as the user types it, with `bash -c` in the project folder and this shell's
    /// environment only (pipes, loops and `${VAR}` work; `faas-cli` is whatever `PATH` finds);
    /// never panics on a failing command.
    pub async fn shell(&self, line: &str) -> CliRun {
        let child = tokio::process::Command::new("bash")
            .args(["-c", line])
            .current_dir(&self.dir)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("starting `{line}`: {e}"));
        let output = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("`{line}` did not finish within {COMMAND_TIMEOUT:?}"))
            .expect("waiting for bash");
        CliRun {
            command: line.to_owned(),
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// A variable this shell exports (`PATH`, `OPENFAAS_URL`, …).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Runs `faas args…` without input; panics unless it exits 0.
    pub async fn ok(&self, args: &[&str]) -> CliRun {
        self.run(args, b"").await.success()
    }
}

/// One row of `faas list`: the function, its invocation count and its replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFunction {
    /// The function's name.
    pub name: String,
    /// The `Invocations` column.
    pub invocations: u64,
    /// The `Replicas` column.
    pub replicas: u64,
}

/// Parses the table `faas list` prints (`Function  Invocations  Replicas`, a row per function);
/// panics when the header is not there.
pub fn parse_list(stdout: &str) -> Vec<ListedFunction> {
    let mut lines = stdout.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        ["Function", "Invocations", "Replicas"],
        "not a `faas list` table:\n{stdout}"
    );
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let number = |i: usize| -> u64 {
                cells
                    .get(i)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or_else(|| panic!("column {i} of {line:?} is not a number"))
            };
            ListedFunction {
                name: cells[0].to_owned(),
                invocations: number(1),
                replicas: number(2),
            }
        })
        .collect()
}

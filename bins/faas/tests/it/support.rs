//! A gateway per test, a tiny echo function, a tiny file server, and a runner for the binary.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use bytes::Bytes;
use faas_core::fake::FakeProvider;
use faas_gateway::{BasicAuth, GatewayConfig};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The admin password of every test gateway.
pub(crate) const PASSWORD: &str = "s3cr3t-Passw0rd";

/// A running gateway and the directories a CLI run uses.
pub(crate) struct TestGateway {
    pub(crate) addr: SocketAddr,
    pub(crate) provider: Arc<FakeProvider>,
    pub(crate) home: tempfile::TempDir,
    pub(crate) work: tempfile::TempDir,
    _secrets: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

/// The outcome of one `faas` run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Panics unless the run succeeded.
    pub(crate) fn ok(self) -> Run {
        assert_eq!(self.code, 0, "faas failed: {self:#?}");
        self
    }

    /// Panics unless the run failed with exactly one line on stderr; returns that line.
    pub(crate) fn failed_with_one_line(&self) -> &str {
        assert_ne!(self.code, 0, "faas should have failed: {self:#?}");
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), 1, "expected one error line: {self:#?}");
        assert!(lines[0].starts_with("faas: "), "{self:#?}");
        lines[0]
    }
}

/// Starts a gateway with basic auth read from a fresh secrets directory.
pub(crate) async fn start() -> TestGateway {
    let secrets = tempfile::tempdir().unwrap();
    std::fs::write(secrets.path().join("basic-auth-user"), "admin\n").unwrap();
    std::fs::write(
        secrets.path().join("basic-auth-password"),
        format!("{PASSWORD}\n"),
    )
    .unwrap();
    let config = GatewayConfig {
        auth: Some(BasicAuth::from_secrets_dir(secrets.path()).unwrap()),
        ..Default::default()
    };
    let provider = Arc::new(FakeProvider::new());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let serving = faas_gateway::serve(listener, provider.clone(), config, async {
        let _ = stopped.await;
    });
    tokio::spawn(async move { serving.await.unwrap() });
    TestGateway {
        addr,
        provider,
        home: tempfile::tempdir().unwrap(),
        work: tempfile::tempdir().unwrap(),
        _secrets: secrets,
        _stop: stop,
    }
}

impl TestGateway {
    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The working directory of CLI runs.
    pub(crate) fn dir(&self) -> &Path {
        self.work.path()
    }

    /// The config file a login writes.
    pub(crate) fn config_file(&self) -> PathBuf {
        self.home.path().join(".openfaas").join("config.yml")
    }

    /// Runs `faas ARGS` with OPENFAAS_URL pointing here.
    pub(crate) async fn faas(&self, args: &[&str], stdin: &[u8]) -> Run {
        let url = self.url();
        let config = self.home.path().join(".openfaas");
        let env = [
            ("HOME", self.home.path().to_str().unwrap()),
            ("OPENFAAS_CONFIG", config.to_str().unwrap()),
            ("OPENFAAS_URL", url.as_str()),
        ];
        run_faas(self.dir(), &env, args, stdin).await
    }

    /// Logs in with the right password.
    pub(crate) async fn login(&self) {
        self.faas(&["login", "--password-stdin"], PASSWORD.as_bytes())
            .await
            .ok();
    }
}

/// Runs the binary in `dir` with only these variables (plus PATH unless given).
pub(crate) async fn run_faas(dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: &[u8]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_faas"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if !env.iter().any(|(k, _)| *k == "PATH") {
        command.env("PATH", std::env::var("PATH").unwrap_or_default());
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).await.unwrap();
    drop(input);
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("faas did not finish within 60 s")
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Serves `handler` on 127.0.0.1:0 over HTTP/1; returns the address.
async fn serve<F>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Response<Full<Bytes>> + Clone + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let handler = handler.clone();
                    async move { Ok::<_, Infallible>(handler(request)) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A function replica that answers `You said: <body>`, with the query string in `X-Query`.
pub(crate) async fn echo_function() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|request: Request<Incoming>| async move {
                    let query = request.uri().query().unwrap_or_default().to_owned();
                    let body = request
                        .into_body()
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let mut answer = b"You said: ".to_vec();
                    answer.extend_from_slice(&body);
                    Ok::<_, Infallible>(
                        Response::builder()
                            .header("X-Query", query)
                            .body(Full::new(Bytes::from(answer)))
                            .unwrap(),
                    )
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Serves `body` at every path; returns `http://ADDR/functions.json`.
pub(crate) async fn file_server(body: &'static str) -> String {
    let addr = serve(move |_| Response::new(Full::new(Bytes::from_static(body.as_bytes())))).await;
    format!("http://{addr}/functions.json")
}

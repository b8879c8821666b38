//! `process_provider`: the OpenFaaS gateway over a provider that runs each function replica as a
//! local process (see `provider.rs`). An example of a backend built outside this workspace with
//! only `faas-core` and `faas-gateway`.
//!
//! ```text
//! cargo run -p faas-gateway --example process_provider -- [LISTEN_ADDR] [SECRETS_DIR]
//! ```
//! `LISTEN_ADDR` defaults to `127.0.0.1:8080`. With `SECRETS_DIR` (holding `basic-auth-user` and
//! `basic-auth-password`) the `/system` routes need those credentials; without it they are open.
//! The bound address is printed on the first line of standard output.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod provider;

use std::process::ExitCode;
use std::sync::Arc;

use faas_gateway::{BasicAuth, GatewayConfig};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let mut config = GatewayConfig::default();
    if let Some(dir) = args.next() {
        match BasicAuth::from_secrets_dir(dir.as_ref()) {
            Ok(auth) => config.auth = Some(auth),
            Err(e) => {
                eprintln!("process_provider: {e}");
                return ExitCode::from(64);
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("process_provider: binding {listen}: {e}");
            return ExitCode::from(64);
        }
    };
    let secrets_dir = std::env::temp_dir().join(format!("process-provider-{}", std::process::id()));
    match listener.local_addr() {
        Ok(addr) => println!("listening on {addr}"),
        Err(e) => eprintln!("process_provider: {e}"),
    }
    let provider = Arc::new(provider::ProcessProvider::new(secrets_dir));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match faas_gateway::serve(listener, provider, config, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("process_provider: {e}");
            ExitCode::FAILURE
        }
    }
}

//! A gateway in its own process, for measurements from outside (the upload RSS test): one
//! function, `sink`, whose single replica listens at the address given as the first argument.
//!
//! Prints the gateway's bound port on stdout, then serves until stdin closes.
//!
//! ```text
//! cargo run -p faas-gateway --example fixed_upstream_gateway -- 127.0.0.1:9000
//! ```

use std::net::SocketAddr;
use std::sync::Arc;

use faas_core::fake::FakeProvider;
use faas_core::{FunctionDeployment, Provider as _};
use faas_gateway::GatewayConfig;
use std::io::Read as _;

#[allow(clippy::print_stdout, clippy::print_stderr)]
#[tokio::main]
async fn main() {
    let Some(upstream) = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<SocketAddr>().ok())
    else {
        eprintln!("usage: fixed_upstream_gateway UPSTREAM_ADDR");
        std::process::exit(64);
    };
    let provider = Arc::new(FakeProvider::new());
    let deployment = FunctionDeployment {
        service: "sink".to_owned(),
        image: "example/sink:latest".to_owned(),
        ..Default::default()
    };
    let function = deployment.function_ref();
    if let Err(e) = provider.deploy(deployment).await {
        eprintln!("deploying the sink function: {}", e.chain());
        std::process::exit(1);
    }
    provider.set_backend(&function, vec![upstream]);

    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("binding 127.0.0.1:0: {e}");
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    println!("{port}");
    // tokio's stdin needs a feature the workspace does not enable: read on a blocking thread.
    let stdin_closed = async {
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            std::io::stdin().read_to_end(&mut sink)
        })
        .await;
    };
    if let Err(e) =
        faas_gateway::serve(listener, provider, GatewayConfig::default(), stdin_closed).await
    {
        eprintln!("serving: {}", e.chain());
        std::process::exit(1);
    }
}

//! `faas-bench`: benchmark programs that write their figures to `bench-results/`.
//!
//! ```text
//! cargo run --release -p faas-bench -- gateway [--seconds 5] [--repeat 3]
//! cargo run --release -p faas-bench -- queue [--calls 20000] [--rate 500]
//! sudo target/release/faas-bench faasd [--samples 10] [--functions 20]   # needs target/release/faasd
//! ```
//! Each scenario starts what it measures as separate processes on loopback (this same binary
//! with a hidden subcommand), drives them with the closed-loop load generator of [`load`], and
//! writes a JSON file plus a table on standard output.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod faasd;
mod gateway;
mod load;
mod process;
mod queue;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Benchmark programs for the platform.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Requests/s and p50/p99 of a trivial upstream, directly and through the gateway.
    Gateway(gateway::Args),
    /// faasd (gateway + containerd provider): cold start, scale from zero, proxy vs direct, RSS.
    Faasd(faasd::Args),
    /// End-to-end queued invocations/s and publish → callback latency through JetStream.
    Queue(queue::Args),
    /// (internal) Serve a trivial echo upstream and print its address.
    #[command(hide = true)]
    Upstream,
    /// (internal) Serve the gateway over one function pointing at UPSTREAM; print the address.
    #[command(hide = true)]
    GatewayServer {
        /// The function's replica address.
        upstream: std::net::SocketAddr,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gateway(args) => gateway::run(args),
        Command::Queue(args) => queue::run(args),
        Command::Faasd(args) => faasd::run(args),
        Command::Upstream => gateway::serve_upstream(),
        Command::GatewayServer { upstream } => gateway::serve_gateway(upstream),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("faas-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Where figures are written: `bench-results/` at the workspace root.
fn results_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.join("bench-results"))
        .unwrap_or_else(|| PathBuf::from("bench-results"))
}

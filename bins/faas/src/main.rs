//! The `faas` binary: parse the command line, start logging, run the command, print the error
//! chain once. All logic lives in the `faas-cli` library.

use std::process::ExitCode;

use clap::Parser as _;
use faas_cli::{output, Cli, Context, Env};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Env::from_process();
    let level = env.get("FAAS_LOG").unwrap_or_else(|| "warn".to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            output::error(&faas_cli::Error::io("start", "the async runtime", e));
            return ExitCode::FAILURE;
        }
    };
    let ctx = Context::new(env);
    match runtime.block_on(faas_cli::run(cli, &ctx)) {
        Ok(status) => ExitCode::from(status.code()),
        Err(err) => {
            output::error(&err);
            ExitCode::FAILURE
        }
    }
}

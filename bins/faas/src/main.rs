//! The `faas` binary: parse the command line, start logging, run the command, print the error
//! chain once. All logic lives in the `faas-cli` library.

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};
use faas_cli::{output, Cli, Context, Env};

/// The names the binary answers to: `faas`, and `faas-cli` (a symlink or copy named like
/// upstream's CLI, so tutorials run verbatim); help and usage show the name it was called by.
fn invoked_name() -> &'static str {
    let called = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    match called.as_deref() {
        Some("faas-cli") => "faas-cli",
        _ => "faas",
    }
}

fn main() -> ExitCode {
    let name = invoked_name();
    let matches = Cli::command().name(name).bin_name(name).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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

//! Integration tests of faas-queue against a real nats-server (started per test on its own port
//! and store directory) and a fake gateway. Without nats-server installed each test prints one
//! skip line, unless `FAAS_REQUIRE_SERVICES=1`.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs,
    unreachable_pub
)]

mod callback;
mod dead_letter;
mod kill;
mod publisher;
mod restart;
mod support;

/// Not a test: the worker process of [`kill`], started by re-running this binary with
/// `FAAS_QUEUE_IT_WORKER` set. Without it, returns at once.
#[test]
fn worker_process_helper() {
    support::process::run_helper_if_requested();
}

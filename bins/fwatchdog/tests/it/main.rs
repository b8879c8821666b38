//! Integration tests against the real `fwatchdog` binary: each test starts its own watchdog on
//! its own 127.0.0.1 port with its own `TMPDIR` (lock file), talks HTTP to it, and checks what a
//! client and the kernel (`/proc`) see.

mod harness;

mod config;
mod fork;
mod http_mode;
mod limits;
mod metrics;
mod shutdown;
mod static_mode;
mod streaming;

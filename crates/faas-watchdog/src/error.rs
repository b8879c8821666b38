//! [`Error`], the one error type of the watchdog library.

use std::process::ExitStatus;

/// What went wrong while configuring or running the watchdog.
///
/// Callers react in two ways: [`Error::is_config`] errors mean the environment is wrong and the
/// process should exit with status 64 before serving; every other variant ends a running
/// watchdog, which should exit non-zero so that the platform restarts the function.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An environment variable has a value the watchdog cannot use.
    #[error("invalid {name}={value:?}: {reason}")]
    InvalidVar {
        /// The variable's name.
        name: &'static str,
        /// The value found.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A variable the chosen mode needs is not set.
    #[error("{name} is required in {mode} mode")]
    MissingVar {
        /// The variable's name.
        name: &'static str,
        /// The mode that needs it.
        mode: &'static str,
    },
    /// The function process could not be started.
    #[error("starting function process {program:?}")]
    SpawnFailed {
        /// The program (`fprocess`'s first word).
        program: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The lock file could not be written or removed.
    #[error("writing lock file {path}")]
    LockFileFailed {
        /// The lock file's path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The upstream server process (http mode) exited; the watchdog exits with it.
    #[error("upstream function process exited with {0}")]
    UpstreamExited(ExitStatus),
    /// A request's function process ran past its deadline and was killed.
    #[error("function exceeded its deadline of {0:?} and was killed")]
    ExecTimedOut(std::time::Duration),
    /// The response took longer than `write_timeout`; the connection is dropped.
    #[error("response exceeded write_timeout of {0:?}")]
    WriteTimedOut(std::time::Duration),
    /// The request body could not be read within `read_timeout`.
    #[error("request body not read within read_timeout of {0:?}")]
    ReadTimedOut(std::time::Duration),
    /// A request's function process exited unsuccessfully after its output had started.
    #[error("function process exited with {0}")]
    FunctionFailed(ExitStatus),
    /// Talking to the function process's pipes failed.
    #[error("exchanging data with the function process")]
    FunctionIo(#[source] std::io::Error),
    /// Reading the client's request body failed.
    #[error("reading the request body")]
    RequestBody(#[source] hyper::Error),
    /// Reading the upstream's response body (http mode) failed.
    #[error("reading the upstream response body")]
    UpstreamBody(#[source] hyper::Error),
    /// Reading a file (static mode) failed.
    #[error("reading a static file")]
    StaticFile(#[source] std::io::Error),
}

impl Error {
    /// True when the error comes from the configuration, before anything ran.
    pub fn is_config(&self) -> bool {
        matches!(self, Error::InvalidVar { .. } | Error::MissingVar { .. })
    }
}

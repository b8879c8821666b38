//! [`Error`]: why a faasd command failed. Each variant's message is the one line the user sees;
//! [`Error::exit_code`] maps it to the process status.

use std::path::PathBuf;

/// A failed faasd command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The machine is not ready (not root, no containerd, no CNI plugins): the message says
    /// what to install or do.
    #[error("{0}")]
    Preflight(String),
    /// A flag or setting is unusable.
    #[error("bad configuration: {0}")]
    BadConfig(String),
    /// A file could not be read or written.
    #[error("{what} {}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Binding a listener failed.
    #[error("binding {addr}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The containerd provider failed to start or import.
    #[error(transparent)]
    Provider(#[from] faas_provider_containerd::Error),
    /// The async queue could not be reached or set up.
    #[error("async queue")]
    Queue(#[from] faas_queue::Error),
    /// The local nats-server could not be started.
    #[error("nats-server: {0}")]
    Nats(String),
    /// The gateway stopped with an error.
    #[error("gateway")]
    Gateway(#[from] faas_gateway::GatewayError),
}

impl Error {
    /// An [`Error::Io`].
    pub fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.into(),
            source,
        }
    }

    /// The process exit status: 64 (`EX_USAGE`) for bad configuration, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BadConfig(_) => 64,
            _ => 1,
        }
    }
}

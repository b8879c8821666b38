//! Readiness: a replica is ready once a TCP connect (or `GET /_/health`) to `ip:port` succeeds
//! (docs/api.md §16 #8: available means ready, not merely started).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::Readiness;

/// One readiness check of `addr`.
pub async fn check(addr: SocketAddr, readiness: &Readiness) -> bool {
    let connect = tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(addr)).await;
    let Ok(Ok(mut stream)) = connect else {
        return false;
    };
    match readiness {
        Readiness::TcpConnect => true,
        Readiness::HttpGet(path) => {
            let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            if stream.write_all(req.as_bytes()).await.is_err() {
                return false;
            }
            let mut head = [0u8; 12];
            let read =
                tokio::time::timeout(Duration::from_secs(1), stream.read_exact(&mut head)).await;
            matches!(read, Ok(Ok(_))) && head.starts_with(b"HTTP/1.") && head[9] == b'2'
        }
    }
}

/// Checks `addr` until it is ready (`true`) or `timeout` passes (`false`). A refused connect
/// costs a few microseconds, so checks start 1 ms apart (a function usually listens within
/// milliseconds of its start) and back off, doubling, to 25 ms.
pub async fn wait_ready(addr: SocketAddr, readiness: &Readiness, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if check(addr, readiness).await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

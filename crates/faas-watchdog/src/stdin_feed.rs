//! Streams a request body into a function process's stdin, frame by frame, never holding more
//! than one frame: a 100 MB upload costs the watchdog a few kilobytes.

use std::io::ErrorKind;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::io::AsyncWriteExt;
use tokio::process::ChildStdin;
use tokio::time::Instant;

use crate::error::Error;

/// Writes the whole of `body` to `stdin`, then closes it (EOF for the function).
///
/// A function that exits or closes stdin early is not an error: the rest of the body is
/// discarded. The body must arrive before `read_deadline` (`read_timeout` from the request's
/// start), else [`Error::ReadTimedOut`].
pub(crate) async fn feed_stdin(
    body: Incoming,
    stdin: ChildStdin,
    read_deadline: (Instant, Duration),
) -> Result<u64, Error> {
    let (deadline, read_timeout) = read_deadline;
    match tokio::time::timeout_at(deadline, copy(body, stdin)).await {
        Ok(result) => result,
        Err(_) => Err(Error::ReadTimedOut(read_timeout)),
    }
}

async fn copy(mut body: Incoming, mut stdin: ChildStdin) -> Result<u64, Error> {
    let mut written = 0u64;
    let mut open = true;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(Error::RequestBody)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if !open {
            continue;
        }
        match stdin.write_all(&data).await {
            Ok(()) => written += data.len() as u64,
            Err(e) if e.kind() == ErrorKind::BrokenPipe => open = false,
            Err(e) => return Err(Error::FunctionIo(e)),
        }
    }
    if open {
        // Closing may report EPIPE too when the function is already gone; that is fine.
        let _ = stdin.shutdown().await;
    }
    Ok(written)
}

/// Writes a buffered input (classic `marshal_request`) to stdin and closes it.
pub(crate) async fn write_all_and_close(mut stdin: ChildStdin, input: &[u8]) -> Result<(), Error> {
    match stdin.write_all(input).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::FunctionIo(e)),
    }
}

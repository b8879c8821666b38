//! Copies a function process's output stream to the watchdog's logs (`prefix_logs`,
//! `log_buffer_size`).
//!
//! With `prefix_logs=true` each line becomes a tracing event (`stderr: …`) that carries a
//! timestamp; with `false` the bytes go unchanged to the watchdog's own stdout or stderr.

use std::io::Write;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

/// Which of the function's streams is being logged.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stream {
    /// The function's stdout (http mode).
    Stdout,
    /// The function's stderr.
    Stderr,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// How function output is logged.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogStyle {
    /// Prefix each line (tracing event) or copy raw bytes.
    pub(crate) prefix: bool,
    /// Longest line logged as one event; `None` copies chunks as they arrive.
    pub(crate) max_line: Option<usize>,
}

/// Logs everything `reader` yields until EOF. Optionally keeps the last `keep` bytes, which
/// fork modes put into a 500 response.
pub(crate) async fn log_output<R>(
    reader: R,
    stream: Stream,
    style: LogStyle,
    keep: usize,
) -> Vec<u8>
where
    R: AsyncRead + Unpin,
{
    let mut kept = Vec::new();
    let mut remember = |bytes: &[u8]| {
        if keep == 0 {
            return;
        }
        kept.extend_from_slice(bytes);
        if kept.len() > keep {
            kept.drain(..kept.len() - keep);
        }
    };
    match style.max_line {
        Some(max_line) => {
            let mut reader = BufReader::new(reader);
            let mut line = Vec::new();
            loop {
                line.clear();
                let read = (&mut reader)
                    .take(max_line as u64)
                    .read_until(b'\n', &mut line)
                    .await;
                match read {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        remember(&line);
                        emit(stream, style.prefix, &line);
                    }
                }
            }
        }
        None => {
            let mut reader = reader;
            let mut chunk = vec![0u8; 8192];
            while let Ok(n) = reader.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                remember(&chunk[..n]);
                emit(stream, style.prefix, &chunk[..n]);
            }
        }
    }
    kept
}

fn emit(stream: Stream, prefix: bool, bytes: &[u8]) {
    if prefix {
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        tracing::info!(target: "function", "{}: {}", stream.name(), text);
        return;
    }
    // Written synchronously, like the tracing subscriber's own lines, so both stay in order.
    let written = match stream {
        Stream::Stdout => std::io::stdout().lock().write_all(bytes),
        Stream::Stderr => std::io::stderr().lock().write_all(bytes),
    };
    if let Err(error) = written {
        tracing::debug!(%error, "copying function output to the watchdog's own output");
    }
}

//! of-watchdog `streaming` mode (docs/watchdog.md §3.3, fixed per §10): fork per request, stdout streamed
//! to the client as the process produces it.
//!
//! A task owns the process: it feeds the request body to stdin, forwards stdout chunks over a
//! bounded channel (so a slow client slows the process down instead of filling memory) and
//! reports how the process ended. The handler waits for the first event to choose the status:
//! output first → 200 and a chunked body; failure or timeout before any output → 500 / 504.
//! A failure after output has started aborts the body, so the client sees no terminating chunk.

use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame};
use hyper::body::Incoming;
use tokio::io::AsyncReadExt;
use tokio::process::{ChildStderr, ChildStdout};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::body::{ResponseBody, TrackedBody};
use crate::cgi_env::{http_env, Flavour};
use crate::config::Config;
use crate::error::Error;
use crate::fork::sleep_until;
use crate::function_log::{log_output, LogStyle, Stream};
use crate::inflight::InflightPermit;
use crate::process::{describe_exit, GroupedChild};
use crate::response;
use crate::stdin_feed::feed_stdin;

/// How much of stderr a function that failed before any output gets in its 500 body.
const STDERR_IN_ERROR: usize = 64 * 1024;
/// Chunks of output queued between the process and a slow client.
const CHANNEL_DEPTH: usize = 8;
/// How long to wait for the rest of stderr once the process has exited.
const STDERR_GRACE: Duration = Duration::from_millis(200);

/// What the process task reports.
#[derive(Debug)]
enum Event {
    /// A chunk of stdout.
    Output(Bytes),
    /// The process exited on its own, with the tail of its stderr.
    Exited(ExitStatus, Vec<u8>),
    /// The process ran past `exec_timeout` and was killed.
    TimedOut(Duration),
    /// Feeding or reading the process failed; it was killed.
    Failed(Error),
}

/// Why the pump stopped early.
enum Stop {
    ClientGone,
    Failed(Error),
}

/// Serves requests by streaming one process's stdout per request.
#[derive(Debug)]
pub(crate) struct StreamingHandler {
    config: Arc<Config>,
}

impl StreamingHandler {
    /// A handler for streaming mode.
    pub(crate) fn new(config: Arc<Config>) -> Self {
        StreamingHandler { config }
    }

    /// Runs the function for one request; `permit` is held until the body ends.
    pub(crate) async fn serve(
        &self,
        request: Request<Incoming>,
        started: Instant,
        permit: Option<InflightPermit>,
    ) -> Result<Response<ResponseBody>, Error> {
        let config = &*self.config;
        let (head, body) = request.into_parts();
        if config.debug_headers {
            tracing::info!(method = %head.method, uri = %head.uri, headers = ?head.headers, "request");
        }
        let env = http_env(&head, Flavour::OfWatchdog);
        let process = config
            .function_process
            .as_ref()
            .expect("streaming mode has fprocess");
        let mut child =
            match GroupedChild::spawn(process, env, Stdio::piped(), Stdio::piped(), Stdio::piped())
            {
                Ok(child) => child,
                Err(error) => {
                    tracing::error!(error = %error, "cannot start function process");
                    return Ok(response::internal_error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("{error}\n"),
                    ));
                }
            };
        let (events_tx, mut events) = mpsc::channel(CHANNEL_DEPTH);
        let pipes = child.child_mut();
        let stdin = pipes.stdin.take().expect("stdin is piped");
        let stdout = pipes.stdout.take().expect("stdout is piped");
        let stderr = pipes.stderr.take().expect("stderr is piped");
        let style = LogStyle {
            prefix: config.prefix_logs,
            max_line: config.log_buffer_size,
        };
        let pump = Pump {
            events: events_tx,
            exec: config.exec_timeout.map(|d| (started + d, d)),
        };
        let feed = feed_stdin(
            body,
            stdin,
            (started + config.read_timeout, config.read_timeout),
        );
        tokio::spawn(pump.run(child, feed, stdout, stderr, style));

        let write_deadline = config.write_timeout.map(|d| started + d);
        let first = tokio::select! {
            first = events.recv() => first,
            () = sleep_until(write_deadline) => {
                return Err(Error::WriteTimedOut(config.write_timeout.unwrap_or_default()));
            }
        };
        let first_chunk = match first {
            Some(Event::Output(chunk)) => Some(chunk),
            Some(Event::Exited(status, _)) if status.success() => None,
            Some(Event::Exited(status, stderr)) => {
                tracing::warn!(%status, "function process failed before any output");
                let mut text = format!("{}\n", describe_exit(status)).into_bytes();
                text.extend_from_slice(&stderr);
                return Ok(response::internal_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    text,
                ));
            }
            Some(Event::TimedOut(limit)) => return Ok(response::gateway_timeout(limit)),
            Some(Event::Failed(error @ Error::ReadTimedOut(_))) => {
                return Ok(response::text(
                    StatusCode::REQUEST_TIMEOUT,
                    format!("{error}\n"),
                ))
            }
            Some(Event::Failed(error)) => return Err(error),
            None => {
                return Ok(response::internal_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "function process task ended without a result\n",
                ))
            }
        };
        let done = first_chunk.is_none();
        let output = OutputBody {
            pending: first_chunk,
            events,
            done,
        };
        let deadline = write_deadline.map(|at| {
            let limit = config.write_timeout.unwrap_or_default();
            (at, Error::WriteTimedOut(limit))
        });
        let body = TrackedBody::new(
            http_body_util::BodyExt::boxed_unsync(output),
            deadline,
            permit,
        );
        let mut response = Response::new(body.boxed());
        if let Some(ct) = config
            .content_type
            .as_deref()
            .and_then(|ct| HeaderValue::from_str(ct).ok())
        {
            response.headers_mut().insert(CONTENT_TYPE, ct);
        }
        Ok(response)
    }
}

/// The task that owns one request's process.
struct Pump {
    events: mpsc::Sender<Event>,
    exec: Option<(Instant, Duration)>,
}

impl Pump {
    async fn run(
        self,
        mut child: GroupedChild,
        feed: impl std::future::Future<Output = Result<u64, Error>>,
        stdout: ChildStdout,
        stderr: ChildStderr,
        style: LogStyle,
    ) {
        let stderr_log = tokio::spawn(log_output(stderr, Stream::Stderr, style, STDERR_IN_ERROR));
        let exchange = async {
            let feed = async { feed.await.map(drop).map_err(Stop::Failed) };
            tokio::try_join!(feed, self.forward(stdout))?;
            child.wait().await.map_err(Stop::Failed)
        };
        let exec_deadline = self.exec.map(|(at, _)| at);
        let event = tokio::select! {
            biased;
            result = exchange => match result {
                Ok(status) => {
                    let stderr = tokio::time::timeout(STDERR_GRACE, stderr_log)
                        .await
                        .ok()
                        .and_then(Result::ok)
                        .unwrap_or_default();
                    Event::Exited(status, stderr)
                }
                Err(Stop::ClientGone) => {
                    tracing::info!("client went away, killing function process");
                    let _ = child.kill_and_reap().await;
                    return;
                }
                Err(Stop::Failed(error)) => {
                    let _ = child.kill_and_reap().await;
                    Event::Failed(error)
                }
            },
            () = self.events.closed() => {
                tracing::info!("client went away, killing function process");
                let _ = child.kill_and_reap().await;
                return;
            }
            () = sleep_until(exec_deadline) => {
                let limit = self.exec.map(|(_, d)| d).unwrap_or_default();
                tracing::warn!(?limit, "function exceeded exec_timeout, killed");
                let _ = child.kill_and_reap().await;
                Event::TimedOut(limit)
            }
        };
        let _ = self.events.send(event).await;
    }

    /// Forwards stdout chunks as they come, until EOF.
    async fn forward(&self, mut stdout: ChildStdout) -> Result<(), Stop> {
        let mut buffer = BytesMut::with_capacity(16 * 1024);
        loop {
            if buffer.capacity() - buffer.len() < 1024 {
                buffer.reserve(16 * 1024);
            }
            let read = stdout
                .read_buf(&mut buffer)
                .await
                .map_err(|e| Stop::Failed(Error::FunctionIo(e)))?;
            if read == 0 {
                return Ok(());
            }
            let chunk = buffer.split().freeze();
            if self.events.send(Event::Output(chunk)).await.is_err() {
                return Err(Stop::ClientGone);
            }
        }
    }
}

/// The response body: stdout chunks from the process task, ended by its exit.
struct OutputBody {
    pending: Option<Bytes>,
    events: mpsc::Receiver<Event>,
    done: bool,
}

impl Body for OutputBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.pending.take() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        if this.done {
            return Poll::Ready(None);
        }
        let event = std::task::ready!(this.events.poll_recv(cx));
        let frame = match event {
            Some(Event::Output(chunk)) => return Poll::Ready(Some(Ok(Frame::data(chunk)))),
            Some(Event::Exited(status, _)) if status.success() => None,
            Some(Event::Exited(status, _)) => {
                tracing::warn!(%status, "function process failed after output started; aborting response");
                Some(Err(Error::FunctionFailed(status)))
            }
            Some(Event::TimedOut(limit)) => Some(Err(Error::ExecTimedOut(limit))),
            Some(Event::Failed(error)) => Some(Err(error)),
            None => Some(Err(Error::FunctionIo(std::io::Error::other(
                "function process task ended without a result",
            )))),
        };
        this.done = true;
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.done && self.pending.is_none()
    }
}

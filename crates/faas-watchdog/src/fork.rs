//! Buffered fork per request: the classic watchdog and of-watchdog `serializing` (docs/watchdog.md §3.1, §3.2).
//!
//! The request body is streamed into the process's stdin while its output is collected; the
//! response is sent once the process has exited. Only the output is buffered, never the request
//! (except for `marshal_request`, whose JSON needs the whole body).

use std::process::Stdio;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use crate::body::{self, duration_header, ResponseBody};
use crate::cgi_env::{http_env, Flavour};
use crate::config::{Config, Mode};
use crate::error::Error;
use crate::function_log::{log_output, LogStyle, Stream};
use crate::process::{describe_exit, GroupedChild};
use crate::response;
use crate::stdin_feed::{feed_stdin, write_all_and_close};

/// How much of stderr a failed serializing function gets in its 500 body.
const STDERR_IN_ERROR: usize = 64 * 1024;

/// Serves requests by running the function once per request and buffering its output.
#[derive(Debug)]
pub(crate) struct ForkHandler {
    config: Arc<Config>,
}

/// How a run ended.
enum Outcome {
    Exited(std::process::ExitStatus, Bytes, Vec<u8>),
    Failed(Error),
    ExecTimedOut,
    WriteTimedOut,
}

impl ForkHandler {
    /// A handler for `config.mode` (classic or serializing).
    pub(crate) fn new(config: Arc<Config>) -> Self {
        ForkHandler { config }
    }

    fn classic(&self) -> bool {
        self.config.mode == Mode::Classic
    }

    /// Runs the function for one request.
    pub(crate) async fn serve(
        &self,
        request: Request<Incoming>,
        started: Instant,
    ) -> Result<Response<ResponseBody>, Error> {
        let config = &*self.config;
        let classic = self.classic();
        if classic
            && !matches!(
                *request.method(),
                Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            )
        {
            return Ok(response::method_not_allowed());
        }
        let (head, body) = request.into_parts();
        if config.debug_headers {
            tracing::info!(method = %head.method, uri = %head.uri, headers = ?head.headers, "request");
        }
        let flavour = if classic {
            Flavour::Classic
        } else {
            Flavour::OfWatchdog
        };
        let env = if config.cgi_headers {
            http_env(&head, flavour)
        } else {
            Vec::new()
        };
        let combined = classic && config.combine_output;

        let (stdout, stderr, combined_reader) = if combined {
            let (reader, writer) = combined_pipe().map_err(Error::FunctionIo)?;
            let writer2 = writer.try_clone().map_err(Error::FunctionIo)?;
            (Stdio::from(writer), Stdio::from(writer2), Some(reader))
        } else {
            (Stdio::piped(), Stdio::piped(), None)
        };
        let process = config
            .function_process
            .as_ref()
            .expect("fork modes have fprocess");
        if classic {
            tracing::debug!("Forking fprocess.");
        }
        let mut child = match GroupedChild::spawn(process, env, Stdio::piped(), stdout, stderr) {
            Ok(child) => child,
            Err(error) => {
                tracing::error!(error = %error, "cannot start function process");
                return Ok(response::internal_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("{error}\n"),
                ));
            }
        };
        let pipes = child.child_mut();
        let stdin = pipes.stdin.take().expect("stdin is piped");
        let output: Box<dyn AsyncRead + Send + Unpin> = match combined_reader {
            Some(reader) => Box::new(reader),
            None => Box::new(pipes.stdout.take().expect("stdout is piped")),
        };
        let stderr = pipes.stderr.take();

        let read_deadline = (started + config.read_timeout, config.read_timeout);
        let marshal = config.marshal_request.then(|| head.clone());
        let input = async move {
            match marshal {
                Some(head) => {
                    let whole = tokio::time::timeout_at(read_deadline.0, body.collect())
                        .await
                        .map_err(|_| Error::ReadTimedOut(read_deadline.1))?
                        .map_err(Error::RequestBody)?
                        .to_bytes();
                    write_all_and_close(stdin, &marshal_request(&head, &whole)).await
                }
                None => feed_stdin(body, stdin, read_deadline).await.map(drop),
            }
        };
        let style = LogStyle {
            prefix: config.prefix_logs,
            max_line: config.log_buffer_size,
        };
        let keep = if classic { 0 } else { STDERR_IN_ERROR };
        let errors = async move {
            match stderr {
                Some(stderr) => log_output(stderr, Stream::Stderr, style, keep).await,
                None => Vec::new(),
            }
        };
        let run = async {
            let (fed, out, errors) = tokio::join!(input, collect(output), errors);
            fed?;
            let out = out.map_err(Error::FunctionIo)?;
            let status = child.wait().await?;
            Ok::<_, Error>((status, out, errors))
        };
        let exec_deadline = config.exec_timeout.map(|d| started + d);
        let write_deadline = config.write_timeout.map(|d| started + d);
        let outcome = tokio::select! {
            biased;
            result = run => match result {
                Ok((status, out, errors)) => Outcome::Exited(status, out, errors),
                Err(error) => Outcome::Failed(error),
            },
            () = sleep_until(exec_deadline) => Outcome::ExecTimedOut,
            () = sleep_until(write_deadline) => Outcome::WriteTimedOut,
        };
        let elapsed = started.elapsed();
        match outcome {
            Outcome::Exited(status, out, errors) => {
                if config.write_debug {
                    tracing::info!(output = %String::from_utf8_lossy(&out), %status, "function output");
                }
                Ok(self.finished(status, out, errors, &head, elapsed))
            }
            Outcome::ExecTimedOut => {
                child.kill_and_reap().await?;
                let limit = config.exec_timeout.unwrap_or_default();
                tracing::warn!(?limit, "function exceeded exec_timeout, killed");
                let mut response = if classic {
                    response::text(StatusCode::REQUEST_TIMEOUT, "Killed process.\n")
                } else {
                    response::internal_error(StatusCode::INTERNAL_SERVER_ERROR, "signal: killed\n")
                };
                response
                    .headers_mut()
                    .insert("x-duration-seconds", duration_header(elapsed));
                Ok(response)
            }
            Outcome::WriteTimedOut => {
                child.kill_and_reap().await?;
                Err(Error::WriteTimedOut(
                    config.write_timeout.unwrap_or_default(),
                ))
            }
            Outcome::Failed(error) => {
                child.kill_and_reap().await?;
                tracing::warn!(error = %error, "function request failed");
                match error {
                    Error::ReadTimedOut(_) => Ok(response::text(
                        StatusCode::REQUEST_TIMEOUT,
                        format!("{error}\n"),
                    )),
                    other => Err(other),
                }
            }
        }
    }

    /// The response for a process that exited on its own.
    fn finished(
        &self,
        status: std::process::ExitStatus,
        out: Bytes,
        errors: Vec<u8>,
        head: &http::request::Parts,
        elapsed: std::time::Duration,
    ) -> Response<ResponseBody> {
        let mut response = if status.success() {
            let mut response = Response::new(body::full(out));
            let content_type = match &self.config.content_type {
                Some(ct) => HeaderValue::from_str(ct).ok(),
                None => head.headers.get(CONTENT_TYPE).cloned(),
            };
            if let Some(ct) = content_type {
                response.headers_mut().insert(CONTENT_TYPE, ct);
            }
            response
        } else {
            tracing::warn!(status = %status, "function process failed");
            let mut text = format!("{}\n", describe_exit(status)).into_bytes();
            if self.classic() {
                text.extend_from_slice(&out);
            } else {
                text.extend_from_slice(&errors);
            }
            response::internal_error(StatusCode::INTERNAL_SERVER_ERROR, text)
        };
        response
            .headers_mut()
            .insert("x-duration-seconds", duration_header(elapsed));
        response
    }
}

/// Reads a stream to its end into one buffer, handed on without a copy.
async fn collect(mut reader: impl AsyncRead + Unpin) -> std::io::Result<Bytes> {
    let mut buffer = BytesMut::with_capacity(8 * 1024);
    while reader.read_buf(&mut buffer).await? != 0 {
        if buffer.capacity() == buffer.len() {
            buffer.reserve(buffer.len());
        }
    }
    Ok(buffer.freeze())
}

/// One pipe for both stdout and stderr, so their output interleaves as the process wrote it.
fn combined_pipe() -> std::io::Result<(tokio::net::unix::pipe::Receiver, std::os::fd::OwnedFd)> {
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    let reader = tokio::net::unix::pipe::Receiver::from_owned_fd(read)?;
    Ok((reader, write))
}

/// Sleeps until `deadline`, or forever without one.
pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Classic `marshal_request`: `{"header":{name:[values]},"body":{"raw":"<base64>"}}`.
fn marshal_request(head: &http::request::Parts, body: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let mut headers = serde_json::Map::new();
    for name in head.headers.keys() {
        let values: Vec<serde_json::Value> = head
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned().into())
            .collect();
        let canonical = crate::cgi_env::canonical_name(name.as_str()).replace('_', "-");
        headers.insert(canonical, values.into());
    }
    let raw = base64::engine::general_purpose::STANDARD.encode(body);
    serde_json::json!({ "header": headers, "body": { "raw": raw } })
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marshalled_request_is_json_with_base64_body() {
        let head = http::Request::post("/")
            .header("x-call-id", "abc")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        let json: serde_json::Value =
            serde_json::from_slice(&marshal_request(&head, b"hi")).unwrap();
        assert_eq!(json["header"]["X-Call-Id"][0], "abc");
        assert_eq!(json["body"]["raw"], "aGk=");
    }
}

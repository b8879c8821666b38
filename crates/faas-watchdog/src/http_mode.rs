//! of-watchdog `http` mode (docs/watchdog.md §3.4, fixed per §10): one long-running function process that
//! serves HTTP itself; the watchdog proxies each request to `upstream_url`.
//!
//! The process is started once, its stdout and stderr go to the logs, and the watchdog reports
//! ready (lock file, `/_/health`) only once the upstream accepts TCP connections. Responses are
//! streamed, `X-Timeout` can shorten a request's deadline, and a deadline answers 504.

use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderName};
use http::{HeaderMap, Request, Response, StatusCode, Uri};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use nix::sys::signal::Signal;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::body::{duration_header, ResponseBody, TrackedBody};
use crate::config::Config;
use crate::error::Error;
use crate::function_log::{log_output, LogStyle, Stream};
use crate::inflight::InflightPermit;
use crate::process::GroupedChild;
use crate::response;

/// The body type sent to the upstream.
type UpstreamBody = UnsyncBoxBody<Bytes, hyper::Error>;

/// Headers that describe one hop, not the message: never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
];

/// The upstream process and the client that talks to it.
#[derive(Debug)]
pub(crate) struct HttpProxy {
    config: Arc<Config>,
    base: String,
    authority: String,
    client: Client<HttpConnector, UpstreamBody>,
    listening: watch::Receiver<bool>,
}

/// The running upstream process, owned by the server loop.
#[derive(Debug)]
pub(crate) struct UpstreamProcess {
    child: GroupedChild,
}

impl UpstreamProcess {
    /// Forwards a signal (SIGTERM at shutdown) to the process group.
    pub(crate) fn signal(&self, signal: Signal) {
        self.child.signal_group(signal);
    }

    /// Resolves when the process exits.
    pub(crate) async fn exited(&mut self) -> Result<ExitStatus, Error> {
        self.child.wait().await
    }
}

impl HttpProxy {
    /// Starts the function process and a task that flips `listening` once the upstream accepts
    /// connections.
    pub(crate) fn start(config: Arc<Config>) -> Result<(Self, UpstreamProcess), Error> {
        let upstream = config
            .upstream_url
            .as_ref()
            .expect("http mode has upstream_url");
        let base = upstream.to_string().trim_end_matches('/').to_owned();
        let authority = upstream.authority().expect("validated in config");
        let authority = match authority.port_u16() {
            Some(_) => authority.to_string(),
            None => format!("{}:80", authority.host()),
        };
        let process = config
            .function_process
            .as_ref()
            .expect("http mode has fprocess");
        let mut child = GroupedChild::spawn(
            process,
            Vec::new(),
            Stdio::null(),
            Stdio::piped(),
            Stdio::piped(),
        )?;
        tracing::info!(pid = ?child.id(), upstream = %base, "started upstream function process");
        let style = LogStyle {
            prefix: config.prefix_logs,
            max_line: config.log_buffer_size,
        };
        let pipes = child.child_mut();
        if let Some(stdout) = pipes.stdout.take() {
            tokio::spawn(log_output(stdout, Stream::Stdout, style, 0));
        }
        if let Some(stderr) = pipes.stderr.take() {
            tokio::spawn(log_output(stderr, Stream::Stderr, style, 0));
        }

        let (listening_tx, listening) = watch::channel(false);
        tokio::spawn(wait_until_listening(authority.clone(), listening_tx));

        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(config.exec_timeout);
        connector.set_keepalive(Some(Duration::from_secs(10)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_millis(500))
            .pool_max_idle_per_host(100)
            .build(connector);
        let proxy = HttpProxy {
            config,
            base,
            authority,
            client,
            listening,
        };
        Ok((proxy, UpstreamProcess { child }))
    }

    /// A receiver that turns true once the upstream accepts connections.
    pub(crate) fn listening(&self) -> watch::Receiver<bool> {
        self.listening.clone()
    }

    /// Proxies one request.
    pub(crate) async fn serve(
        &self,
        request: Request<Incoming>,
        started: Instant,
        permit: Option<InflightPermit>,
    ) -> Result<Response<ResponseBody>, Error> {
        let limit = request_deadline(request.headers(), self.config.exec_timeout);
        let deadline = limit.map(|d| started + d);
        let call_id = self
            .config
            .log_callid
            .then(|| request.headers().get("x-call-id").cloned())
            .flatten();
        let forward = async {
            let mut listening = self.listening.clone();
            if listening.wait_for(|up| *up).await.is_err() {
                return Ok(None);
            }
            let upstream_request = self.upstream_request(request).await?;
            match self.client.request(upstream_request).await {
                Ok(answer) => Ok(Some(answer)),
                Err(error) => {
                    tracing::warn!(error = %error_chain(&error), "upstream request failed");
                    Ok(None)
                }
            }
        };
        let result: Result<Option<Response<Incoming>>, Error> = match deadline {
            Some(at) => match tokio::time::timeout_at(at, forward).await {
                Ok(result) => result,
                Err(_) => {
                    let limit = limit.unwrap_or_default();
                    tracing::warn!(?limit, "upstream did not answer before the deadline");
                    let mut response = response::gateway_timeout(limit);
                    response
                        .headers_mut()
                        .insert("x-duration-seconds", duration_header(started.elapsed()));
                    return Ok(response);
                }
            },
            None => forward.await,
        };
        let elapsed = started.elapsed();
        let Some(upstream_response) = result? else {
            let mut response =
                response::internal_error(StatusCode::INTERNAL_SERVER_ERROR, Bytes::new());
            response
                .headers_mut()
                .insert("x-duration-seconds", duration_header(elapsed));
            return Ok(response);
        };
        let (mut parts, body) = upstream_response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        parts
            .headers
            .insert("x-duration-seconds", duration_header(elapsed));
        if let Some(call_id) = call_id {
            tracing::info!(call_id = ?call_id, status = %parts.status, "upstream answered");
        }
        let body = body.map_err(Error::UpstreamBody).boxed_unsync();
        let deadline = deadline.map(|at| (at, Error::ExecTimedOut(limit.unwrap_or_default())));
        let body = TrackedBody::new(body, deadline, permit).boxed();
        Ok(Response::from_parts(parts, body))
    }

    /// Answers `/_/ready`: forwards to `ready_path` when set, else checks that the upstream
    /// still accepts connections.
    pub(crate) async fn ready(&self) -> StatusCode {
        let deadline = self.config.exec_timeout.unwrap_or(Duration::from_secs(5));
        if let Some(path) = &self.config.ready_path {
            let uri: Result<Uri, _> = format!("{}{}", self.base, path).parse();
            let Ok(uri) = uri else {
                return StatusCode::SERVICE_UNAVAILABLE;
            };
            let mut probe = Request::new(empty_upstream_body());
            *probe.uri_mut() = uri;
            return match tokio::time::timeout(deadline, self.client.request(probe)).await {
                Ok(Ok(answer)) => answer.status(),
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
        }
        let connect = tokio::net::TcpStream::connect(&self.authority);
        match tokio::time::timeout(deadline, connect).await {
            Ok(Ok(_)) => StatusCode::OK,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The request to send upstream: same method, path, query and headers (Host included).
    async fn upstream_request(
        &self,
        request: Request<Incoming>,
    ) -> Result<Request<UpstreamBody>, Error> {
        let (mut parts, body) = request.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        parts.uri = format!("{}{}", self.base, path)
            .parse()
            .unwrap_or_else(|_| Uri::from_static("/"));
        parts.version = http::Version::HTTP_11;
        strip_hop_by_hop(&mut parts.headers);
        let body = if self.config.buffer_request_body {
            let whole = body.collect().await.map_err(Error::RequestBody)?.to_bytes();
            parts
                .headers
                .insert(header::CONTENT_LENGTH, whole.len().into());
            Full::new(whole)
                .map_err(|never| match never {})
                .boxed_unsync()
        } else {
            body.boxed_unsync()
        };
        Ok(Request::from_parts(parts, body))
    }
}

fn empty_upstream_body() -> UpstreamBody {
    Full::new(Bytes::new())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// The request's deadline: `exec_timeout`, shortened by an `X-Timeout` header (docs/watchdog.md §2).
fn request_deadline(headers: &HeaderMap, exec_timeout: Option<Duration>) -> Option<Duration> {
    let asked = headers
        .get("x-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| faas_core::timeout::parse_duration(v).ok())
        .filter(|d| !d.is_zero());
    match (asked, exec_timeout) {
        (Some(asked), Some(limit)) => Some(asked.min(limit)),
        (asked, limit) => limit.or(asked),
    }
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Polls the upstream's port until it accepts a connection, then flips `listening` to true.
async fn wait_until_listening(authority: String, listening: watch::Sender<bool>) {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if tokio::net::TcpStream::connect(&authority).await.is_ok() {
            tracing::info!(upstream = %authority, waited = ?started.elapsed(), "upstream is listening");
            let _ = listening.send(true);
            return;
        }
        if listening.is_closed() {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_timeout_only_shortens() {
        let mut headers = HeaderMap::new();
        let thirty = Some(Duration::from_secs(30));
        assert_eq!(request_deadline(&headers, thirty), thirty);
        headers.insert("x-timeout", "2s".parse().unwrap());
        assert_eq!(
            request_deadline(&headers, thirty),
            Some(Duration::from_secs(2))
        );
        headers.insert("x-timeout", "1m".parse().unwrap());
        assert_eq!(request_deadline(&headers, thirty), thirty);
        assert_eq!(
            request_deadline(&headers, None),
            Some(Duration::from_secs(60))
        );
    }
}

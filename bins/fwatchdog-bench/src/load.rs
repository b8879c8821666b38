//! The load generator: N keep-alive HTTP/1.1 connections, each sending the same request in a
//! loop until the time is up, recording every latency.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The request to repeat.
pub(crate) struct Target {
    method: hyper::Method,
    path: &'static str,
    body: Bytes,
}

impl Target {
    /// A POST with a small body.
    pub(crate) fn post(path: &'static str, body: &'static str) -> Self {
        Target {
            method: hyper::Method::POST,
            path,
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    /// A GET.
    pub(crate) fn get(path: &'static str) -> Self {
        Target {
            method: hyper::Method::GET,
            path,
            body: Bytes::new(),
        }
    }

    fn request(&self) -> Request<Full<Bytes>> {
        Request::builder()
            .method(self.method.clone())
            .uri(self.path)
            .header("host", "127.0.0.1")
            .header("content-type", "text/plain")
            .body(Full::new(self.body.clone()))
            .expect("valid request")
    }
}

/// What one run measured.
pub(crate) struct LoadReport {
    /// Successful (2xx) responses.
    pub(crate) ok: u64,
    /// Failed requests or non-2xx responses.
    pub(crate) errors: u64,
    /// Wall time of the run.
    pub(crate) elapsed: Duration,
    /// Latencies of successful requests, in microseconds, sorted.
    latencies_us: Vec<u32>,
}

impl LoadReport {
    /// Successful requests per second.
    pub(crate) fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// A latency percentile in milliseconds.
    pub(crate) fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (self.latencies_us.len() - 1) as f64).round() as usize;
        f64::from(self.latencies_us[rank]) / 1000.0
    }
}

/// Drives `connections` connections against 127.0.0.1:`port` for `duration`.
pub(crate) async fn drive(
    port: u16,
    target: &Target,
    connections: usize,
    duration: Duration,
) -> LoadReport {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let request = target.request();
            tokio::spawn(connection_loop(port, request, deadline))
        })
        .collect();
    let mut report = LoadReport {
        ok: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for worker in workers {
        let (latencies, errors) = worker.await.expect("load worker");
        report.ok += latencies.len() as u64;
        report.errors += errors;
        report.latencies_us.extend(latencies);
    }
    report.elapsed = started.elapsed();
    report.latencies_us.sort_unstable();
    report
}

/// One connection's loop; reconnects after an error. Returns latencies and the error count.
async fn connection_loop(
    port: u16,
    template: Request<Full<Bytes>>,
    deadline: Instant,
) -> (Vec<u32>, u64) {
    let mut latencies = Vec::with_capacity(64 * 1024);
    let mut errors = 0;
    'connect: while Instant::now() < deadline {
        let Ok(stream) = TcpStream::connect(("127.0.0.1", port)).await else {
            errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, connection)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            errors += 1;
            continue;
        };
        tokio::spawn(connection);
        while Instant::now() < deadline {
            let mut request = Request::new(template.body().clone());
            *request.method_mut() = template.method().clone();
            *request.uri_mut() = template.uri().clone();
            *request.headers_mut() = template.headers().clone();
            let sent = Instant::now();
            let outcome = match sender.send_request(request).await {
                Ok(response) => {
                    let success = response.status().is_success();
                    match response.into_body().collect().await {
                        Ok(_) => success,
                        Err(_) => false,
                    }
                }
                Err(_) => {
                    errors += 1;
                    continue 'connect;
                }
            };
            if outcome {
                let micros = sent.elapsed().as_micros();
                latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
            } else {
                errors += 1;
            }
            if sender.ready().await.is_err() {
                continue 'connect;
            }
        }
    }
    (latencies, errors)
}

/// The status of one GET, or `None` when the server does not answer.
pub(crate) async fn get_status(port: u16, path: &str) -> Option<u16> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    let request = Request::get(path)
        .header("host", "127.0.0.1")
        .body(Full::new(Bytes::new()))
        .ok()?;
    let response = sender.send_request(request).await.ok()?;
    Some(response.status().as_u16())
}

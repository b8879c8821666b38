//! A fake gateway on 127.0.0.1: `/function/<segment>/…` plays a few functions and
//! `/callback…` records callbacks. Everything seen is kept for the test to inspect.
//!
//! Functions (by name): `echo` answers 200 with the request body, its `Content-Type` and
//! `X-Echo-Method`; `unavailable` answers 503 marked `X-OpenFaaS-Internal: gateway`; `broken`
//! answers the function's own 500. Callback paths: `/callback` answers 200; `/callback-fail-once`
//! answers 503 the first time per call id; `/callback-gone` always 404.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// One request the fake gateway received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn call_id(&self) -> String {
        self.header("x-call-id").unwrap_or_default().to_owned()
    }
}

/// What the fake gateway saw.
#[derive(Debug, Default)]
pub struct Record {
    pub invocations: Vec<Seen>,
    pub callbacks: Vec<Seen>,
    /// Invocations and callbacks per call id, for the big tests.
    pub invocation_counts: HashMap<String, u32>,
    pub callback_counts: HashMap<String, u32>,
    failed_once: std::collections::HashSet<String>,
}

/// A running fake gateway.
#[derive(Clone)]
pub struct FakeGateway {
    pub addr: SocketAddr,
    record: Arc<Mutex<Record>>,
    /// Keep every request's details (off for the 10 000-call tests: counts only).
    keep_details: bool,
}

impl FakeGateway {
    /// Starts serving on 127.0.0.1 (port chosen by the system).
    pub async fn start(keep_details: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = Self {
            addr: listener.local_addr().unwrap(),
            record: Arc::default(),
            keep_details,
        };
        let serving = gateway.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let gw = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let gw = gw.clone();
                        async move { Ok::<_, Infallible>(gw.answer(req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        gateway
    }

    /// `http://ADDR<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Runs `f` on what was seen so far.
    pub fn with<T>(&self, f: impl FnOnce(&Record) -> T) -> T {
        f(&self.record.lock().unwrap())
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let seen = Seen {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        };
        let path = seen.uri.path().to_owned();
        let call_id = seen.call_id();
        let mut record = self.record.lock().unwrap();
        if let Some(rest) = path.strip_prefix("/function/") {
            *record.invocation_counts.entry(call_id).or_default() += 1;
            let segment = rest.split('/').next().unwrap_or_default();
            let name = segment.rsplit_once('.').map_or(segment, |(n, _)| n);
            let response = match name {
                "echo" => {
                    let mut r = Response::new(Full::new(seen.body.clone()));
                    if let Some(ct) = seen.headers.get("content-type") {
                        r.headers_mut().insert("content-type", ct.clone());
                    }
                    r.headers_mut()
                        .insert("x-echo-method", seen.method.as_str().parse().unwrap());
                    r
                }
                "unavailable" => {
                    let mut r = text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n");
                    r.headers_mut()
                        .insert("x-openfaas-internal", "gateway".parse().unwrap());
                    r
                }
                "broken" => text(StatusCode::INTERNAL_SERVER_ERROR, "bug\n"),
                _ => text(StatusCode::NOT_FOUND, "function not found\n"),
            };
            if self.keep_details {
                record.invocations.push(seen);
            }
            return response;
        }
        if path.starts_with("/callback") {
            let response = match path.as_str() {
                "/callback-gone" => text(StatusCode::NOT_FOUND, "gone\n"),
                "/callback-fail-once" if record.failed_once.insert(call_id.clone()) => {
                    text(StatusCode::SERVICE_UNAVAILABLE, "try later\n")
                }
                _ => text(StatusCode::OK, ""),
            };
            if response.status().is_success() {
                *record.callback_counts.entry(call_id).or_default() += 1;
            }
            if self.keep_details {
                record.callbacks.push(seen);
            }
            return response;
        }
        text(StatusCode::NOT_FOUND, "404 page not found\n")
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert("content-type", "text/plain; charset=utf-8".parse().unwrap());
    r
}

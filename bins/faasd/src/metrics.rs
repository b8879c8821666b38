//! The metrics listener: `GET /metrics` answers the gateway's metrics followed by the async
//! queue's (the gateway's registry is closed, so the two texts are joined here).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

/// What `/metrics` shows.
#[derive(Clone)]
pub struct MetricsSources {
    /// The gateway's metrics.
    pub gateway: faas_gateway::Metrics,
    /// Extra metrics (the queue's), when any.
    pub extra: Option<Arc<Registry>>,
}

impl std::fmt::Debug for MetricsSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSources").finish_non_exhaustive()
    }
}

impl MetricsSources {
    /// Both texts as one Prometheus exposition (one trailing `# EOF`).
    pub fn encode(&self) -> String {
        let gateway = self.gateway.encode();
        let Some(extra) = &self.extra else {
            return gateway;
        };
        let mut text = gateway.trim_end().trim_end_matches("# EOF").to_owned();
        let mut queue = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut queue, extra) {
            tracing::error!(error = %e, "encoding queue metrics");
        }
        text.push_str(&queue);
        if !text.ends_with("# EOF\n") {
            text.push_str("# EOF\n");
        }
        text
    }
}

/// Serves `/metrics` on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    sources: MetricsSources,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let sources = sources.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                std::future::ready(Ok::<_, Infallible>(respond(&sources, &request)))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn respond(sources: &MetricsSources, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let (status, content_type, body) = if request.uri().path() == "/metrics" {
        (
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            sources.encode(),
        )
    } else {
        (404, "text/plain", "not found\n".to_owned())
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    response
}

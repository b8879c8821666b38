//! `GET /system/info`, `GET /healthz` and `GET /metrics` (docs/api.md §8, §12).

use faas_core::GatewayInfo;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Response, StatusCode};

use crate::body::GatewayBody;
use crate::error::GatewayError;
use crate::gateway::Shared;
use crate::metrics;
use crate::rescue::{json, text};

/// Gateway and provider versions; always complete, since faas-cli crashes on a missing field.
pub(super) fn info(shared: &Shared) -> Response<GatewayBody> {
    json(
        StatusCode::OK,
        &GatewayInfo {
            provider: shared.provider.info(),
            version: shared.config.version.clone(),
            arch: shared.config.arch.clone(),
        },
    )
}

/// 200 `OK` while the provider's backend is reachable, else 503 saying why.
pub(super) async fn healthz(shared: &Shared) -> Result<Response<GatewayBody>, GatewayError> {
    match shared.provider.health().await {
        Ok(()) => {
            let mut response = Response::new(GatewayBody::full("OK"));
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(response)
        }
        Err(e) => Ok(text(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("provider is not healthy: {}", e.chain()),
        )),
    }
}

/// The metrics in the Prometheus text format.
pub(super) fn metrics(shared: &Shared) -> Response<GatewayBody> {
    metrics_response(&shared.metrics)
}

/// A `/metrics` response of `metrics`.
pub(crate) fn metrics_response(m: &metrics::Metrics) -> Response<GatewayBody> {
    let mut response = Response::new(GatewayBody::full(m.encode()));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    response
}

//! Reading a whole request body, bounded, and parsing it as JSON — for the management routes
//! and the async hand-off (the invocation proxy streams instead).

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::HeaderMap;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use hyper::body::Incoming;
use serde::de::DeserializeOwned;

use crate::error::GatewayError;

/// The whole body, or [`GatewayError::BodyTooLarge`] past `limit` bytes (checked against
/// `Content-Length` first, so an announced oversized body is refused without reading it).
pub(crate) async fn read_limited(
    body: Incoming,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, GatewayError> {
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(GatewayError::BodyTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(GatewayError::BodyTooLarge { limit }),
        Err(e) => Err(GatewayError::ReadBody(e)),
    }
}

/// `bytes` as a `T`, or [`GatewayError::BadJson`] naming `what` was being read.
pub(crate) fn parse_json<T: DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, GatewayError> {
    serde_json::from_slice(bytes).map_err(|source| GatewayError::BadJson { what, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_names_what_was_read() {
        let err = parse_json::<faas_core::Secret>(b"{", "secret").unwrap_err();
        assert!(
            err.chain().starts_with("invalid JSON in the secret: "),
            "{}",
            err.chain()
        );
    }
}

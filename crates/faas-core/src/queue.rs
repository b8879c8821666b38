//! Asynchronous invocations: the request the gateway hands to a queue, and the
//! [`InvocationQueue`] trait a queue backend (`faas-queue`) implements (docs/api.md §11).

use serde::{Deserialize, Serialize};

use crate::error::ProviderError;
use crate::name::FunctionRef;
use crate::provider::BoxFuture;

/// Everything needed to replay an invocation later: what was called, how, and where to send the
/// result.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedInvocation {
    /// The function called.
    pub function: FunctionRef,
    /// The path segment as invoked (`echo` or `echo.openfaas-fn`), for `X-Function-Name`.
    pub segment: String,
    /// The original HTTP method.
    pub method: String,
    /// The path after the function segment, starting with `/`.
    pub path: String,
    /// The raw query string, without `?`; empty when there was none.
    pub query: String,
    /// Request headers in order, hop-by-hop headers removed; values as bytes.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The request body.
    #[serde(with = "base64_bytes")]
    pub body: Vec<u8>,
    /// The `X-Call-Id` given to the client.
    pub call_id: String,
    /// When the gateway accepted the call, Unix nanoseconds (`X-Start-Time`).
    pub start_time_ns: u64,
    /// Where to POST the function's response (`X-Callback-Url`), if anywhere.
    pub callback_url: Option<String>,
}

impl std::fmt::Debug for QueuedInvocation {
    /// Never prints headers or body: they may hold credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuedInvocation")
            .field("function", &self.function)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("call_id", &self.call_id)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// A durable queue of invocations. `enqueue` returns only once the invocation is stored, so the
/// gateway answers 202 only for calls that will run.
pub trait InvocationQueue: Send + Sync + 'static {
    /// Stores `invocation` for a worker. `Unavailable` when the queue cannot be reached.
    fn enqueue(&self, invocation: QueuedInvocation) -> BoxFuture<'_, Result<(), ProviderError>>;
}

mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_hides_body() {
        let q = QueuedInvocation {
            function: FunctionRef::new("echo", None),
            segment: "echo".into(),
            method: "PUT".into(),
            path: "/a".into(),
            query: "x=1".into(),
            headers: vec![("authorization".into(), b"Bearer t".to_vec())],
            body: b"hello".to_vec(),
            call_id: "id".into(),
            start_time_ns: 1,
            callback_url: None,
        };
        let json = serde_json::to_string(&q).unwrap();
        assert!(json.contains("\"aGVsbG8=\""));
        assert_eq!(serde_json::from_str::<QueuedInvocation>(&json).unwrap(), q);
        assert!(!format!("{q:?}").contains("Bearer"));
    }
}

//! `GET /system/logs` (docs/api.md §9): the query parsed as upstream does, then an NDJSON stream,
//! one JSON object per line, each sent as soon as the provider yields it.

use bytes::Bytes;
use faas_core::{LogMessage, LogRequest, LogStream};
use futures_util::StreamExt as _;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::request::Parts;
use http::Response;
use http_body::Frame;
use http_body_util::StreamBody;
use jiff::Timestamp;

use crate::body::GatewayBody;
use crate::error::{BoxError, GatewayError};
use crate::gateway::Shared;
use crate::query;

/// Streams a function's log lines.
pub(super) async fn logs(
    shared: &Shared,
    parts: &Parts,
) -> Result<Response<GatewayBody>, GatewayError> {
    let request = parse_log_request(parts.uri.query(), &shared.config.default_namespace)?;
    let stream = shared.provider.logs(request).await?;
    let mut response = Response::new(GatewayBody::stream(StreamBody::new(ndjson(stream))));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

/// Each message as one JSON line. A provider error mid-stream ends the stream (the status is
/// already sent); it is logged.
fn ndjson(
    stream: LogStream,
) -> impl futures_util::Stream<Item = Result<Frame<Bytes>, BoxError>> + Send + 'static {
    futures_util::stream::unfold(stream, |mut stream| async move {
        match stream.next().await? {
            Ok(message) => Some((Ok(Frame::data(line(&message))), stream)),
            Err(e) => {
                tracing::warn!(error = %e.chain(), "log stream ended by the provider");
                None
            }
        }
    })
}

fn line(message: &LogMessage) -> Bytes {
    let mut bytes = serde_json::to_vec(message).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

/// The log request of a query: `name` required (400), `tail` an integer (≤ 0: no limit),
/// `since` RFC 3339, `follow` a Go boolean; anything unparsable → 422.
fn parse_log_request(q: Option<&str>, default_namespace: &str) -> Result<LogRequest, GatewayError> {
    let name = query::non_empty(q, "name")
        .ok_or_else(|| GatewayError::bad_request("the log request needs a function: add ?name="))?;
    let tail = match query::non_empty(q, "tail") {
        None => None,
        Some(t) => {
            let n: i64 = t
                .parse()
                .map_err(|_| GatewayError::BadLogQuery(format!("tail {t:?} is not an integer")))?;
            usize::try_from(n).ok().filter(|n| *n > 0)
        }
    };
    let since = match query::non_empty(q, "since") {
        None => None,
        Some(s) => Some(s.parse::<Timestamp>().map_err(|_| {
            GatewayError::BadLogQuery(format!("since {s:?} is not an RFC 3339 time"))
        })?),
    };
    let follow = match query::non_empty(q, "follow").as_deref() {
        None | Some("0" | "f" | "F" | "false" | "FALSE" | "False") => false,
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => true,
        Some(other) => {
            return Err(GatewayError::BadLogQuery(format!(
                "follow {other:?} is not a boolean"
            )))
        }
    };
    Ok(LogRequest {
        namespace: query::non_empty(q, "namespace").unwrap_or_else(|| default_namespace.to_owned()),
        instance: query::non_empty(q, "instance"),
        name,
        tail,
        since,
        follow,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rescue::status_of;

    #[test]
    fn faas_cli_default_query() {
        let r = parse_log_request(Some("follow=true&name=figlet&tail=-1"), "openfaas-fn").unwrap();
        assert_eq!(r.name, "figlet");
        assert_eq!(r.namespace, "openfaas-fn");
        assert_eq!(r.tail, None);
        assert!(r.follow);
        let r = parse_log_request(
            Some(
                "name=a&namespace=dev&tail=5&since=2026-11-25T13:00:00Z&instance=a-1&follow=false",
            ),
            "team",
        )
        .unwrap();
        assert_eq!((r.namespace.as_str(), r.tail), ("dev", Some(5)));
        assert_eq!(r.instance.as_deref(), Some("a-1"));
        assert!(r.since.is_some() && !r.follow);
    }

    #[test]
    fn bad_queries() {
        let code = |q| status_of(&parse_log_request(Some(q), "openfaas-fn").unwrap_err()).as_u16();
        assert_eq!(code("tail=1"), 400);
        assert_eq!(code("name="), 400);
        assert_eq!(code("name=a&tail=x"), 422);
        assert_eq!(code("name=a&since=yesterday"), 422);
        assert_eq!(code("name=a&follow=maybe"), 422);
        let err = parse_log_request(Some("name=a&tail=x"), "openfaas-fn").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("could not parse the log request"));
    }
}

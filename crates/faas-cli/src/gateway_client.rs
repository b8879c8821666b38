//! The gateway's management API as the CLI calls it (docs/api.md §3–§9, §15): one method per route,
//! JSON documents from faas-core, the stored credentials on every `/system/*` call, 401 turned
//! into "run faas login", and faas-cli's success codes.

use std::time::Duration;

use bytes::Bytes;
use faas_core::{
    DeleteFunctionRequest, FunctionDeployment, FunctionStatus, GatewayInfo, NamespaceRequest,
    ScaleServiceRequest, Secret, SecretDescription,
};
use http::{header, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;

use crate::config::Credentials;
use crate::error::Error;
use crate::http_client::{HttpClient, Reply, RequestBody};
use crate::settings::GatewaySettings;

/// Timeout of most management calls, and of deploys (docs/api.md §15.4).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Timeout of `login`'s check and `version`'s info call (docs/api.md §15.3, §15.8).
pub const SHORT_TIMEOUT: Duration = Duration::from_secs(5);

/// Characters escaped in query keys and values.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `k=v&…` with both sides percent-encoded (so `%` becomes `%25`).
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY_VALUE),
                utf8_percent_encode(v, QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// How a deploy went: the method that succeeded, its status and the gateway's warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployOutcome {
    /// `PUT` (update) or `POST` (create).
    pub method: &'static str,
    /// 200 or 202.
    pub status: StatusCode,
    /// The texts of the response's `Warning` headers (e.g. the registry could not be reached
    /// and the image already on the machine was used).
    pub warnings: Vec<String>,
}

/// What `logs` asks for (docs/api.md §9).
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    /// The function.
    pub name: String,
    /// Its namespace, when given.
    pub namespace: Option<String>,
    /// Only this replica.
    pub instance: Option<String>,
    /// Lines from the end; -1 for all.
    pub tail: i64,
    /// RFC 3339 start time.
    pub since: Option<String>,
    /// Keep streaming.
    pub follow: bool,
}

/// A client for one gateway.
#[derive(Debug, Clone)]
pub struct GatewayClient {
    base: String,
    credentials: Option<Credentials>,
    http: HttpClient,
}

impl GatewayClient {
    /// A client for the resolved gateway.
    pub fn new(settings: &GatewaySettings) -> Self {
        Self {
            base: settings.url.clone(),
            credentials: settings.credentials.clone(),
            http: if settings.tls_no_verify {
                HttpClient::tls_no_verify()
            } else {
                HttpClient::new()
            },
        }
    }

    /// The gateway URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        credentials: Option<&Credentials>,
    ) -> Result<Request<RequestBody>, Error> {
        let url = format!("{}{path}", self.base);
        let mut builder = Request::builder()
            .method(method)
            .uri(&url)
            .header(header::USER_AGENT, crate::USER_AGENT);
        if let Some(credentials) = credentials {
            builder = builder.header(header::AUTHORIZATION, credentials.header_value());
        }
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        builder
            .body(RequestBody::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| Error::Url {
                url,
                message: e.to_string(),
            })
    }

    /// A management call with the stored credentials; 401 → [`Error::Unauthorized`].
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<Reply, Error> {
        let request = self.request(method, path, body, self.credentials.as_ref())?;
        let reply = self.http.send(request, timeout).await?;
        if reply.status == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized);
        }
        Ok(reply)
    }

    fn json<T: serde::Serialize>(value: &T) -> Option<Vec<u8>> {
        Some(serde_json::to_vec(value).unwrap_or_default())
    }

    fn decode<T: DeserializeOwned>(&self, path: &str, reply: &Reply) -> Result<T, Error> {
        serde_json::from_slice(&reply.body).map_err(|source| Error::Decode {
            url: format!("{}{path}", self.base),
            source,
        })
    }

    fn unexpected(reply: &Reply) -> Error {
        Error::Status {
            status: reply.status,
            body: reply.text(),
        }
    }

    /// Checks `credentials` with `GET /system/functions` (200 needed, 5 s).
    pub async fn check_login(&self, credentials: &Credentials) -> Result<(), Error> {
        let request = self.request(Method::GET, "/system/functions", None, Some(credentials))?;
        let reply = self.http.send(request, SHORT_TIMEOUT).await?;
        match reply.status {
            StatusCode::OK => Ok(()),
            StatusCode::UNAUTHORIZED => Err(Error::usage(
                "unable to login, either username or password is incorrect",
            )),
            _ => Err(Self::unexpected(&reply)),
        }
    }

    /// `GET /system/functions[?namespace=]`.
    pub async fn list_functions(
        &self,
        namespace: Option<&str>,
    ) -> Result<Vec<FunctionStatus>, Error> {
        let path = match namespace {
            Some(ns) => format!("/system/functions?{}", encode_query([("namespace", ns)])),
            None => "/system/functions".to_owned(),
        };
        let reply = self.call(Method::GET, &path, None, DEFAULT_TIMEOUT).await?;
        if reply.status != StatusCode::OK {
            return Err(Self::unexpected(&reply));
        }
        let list: Option<Vec<FunctionStatus>> = self.decode(&path, &reply)?;
        Ok(list.unwrap_or_default())
    }

    /// `GET /system/function/{name}?namespace=&usage=1`; `None` on 404.
    pub async fn function_status(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<Option<FunctionStatus>, Error> {
        let mut query = vec![("usage", "1")];
        if let Some(ns) = namespace {
            query.insert(0, ("namespace", ns));
        }
        let path = format!(
            "/system/function/{}?{}",
            utf8_percent_encode(name, QUERY_VALUE),
            encode_query(query)
        );
        let reply = self.call(Method::GET, &path, None, DEFAULT_TIMEOUT).await?;
        match reply.status {
            StatusCode::OK => self.decode(&path, &reply).map(Some),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(Self::unexpected(&reply)),
        }
    }

    /// Deploys: `PUT` then `POST` on 404 (`update`), `POST` only (`!update`), or `DELETE` then
    /// `POST` (`replace`). Success is 200 or 202 only (docs/api.md §15.4).
    pub async fn deploy(
        &self,
        deployment: &FunctionDeployment,
        update: bool,
        replace: bool,
    ) -> Result<DeployOutcome, Error> {
        let body = Self::json(deployment);
        if replace {
            let _ = self
                .remove_function(&deployment.service, deployment.namespace.as_deref())
                .await;
        } else if update {
            let reply = self
                .call(
                    Method::PUT,
                    "/system/functions",
                    body.clone(),
                    DEFAULT_TIMEOUT,
                )
                .await?;
            match reply.status {
                StatusCode::OK | StatusCode::ACCEPTED => {
                    return Ok(DeployOutcome {
                        method: "PUT",
                        status: reply.status,
                        warnings: warning_texts(&reply.headers),
                    })
                }
                StatusCode::NOT_FOUND => {}
                _ => return Err(Self::unexpected(&reply)),
            }
        }
        let reply = self
            .call(Method::POST, "/system/functions", body, DEFAULT_TIMEOUT)
            .await?;
        match reply.status {
            StatusCode::OK | StatusCode::ACCEPTED => Ok(DeployOutcome {
                method: "POST",
                status: reply.status,
                warnings: warning_texts(&reply.headers),
            }),
            _ => Err(Self::unexpected(&reply)),
        }
    }

    /// `DELETE /system/functions`; `false` when the function does not exist.
    pub async fn remove_function(
        &self,
        name: &str,
        namespace: Option<&str>,
    ) -> Result<bool, Error> {
        let body = Self::json(&DeleteFunctionRequest {
            function_name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
        });
        let reply = self
            .call(Method::DELETE, "/system/functions", body, DEFAULT_TIMEOUT)
            .await?;
        match reply.status {
            StatusCode::OK | StatusCode::CREATED | StatusCode::ACCEPTED => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(Self::unexpected(&reply)),
        }
    }

    /// `POST /system/scale-function/{name}`.
    pub async fn scale(
        &self,
        name: &str,
        namespace: Option<&str>,
        replicas: u64,
    ) -> Result<(), Error> {
        let body = Self::json(&ScaleServiceRequest {
            service_name: Some(name.to_owned()),
            replicas,
            namespace: namespace.map(str::to_owned),
        });
        let path = format!(
            "/system/scale-function/{}",
            utf8_percent_encode(name, QUERY_VALUE)
        );
        let reply = self
            .call(Method::POST, &path, body, DEFAULT_TIMEOUT)
            .await?;
        match reply.status {
            StatusCode::OK | StatusCode::ACCEPTED | StatusCode::NO_CONTENT => Ok(()),
            _ => Err(Self::unexpected(&reply)),
        }
    }

    /// `GET /system/secrets[?namespace=]` (200 or 202).
    pub async fn list_secrets(
        &self,
        namespace: Option<&str>,
    ) -> Result<Vec<SecretDescription>, Error> {
        let path = match namespace {
            Some(ns) => format!("/system/secrets?{}", encode_query([("namespace", ns)])),
            None => "/system/secrets".to_owned(),
        };
        let reply = self.call(Method::GET, &path, None, DEFAULT_TIMEOUT).await?;
        if !matches!(reply.status, StatusCode::OK | StatusCode::ACCEPTED) {
            return Err(Self::unexpected(&reply));
        }
        let list: Option<Vec<SecretDescription>> = self.decode(&path, &reply)?;
        Ok(list.unwrap_or_default())
    }

    /// `POST /system/secrets` (create) or `PUT` (update).
    pub async fn save_secret(&self, secret: &Secret, update: bool) -> Result<(), Error> {
        let method = if update { Method::PUT } else { Method::POST };
        let reply = self
            .call(
                method,
                "/system/secrets",
                Self::json(secret),
                DEFAULT_TIMEOUT,
            )
            .await?;
        match (reply.status, update) {
            (StatusCode::OK | StatusCode::CREATED | StatusCode::ACCEPTED, false) => Ok(()),
            (StatusCode::OK | StatusCode::ACCEPTED, true) => Ok(()),
            (StatusCode::CONFLICT, false) => Err(Error::usage(format!(
                "secret with the name {:?} already exists; use \"faas secret update\" to change it",
                secret.name
            ))),
            (StatusCode::NOT_FOUND, true) => Err(Error::usage(format!(
                "unable to find secret: {}",
                secret.name
            ))),
            _ => Err(Self::unexpected(&reply)),
        }
    }

    /// `DELETE /system/secrets` (200 or 202).
    pub async fn remove_secret(&self, name: &str, namespace: Option<&str>) -> Result<(), Error> {
        let body = Self::json(&Secret {
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
            ..Secret::default()
        });
        let reply = self
            .call(Method::DELETE, "/system/secrets", body, DEFAULT_TIMEOUT)
            .await?;
        match reply.status {
            StatusCode::OK | StatusCode::ACCEPTED => Ok(()),
            StatusCode::NOT_FOUND => Err(Error::usage(format!("unable to find secret: {name}"))),
            _ => Err(Self::unexpected(&reply)),
        }
    }

    /// `GET /system/namespaces`.
    pub async fn list_namespaces(&self) -> Result<Vec<String>, Error> {
        let path = "/system/namespaces";
        let reply = self.call(Method::GET, path, None, DEFAULT_TIMEOUT).await?;
        if !reply.status.is_success() {
            return Err(Self::unexpected(&reply));
        }
        let list: Option<Vec<String>> = self.decode(path, &reply)?;
        Ok(list.unwrap_or_default())
    }

    /// `POST /system/namespace/` with the OpenFaaS marker.
    pub async fn create_namespace(&self, name: &str) -> Result<(), Error> {
        let body = Self::json(
            &NamespaceRequest {
                name: name.to_owned(),
                ..NamespaceRequest::default()
            }
            .with_marker(),
        );
        let reply = self
            .call(Method::POST, "/system/namespace/", body, DEFAULT_TIMEOUT)
            .await?;
        match reply.status {
            StatusCode::OK | StatusCode::CREATED | StatusCode::ACCEPTED => Ok(()),
            _ => Err(Self::unexpected(&reply)),
        }
    }

    /// `DELETE /system/namespace/{ns}`.
    pub async fn remove_namespace(&self, name: &str) -> Result<(), Error> {
        let body = Self::json(&NamespaceRequest {
            name: name.to_owned(),
            ..NamespaceRequest::default()
        });
        let path = format!(
            "/system/namespace/{}",
            utf8_percent_encode(name, QUERY_VALUE)
        );
        let reply = self
            .call(Method::DELETE, &path, body, DEFAULT_TIMEOUT)
            .await?;
        match reply.status {
            StatusCode::OK | StatusCode::CREATED | StatusCode::ACCEPTED => Ok(()),
            _ => Err(Self::unexpected(&reply)),
        }
    }

    /// `GET /system/info` (5 s).
    pub async fn info(&self) -> Result<GatewayInfo, Error> {
        let path = "/system/info";
        let reply = self.call(Method::GET, path, None, SHORT_TIMEOUT).await?;
        if reply.status != StatusCode::OK {
            return Err(Self::unexpected(&reply));
        }
        self.decode(path, &reply)
    }

    /// `GET /healthz` (no credentials): whether it answered 200.
    pub async fn healthy(&self) -> Result<bool, Error> {
        let request = self.request(Method::GET, "/healthz", None, None)?;
        let reply = self.http.send(request, SHORT_TIMEOUT).await?;
        Ok(reply.status == StatusCode::OK)
    }

    /// `GET /system/logs?…`: the response with its NDJSON body unread.
    pub async fn logs(&self, query: &LogQuery) -> Result<Response<Incoming>, Error> {
        let tail = query.tail.to_string();
        let mut pairs = vec![
            ("follow", if query.follow { "true" } else { "false" }),
            ("name", query.name.as_str()),
            ("tail", tail.as_str()),
        ];
        if let Some(ns) = &query.namespace {
            pairs.push(("namespace", ns));
        }
        if let Some(since) = &query.since {
            pairs.push(("since", since));
        }
        if let Some(instance) = &query.instance {
            pairs.push(("instance", instance));
        }
        let path = format!("/system/logs?{}", encode_query(pairs));
        let request = self.request(Method::GET, &path, None, self.credentials.as_ref())?;
        let response = self.http.open(request, DEFAULT_TIMEOUT).await?;
        match response.status() {
            StatusCode::OK => Ok(response),
            StatusCode::UNAUTHORIZED => Err(Error::Unauthorized),
            status => {
                let body = http_body_util::BodyExt::collect(response.into_body())
                    .await
                    .map(|b| String::from_utf8_lossy(&b.to_bytes()).trim().to_owned())
                    .unwrap_or_default();
                Err(Error::Status { status, body })
            }
        }
    }

    /// Sends an invocation (no credentials, as faas-cli): `request` is built by the caller
    /// with a path relative to the gateway.
    pub async fn invoke(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<Reply, Error> {
        let url = format!("{}{path_and_query}", self.base);
        let mut builder = Request::builder()
            .method(method)
            .uri(&url)
            .header(header::USER_AGENT, crate::USER_AGENT);
        for (k, v) in headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder
            .body(RequestBody::new(body))
            .map_err(|e| Error::Url {
                url,
                message: e.to_string(),
            })?;
        self.http.send(request, INVOKE_TIMEOUT).await
    }
}

/// How long an invocation may take before the CLI gives up.
pub const INVOKE_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// The texts of `Warning: <code> <agent> "<text>" [date]` headers (RFC 7234 §5.5), unquoted;
/// a value that is not in that form is taken whole.
pub fn warning_texts(headers: &http::HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::WARNING)
        .iter()
        .map(|v| {
            let v = String::from_utf8_lossy(v.as_bytes());
            let Some(start) = v.find('"') else {
                return v.trim().to_owned();
            };
            let mut text = String::new();
            let mut chars = v[start + 1..].chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => text.extend(chars.next()),
                    '"' => break,
                    c => text.push(c),
                }
            }
            text
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_headers_are_unquoted() {
        let mut h = http::HeaderMap::new();
        h.append(
            http::header::WARNING,
            http::HeaderValue::from_static(
                r#"299 - "registry \"r\" down, C:\\x" "Thu, 01 Jan 2026 00:00:00 GMT""#,
            ),
        );
        h.append(
            http::header::WARNING,
            http::HeaderValue::from_static("plain"),
        );
        assert_eq!(
            warning_texts(&h),
            [r#"registry "r" down, C:\x"#.to_owned(), "plain".to_owned()]
        );
        assert!(warning_texts(&http::HeaderMap::new()).is_empty());
    }

    #[test]
    fn query_values_are_re_encoded() {
        assert_eq!(
            encode_query([("q", "100%"), ("a b", "c&d")]),
            "q=100%25&a%20b=c%26d"
        );
        assert_eq!(
            encode_query([("follow", "true"), ("name", "figlet"), ("tail", "-1")]),
            "follow=true&name=figlet&tail=-1"
        );
    }
}

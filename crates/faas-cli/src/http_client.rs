//! A small HTTP client over hyper-util's pooled legacy client: plain HTTP, or HTTPS with the
//! system's root certificates (built only when an `https` URL is used), with per-call timeouts.
//! [`HttpClient::tls_no_verify`] makes a client that accepts any server certificate
//! (`--tls-no-verify`); every other client verifies, and a certificate that fails verification
//! is reported as [`Error::Certificate`].

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::error::Error;

/// The body of every request we send.
pub type RequestBody = Full<Bytes>;

/// How long to wait for a connection before giving up, whatever the call's own timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A complete response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl Reply {
    /// The body as text, trimmed (for messages).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).trim().to_owned()
    }
}

type TlsClient = Client<HttpsConnector<HttpConnector>, RequestBody>;

/// Sends requests; cheap to clone.
#[derive(Debug, Clone)]
pub struct HttpClient {
    plain: Client<HttpConnector, RequestBody>,
    tls: std::sync::Arc<OnceLock<Result<TlsClient, String>>>,
    verify: bool,
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClient {
    /// A client with no connection open yet.
    pub fn new() -> Self {
        Self {
            plain: Client::builder(TokioExecutor::new()).build(connector()),
            tls: std::sync::Arc::default(),
            verify: true,
        }
    }

    /// A client that accepts any certificate from an `https` server (`--tls-no-verify`): the
    /// connection is still encrypted, but the server is not authenticated.
    pub fn tls_no_verify() -> Self {
        Self {
            verify: false,
            ..Self::new()
        }
    }

    fn tls_client(&self) -> Result<&TlsClient, Error> {
        let built = self.tls.get_or_init(|| {
            let builder = HttpsConnectorBuilder::new();
            let builder = if self.verify {
                builder
                    .with_native_roots()
                    .map_err(|e| format!("no usable root certificates for HTTPS: {e}"))?
            } else {
                builder.with_tls_config(any_certificate::client_config()?)
            };
            let tls = builder
                .https_or_http()
                .enable_http1()
                .wrap_connector(connector());
            Ok(Client::builder(TokioExecutor::new()).build(tls))
        });
        built.as_ref().map_err(|message| Error::Http {
            url: "https://".to_owned(),
            source: message.clone().into(),
        })
    }

    /// Sends `request` and returns the response head with the body unread. Only connecting and
    /// the response head are bounded (by `timeout`).
    pub async fn open(
        &self,
        request: Request<RequestBody>,
        timeout: Duration,
    ) -> Result<Response<Incoming>, Error> {
        let url = request.uri().to_string();
        tracing::debug!(method = %request.method(), %url, "request");
        let sending = async {
            if request.uri().scheme_str() == Some("https") {
                self.tls_client()?.request(request).await
            } else {
                self.plain.request(request).await
            }
            .map_err(|e| classify(&url, e))
        };
        match tokio::time::timeout(timeout, sending).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                url,
                after: timeout,
            }),
        }
    }

    /// Sends `request` and reads the whole response within `timeout`.
    pub async fn send(
        &self,
        request: Request<RequestBody>,
        timeout: Duration,
    ) -> Result<Reply, Error> {
        let url = request.uri().to_string();
        let exchange = async {
            let response = self.open(request, timeout).await?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| Error::Http {
                    url: url.clone(),
                    source: Box::new(e),
                })?
                .to_bytes();
            tracing::debug!(status = %parts.status, bytes = body.len(), "response");
            Ok(Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                url,
                after: timeout,
            }),
        }
    }
}

mod any_certificate {
    //! The rustls configuration of `--tls-no-verify`: the handshake's signatures are still
    //! checked (so the connection is encrypted to whoever holds the certificate's key), the
    //! certificate itself is not.

    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

    /// A client configuration whose verifier accepts every server certificate.
    pub(super) fn client_config() -> Result<ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
            .with_no_client_auth();
        Ok(config)
    }

    /// Accepts any certificate; verifies handshake signatures with the provider's algorithms.
    #[derive(Debug)]
    struct AcceptAnyCertificate(Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAnyCertificate {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

fn connector() -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    http
}

/// The rustls error `err` is or wraps: it arrives inside io::Errors, whose `source` skips the
/// error they wrap.
fn tls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let inner = err.downcast_ref::<std::io::Error>()?.get_ref()?;
    tls_error(inner)
}

/// A certificate rejected by rustls becomes [`Error::Certificate`]; other connection failures
/// [`Error::Connect`] with the innermost I/O error (e.g. "Connection refused"); anything else
/// [`Error::Http`].
fn classify(url: &str, err: hyper_util::client::legacy::Error) -> Error {
    if err.is_connect() {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&err);
        let mut innermost = None;
        while let Some(c) = cause {
            if let Some(tls @ rustls::Error::InvalidCertificate(_)) = tls_error(c) {
                return Error::Certificate {
                    url: url.to_owned(),
                    reason: tls.to_string(),
                };
            }
            if let Some(io) = c.downcast_ref::<std::io::Error>() {
                innermost = Some(std::io::Error::new(io.kind(), io.to_string()));
            }
            cause = c.source();
        }
        let source = innermost.unwrap_or_else(|| std::io::Error::other(err.to_string()));
        return Error::Connect {
            url: url.to_owned(),
            source,
        };
    }
    Error::Http {
        url: url.to_owned(),
        source: Box::new(err),
    }
}

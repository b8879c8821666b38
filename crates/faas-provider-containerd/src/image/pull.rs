//! Fetching an image from a registry (distribution API v2): HTTP for loopback and listed
//! insecure registries, HTTPS otherwise; anonymous, basic or bearer-token auth; the node's
//! platform picked from an index. Blobs are verified against their digests.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use http::{Request, Uri};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::auth::{parse_challenge, Challenge, Credentials};
use super::blob::Blob;
use super::manifest::{
    hex, is_index, node_architecture, parse_json, pick_platform, sha256_digest, Descriptor,
    Manifest, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST,
};
use super::reference::ImageReference;
use super::store::StagedImage;
use crate::error::{Error, Result};

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// An HTTP(S) client for registries.
#[derive(Clone, Debug)]
pub struct RegistryClient {
    http: HttpsClient,
}

impl RegistryClient {
    /// A client trusting the system's root certificates.
    pub fn new() -> Result<Self> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| Error::Registry {
                registry: "*".to_owned(),
                message: format!("loading the system's root certificates: {e}"),
            })?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            http: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// The digest of the manifest `reference` names today for the node's platform (through
    /// an index when the tag names one): what [`Self::pull`] would fetch, for comparing with
    /// the image already stored. One or two small manifest GETs, no blob.
    pub async fn resolve(
        &self,
        reference: &ImageReference,
        insecure: bool,
        credentials: Option<Credentials>,
    ) -> Result<String> {
        let mut session = Session::new(&self.http, reference, insecure, credentials);
        Ok(session.platform_manifest().await?.2)
    }

    /// Fetches `reference` (the node's platform): manifest and config into memory, layers into
    /// temporary files under `spool` (removed when the staged image is dropped).
    pub async fn pull(
        &self,
        reference: &ImageReference,
        insecure: bool,
        credentials: Option<Credentials>,
        spool: &Path,
    ) -> Result<StagedImage> {
        let mut session = Session::new(&self.http, reference, insecure, credentials);
        let (mut media_type, body, manifest_digest) = session.platform_manifest().await?;
        let manifest: Manifest = parse_json("image manifest", &body)?;
        if media_type.is_empty() {
            media_type = manifest
                .media_type
                .clone()
                .unwrap_or_else(|| OCI_MANIFEST.to_owned());
        }
        let config = session.get_small_blob(&manifest.config).await?;
        let mut layers = Vec::with_capacity(manifest.layers.len());
        for layer in &manifest.layers {
            layers.push((layer.clone(), session.get_blob(layer, spool).await?));
        }
        Ok(StagedImage {
            name: reference.name(),
            manifest_descriptor: Descriptor {
                media_type,
                digest: manifest_digest,
                size: body.len() as i64,
                platform: None,
                annotations: Default::default(),
            },
            manifest: body,
            config: config.to_vec(),
            layers,
        })
    }
}

struct Session<'a> {
    http: &'a HttpsClient,
    base: String,
    reference: &'a ImageReference,
    credentials: Option<Credentials>,
    authorization: Option<String>,
}

impl<'a> Session<'a> {
    fn new(
        http: &'a HttpsClient,
        reference: &'a ImageReference,
        insecure: bool,
        credentials: Option<Credentials>,
    ) -> Self {
        Session {
            http,
            base: format!(
                "{}://{}",
                if insecure { "http" } else { "https" },
                reference.api_host()
            ),
            reference,
            credentials,
            authorization: None,
        }
    }

    /// The node platform's manifest: media type (empty when the registry did not say), body
    /// and digest (checked against a pinned digest and the index entry).
    async fn platform_manifest(&mut self) -> Result<(String, Vec<u8>, String)> {
        let reference = self.reference;
        let accept = [
            OCI_INDEX,
            OCI_MANIFEST,
            DOCKER_MANIFEST_LIST,
            DOCKER_MANIFEST,
        ]
        .join(", ");
        let (mut media_type, mut body) = self
            .get_manifest(reference.manifest_reference(), &accept)
            .await?;
        let mut manifest_digest = sha256_digest(&body);
        if let Some(d) = &reference.digest {
            if *d != manifest_digest {
                return Err(Error::BadImage(format!(
                    "the registry sent a manifest with digest {manifest_digest}, not {d}"
                )));
            }
        }
        if is_index(&media_type, &body) {
            let index = parse_json("image index", &body)?;
            let chosen = pick_platform(&index, node_architecture())?.clone();
            let (t, b) = self.get_manifest(&chosen.digest, &accept).await?;
            manifest_digest = sha256_digest(&b);
            if manifest_digest != chosen.digest {
                return Err(Error::BadImage(format!(
                    "manifest {} has digest {manifest_digest}",
                    chosen.digest
                )));
            }
            media_type = if t.is_empty() { chosen.media_type } else { t };
            body = b;
        }
        Ok((media_type, body, manifest_digest))
    }

    fn registry_error(&self, message: String) -> Error {
        Error::Registry {
            registry: self.reference.registry.clone(),
            message,
        }
    }

    async fn get_manifest(&mut self, reference: &str, accept: &str) -> Result<(String, Vec<u8>)> {
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base, self.reference.repository, reference
        );
        let (status, content_type, body) = self.get(&url, accept).await?;
        if status == 404 {
            return Err(Error::ImageNotFound {
                reference: self.reference.name(),
                source: format!("manifest {reference} not found").into(),
            });
        }
        if !(200..300).contains(&status) {
            return Err(self.registry_error(format!("GET manifest {reference}: status {status}")));
        }
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let media_type = if media_type == "application/json" {
            String::new()
        } else {
            media_type
        };
        Ok((media_type, body.to_vec()))
    }

    /// A small blob (the config), in memory, digest checked.
    async fn get_small_blob(&mut self, d: &Descriptor) -> Result<Bytes> {
        let url = self.blob_url(d);
        let (status, _, body) = self.get(&url, "*/*").await?;
        if !(200..300).contains(&status) {
            return Err(self.registry_error(format!("GET blob {}: status {status}", d.digest)));
        }
        let got = sha256_digest(&body);
        if got != d.digest {
            return Err(Error::BadImage(format!(
                "blob {} has digest {got}",
                d.digest
            )));
        }
        Ok(body)
    }

    /// A layer, written to a temporary file in `spool` as it arrives (digest and size checked
    /// on the way), so memory use does not grow with the layer.
    async fn get_blob(&mut self, d: &Descriptor, spool: &Path) -> Result<Blob> {
        let url = self.blob_url(d);
        let (status, _, mut body) = self.get_response(&url, "*/*").await?;
        if !(200..300).contains(&status) {
            return Err(self.registry_error(format!("GET blob {}: status {status}", d.digest)));
        }
        std::fs::create_dir_all(spool).map_err(|e| Error::io("creating", spool, e))?;
        let (file, path) = tempfile::NamedTempFile::new_in(spool)
            .map_err(|e| Error::io("creating a temporary file in", spool, e))?
            .into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| self.registry_error(format!("reading {url}: {e}")))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            hasher.update(&data);
            len += data.len() as u64;
            file.write_all(&data)
                .await
                .map_err(|e| Error::io("writing", path.to_path_buf(), e))?;
        }
        file.flush()
            .await
            .map_err(|e| Error::io("writing", path.to_path_buf(), e))?;
        let got = format!("sha256:{}", hex(&hasher.finalize()));
        if got != d.digest {
            return Err(Error::BadImage(format!(
                "blob {} has digest {got}",
                d.digest
            )));
        }
        Ok(Blob::File {
            path: Arc::new(path),
            len,
        })
    }

    fn blob_url(&self, d: &Descriptor) -> String {
        format!(
            "{}/v2/{}/blobs/{}",
            self.base, self.reference.repository, d.digest
        )
    }

    /// GET with auth negotiation and redirects, body read into memory.
    async fn get(&mut self, url: &str, accept: &str) -> Result<(u16, String, Bytes)> {
        let (status, content_type, body) = self.get_response(url, accept).await?;
        let body = body
            .collect()
            .await
            .map_err(|e| self.registry_error(format!("reading {url}: {e}")))?
            .to_bytes();
        Ok((status, content_type, body))
    }

    /// GET with auth negotiation and redirects (blob downloads often redirect to storage): the
    /// final status, content type and the body still to be read.
    async fn get_response(
        &mut self,
        url: &str,
        accept: &str,
    ) -> Result<(u16, String, hyper::body::Incoming)> {
        let mut url = url.to_owned();
        let mut authorized_host = true;
        let mut retried_auth = false;
        for _ in 0..6 {
            let uri: Uri = url
                .parse()
                .map_err(|e| self.registry_error(format!("bad URL {url}: {e}")))?;
            let mut req = Request::get(uri.clone()).header(ACCEPT, accept);
            if authorized_host {
                if let Some(a) = &self.authorization {
                    req = req.header(AUTHORIZATION, a);
                }
            }
            let req = req
                .body(Empty::new())
                .map_err(|e| self.registry_error(e.to_string()))?;
            let resp = self.http.request(req).await.map_err(|e| {
                self.registry_error(format!("GET {url}: {}", crate::error::error_chain(&e)))
            })?;
            let status = resp.status().as_u16();
            if (300..400).contains(&status) {
                let location = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        self.registry_error(format!("redirect without location from {url}"))
                    })?;
                url = if location.starts_with('/') {
                    format!(
                        "{}://{}{location}",
                        uri.scheme_str().unwrap_or("https"),
                        uri.authority().map(|a| a.as_str()).unwrap_or_default()
                    )
                } else {
                    location.to_owned()
                };
                authorized_host = url.starts_with(&self.base);
                continue;
            }
            if status == 401 && !retried_auth {
                let challenge = resp
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_challenge)
                    .ok_or_else(|| {
                        self.registry_error("401 without a usable WWW-Authenticate".to_owned())
                    })?;
                self.authorize(challenge).await?;
                retried_auth = true;
                continue;
            }
            if status == 401 || status == 403 {
                return Err(Error::ImageNotFound {
                    reference: self.reference.name(),
                    source: format!(
                        "the registry refused access (status {status}): check the credentials"
                    )
                    .into(),
                });
            }
            let content_type = resp
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            return Ok((status, content_type, resp.into_body()));
        }
        Err(self.registry_error(format!("too many redirects from {url}")))
    }

    async fn authorize(&mut self, challenge: Challenge) -> Result<()> {
        let basic = self.credentials.as_ref().map(|c| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", c.username, c.password))
            )
        });
        match challenge {
            Challenge::Basic => {
                self.authorization = Some(basic.ok_or_else(|| Error::ImageNotFound {
                    reference: self.reference.name(),
                    source: "the registry wants credentials and none are configured".into(),
                })?);
            }
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                let scope = scope
                    .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository));
                let mut url = format!("{realm}?scope={}", encode(&scope));
                if let Some(s) = service {
                    url.push_str(&format!("&service={}", encode(&s)));
                }
                let uri: Uri = url
                    .parse()
                    .map_err(|e| self.registry_error(format!("bad token realm {realm}: {e}")))?;
                let mut req = Request::get(uri);
                if let Some(b) = &basic {
                    req = req.header(AUTHORIZATION, b);
                }
                let req = req
                    .body(Empty::new())
                    .map_err(|e| self.registry_error(e.to_string()))?;
                let resp = self
                    .http
                    .request(req)
                    .await
                    .map_err(|e| self.registry_error(format!("getting a token: {e}")))?;
                let status = resp.status().as_u16();
                let body = resp
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| self.registry_error(format!("reading the token: {e}")))?
                    .to_bytes();
                if !(200..300).contains(&status) {
                    return Err(Error::ImageNotFound {
                        reference: self.reference.name(),
                        source: format!("the token service refused access (status {status})")
                            .into(),
                    });
                }
                #[derive(serde::Deserialize)]
                struct Token {
                    token: Option<String>,
                    access_token: Option<String>,
                }
                let t: Token = parse_json("registry token", &body)?;
                let token = t.token.or(t.access_token).ok_or_else(|| {
                    self.registry_error("token response without a token".to_owned())
                })?;
                self.authorization = Some(format!("Bearer {token}"));
            }
        }
        Ok(())
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

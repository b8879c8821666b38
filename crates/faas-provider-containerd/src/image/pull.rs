//! Fetching an image from a registry with `oci-client` (distribution API v2): plain HTTP for
//! loopback and listed insecure registries, HTTPS otherwise; anonymous, basic or bearer-token
//! auth from the docker `config.json` credentials; the node's platform picked from an index.
//! Manifests are kept byte for byte (their digest is what containerd stores), blobs are
//! digest-checked by the client and layers streamed to spool files, not held in memory.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::{ImageIndexEntry, OciImageIndex};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};

use super::auth::Credentials;
use super::blob::Blob;
use super::manifest::{
    is_index, parse_json, pick_platform, Descriptor, Manifest, DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST,
};
use super::reference::ImageReference;
use super::store::StagedImage;
use crate::error::{Error, Result};

/// The manifest media types asked for.
const ACCEPT: &[&str] = &[
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST,
];

/// The registry client. Each [`Self::resolve`] or [`Self::pull`] opens its own `oci-client`
/// session (scheme, credentials and tokens of that call), so credentials changed in the auth
/// file apply to the next pull.
#[derive(Clone, Debug)]
pub struct RegistryClient {
    _private: (),
}

impl RegistryClient {
    /// A client trusting the system's root certificates, TLS through rustls on ring.
    pub fn new() -> Result<Self> {
        // reqwest is built without a crypto provider of its own: ring, as the rest of the
        // workspace. Another part of the process may have installed one already: that one stays.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Self { _private: () })
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
        let session = Session::open(reference, insecure, credentials).await?;
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
        let session = Session::open(reference, insecure, credentials).await?;
        let (media_type, body, manifest_digest) = session.platform_manifest().await?;
        let manifest: Manifest = parse_json("image manifest", &body)?;
        let mut config = Vec::with_capacity(manifest.config.size.max(0) as usize);
        session
            .client
            .pull_blob(session.oci(), manifest.config.digest.as_str(), &mut config)
            .await
            .map_err(|e| session.error(&format!("blob {}", manifest.config.digest), e))?;
        std::fs::create_dir_all(spool).map_err(|e| Error::io("creating", spool, e))?;
        let mut layers = Vec::with_capacity(manifest.layers.len());
        for layer in &manifest.layers {
            layers.push((layer.clone(), session.layer(layer, spool).await?));
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
            manifest: body.to_vec(),
            config,
            layers,
        })
    }
}

/// One call's `oci-client` session: the client (its scheme, token cache) and the credentials.
struct Session<'a> {
    client: Client,
    auth: RegistryAuth,
    reference: &'a ImageReference,
    has_credentials: bool,
}

impl<'a> Session<'a> {
    /// A client for `reference`'s registry, authorised for pulls: the registry's challenge is
    /// answered now (basic credentials, or a bearer token obtained with them), so a refused
    /// login is reported as such rather than as a missing manifest.
    async fn open(
        reference: &'a ImageReference,
        insecure: bool,
        credentials: Option<Credentials>,
    ) -> Result<Session<'a>> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = ClientConfig {
            protocol: if insecure {
                ClientProtocol::Http
            } else {
                ClientProtocol::Https
            },
            platform_resolver: Some(Box::new(node_platform)),
            ..Default::default()
        };
        let client = Client::try_from(config).map_err(|e| Error::Registry {
            registry: reference.registry().to_owned(),
            message: format!(
                "building the HTTP client: {}",
                crate::error::error_chain(&e)
            ),
        })?;
        let has_credentials = credentials.is_some();
        let auth = match credentials {
            Some(c) => RegistryAuth::Basic(c.username, c.password),
            None => RegistryAuth::Anonymous,
        };
        let session = Session {
            client,
            auth,
            reference,
            has_credentials,
        };
        session
            .client
            .auth(session.oci(), &session.auth, RegistryOperation::Pull)
            .await
            .map_err(|e| session.error("authorising a pull", e))?;
        Ok(session)
    }

    fn oci(&self) -> &Reference {
        self.reference.oci()
    }

    /// The node platform's manifest: media type, body (as the registry sent it) and digest
    /// (checked by the client against the pinned digest, the index entry and the
    /// `Docker-Content-Digest` header).
    async fn platform_manifest(&self) -> Result<(String, Bytes, String)> {
        let (body, digest) = self
            .client
            .pull_manifest_raw(self.oci(), &self.auth, ACCEPT)
            .await
            .map_err(|e| self.error("manifest", e))?;
        let declared = declared_media_type(&body);
        if !is_index(declared.as_deref().unwrap_or_default(), &body) {
            return Ok((
                declared.unwrap_or_else(|| OCI_MANIFEST.to_owned()),
                body,
                digest,
            ));
        }
        let index: OciImageIndex = parse_json("image index", &body)?;
        let chosen = pick_platform(&index.manifests)?;
        let pinned = self.oci().clone_with_digest(chosen.digest.clone());
        let (body, digest) = self
            .client
            .pull_manifest_raw(&pinned, &self.auth, ACCEPT)
            .await
            .map_err(|e| self.error(&format!("manifest {}", chosen.digest), e))?;
        let media_type = declared_media_type(&body).unwrap_or_else(|| chosen.media_type.clone());
        Ok((media_type, body, digest))
    }

    /// A layer, written to a temporary file in `spool` as it arrives (the client checks its
    /// digest on the way), so memory use does not grow with the layer.
    async fn layer(&self, d: &Descriptor, spool: &Path) -> Result<Blob> {
        let (file, path) = tempfile::NamedTempFile::new_in(spool)
            .map_err(|e| Error::io("creating a temporary file in", spool, e))?
            .into_parts();
        let mut file = tokio::fs::File::from_std(file);
        self.client
            .pull_blob(self.oci(), d.digest.as_str(), &mut file)
            .await
            .map_err(|e| self.error(&format!("blob {}", d.digest), e))?;
        let len = file
            .metadata()
            .await
            .map_err(|e| Error::io("reading the size of", path.to_path_buf(), e))?
            .len();
        Ok(Blob::File {
            path: Arc::new(path),
            len,
        })
    }

    /// This crate's error for what `oci-client` reports while fetching `what`: refused
    /// credentials and missing manifests are the user's to fix ([`Error::ImageNotFound`]),
    /// digest mismatches are a bad image, the rest a registry that misbehaved or is down.
    fn error(&self, what: &str, e: OciDistributionError) -> Error {
        let reference = self.reference.name();
        let registry = self.reference.registry().to_owned();
        let not_found = |why: String| Error::ImageNotFound {
            reference: reference.clone(),
            source: why.into(),
        };
        let refused = |detail: &str| {
            if self.has_credentials {
                format!(
                    "registry {registry} refused the credentials configured for it ({detail}): check the registry auth file"
                )
            } else {
                format!(
                    "registry {registry} wants credentials and none are configured for it ({detail}): log in to it (registry auth file)"
                )
            }
        };
        match e {
            OciDistributionError::AuthenticationFailure(reason) => {
                not_found(refused(&format!("token service: {}", reason.trim())))
            }
            OciDistributionError::UnauthorizedError { .. } => {
                not_found(refused(&format!("{what}: 401 Unauthorized")))
            }
            OciDistributionError::RegistryError { ref envelope, .. }
                if envelope.errors.iter().any(|x| {
                    matches!(
                        x.code,
                        oci_client::errors::OciErrorCode::Unauthorized
                            | oci_client::errors::OciErrorCode::Denied
                    )
                }) =>
            {
                not_found(refused(&format!("{what}: {e}")))
            }
            OciDistributionError::RegistryError { .. }
            | OciDistributionError::ServerError { code: 404, .. }
            | OciDistributionError::ImageManifestNotFoundError(_) => {
                not_found(format!("{what} not found in registry {registry}: {e}"))
            }
            OciDistributionError::ServerError { code: 403, .. } => {
                not_found(refused(&format!("{what}: 403 Forbidden")))
            }
            OciDistributionError::DigestError(_) => Error::BadImage(format!("{what}: {e}")),
            other => Error::Registry {
                registry,
                message: format!("{what}: {}", crate::error::error_chain(&other)),
            },
        }
    }
}

/// The `mediaType` a manifest or index declares in its body, if any.
fn declared_media_type(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Declared {
        media_type: Option<String>,
    }
    serde_json::from_slice::<Declared>(body)
        .ok()
        .and_then(|d| d.media_type)
        .filter(|t| !t.is_empty())
}

/// [`pick_platform`] as `oci-client`'s platform resolver.
fn node_platform(entries: &[ImageIndexEntry]) -> Option<String> {
    pick_platform(entries).ok().map(|e| e.digest.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resolver_is_the_platform_choice() {
        let index: OciImageIndex = serde_json::from_str(
            r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:one","size":1}]}"#,
        )
        .unwrap();
        assert_eq!(
            node_platform(&index.manifests).as_deref(),
            Some("sha256:one")
        );
        assert_eq!(node_platform(&[]), None);
    }

    #[test]
    fn reads_the_declared_media_type() {
        assert_eq!(
            declared_media_type(br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#).as_deref(),
            Some(DOCKER_MANIFEST)
        );
        assert_eq!(declared_media_type(br#"{"schemaVersion":2}"#), None);
    }
}

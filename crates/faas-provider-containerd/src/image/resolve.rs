//! Which image a function runs: the tag looked up in its registry on every deploy and update,
//! so a tag pushed again (`hello-python:latest` rebuilt) is pulled and rolled out.
//!
//! [`Inner::ensure_image`] with [`ImagePolicy::Resolve`] (deploy, update):
//! - an image imported from an archive (`faasd import`) or pinned by digest that is already
//!   stored is used as is: no registry is asked;
//! - otherwise the registry is asked which manifest the tag names for this node's platform (one
//!   or two manifest GETs, [`RESOLVE_TIMEOUT`] at most). The same digest as the stored image →
//!   the stored one, nothing pulled; another digest or no stored image → pulled;
//! - the registry cannot answer (unreachable, name not resolved, timeout, refused, tag gone) and
//!   the image is stored → the stored image, with a warning the deploy or update returns (the
//!   gateway sends it as a `Warning` header; the CLI prints it); not stored → the pull's error,
//!   as before.
//!
//! [`ImagePolicy::Local`] (bringing functions back at start, re-creating replicas) uses the
//! stored image and pulls only when it is missing: restarts never change a function's code.

use std::time::Duration;

use super::auth::credentials_for;
use super::pull::RegistryClient;
use super::{ImageReference, StoredImage};
use crate::error::{error_chain, Error, Result};
use crate::provider::Inner;

/// How long asking a registry for a tag's digest may take before the stored image is used.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the registry is asked about an image already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImagePolicy {
    /// Ask the registry which digest the tag names; pull when it changed (deploy, update).
    Resolve,
    /// Use the stored image; pull only when missing (restore, reconcile).
    Local,
}

/// The image to run and the warnings for the user.
#[derive(Debug)]
pub struct EnsuredImage {
    /// The stored image.
    pub image: StoredImage,
    /// Why the registry was not followed, when it was not.
    pub warnings: Vec<String>,
}

impl Inner {
    fn registry_client(&self) -> Result<RegistryClient> {
        if let Some(r) = self.registry.get() {
            return Ok(r.clone());
        }
        let r = RegistryClient::new()?;
        let _ = self.registry.set(r.clone());
        Ok(r)
    }

    /// The image `image` in namespace `ns`, as `policy` says (see the module doc).
    pub(crate) async fn ensure_image(
        &self,
        ns: &str,
        image: &str,
        policy: ImagePolicy,
    ) -> Result<EnsuredImage> {
        let reference = ImageReference::parse(image)?;
        let name = reference.name();
        let stored = self.images.get(ns, &name).await?;
        let done = |image: StoredImage| EnsuredImage {
            image,
            warnings: Vec::new(),
        };
        let Some(stored) = stored else {
            return self.pull(ns, &reference).await.map(done);
        };
        let pinned = reference.digest().is_some() && !self.config.always_pull;
        if policy == ImagePolicy::Local || stored.imported || pinned {
            return Ok(done(stored));
        }
        let credentials = self.credentials(&reference);
        let insecure = reference.is_insecure(&self.config.insecure_registries);
        let asked = tokio::time::timeout(
            RESOLVE_TIMEOUT,
            self.registry_client()?
                .resolve(&reference, insecure, credentials),
        )
        .await
        .unwrap_or_else(|_| {
            Err(Error::Registry {
                registry: reference.registry().to_owned(),
                message: format!("no answer within {} s", RESOLVE_TIMEOUT.as_secs()),
            })
        });
        match asked {
            Ok(digest) if digest == stored.manifest_digest && !self.config.always_pull => {
                tracing::debug!(image = %name, namespace = ns, %digest, "image up to date");
                Ok(done(stored))
            }
            Ok(digest) => {
                tracing::info!(image = %name, namespace = ns, old = %stored.manifest_digest, new = %digest, "the tag names a new image");
                self.pull(ns, &reference).await.map(done)
            }
            Err(e) => {
                let warning = format!(
                    "could not check image {name} with registry {} ({}); using the copy already on this machine ({})",
                    reference.registry(),
                    error_chain(&e),
                    stored.manifest_digest
                );
                tracing::warn!(image = %name, namespace = ns, "{warning}");
                Ok(EnsuredImage {
                    image: stored,
                    warnings: vec![warning],
                })
            }
        }
    }

    fn credentials(&self, reference: &ImageReference) -> Option<super::auth::Credentials> {
        self.config
            .registry_auth_file
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|json| credentials_for(&json, reference.registry()))
    }

    /// Pulls `reference` into `ns` and stores it.
    async fn pull(&self, ns: &str, reference: &ImageReference) -> Result<StoredImage> {
        let name = reference.name();
        let insecure = reference.is_insecure(&self.config.insecure_registries);
        tracing::info!(image = %name, namespace = ns, insecure, "pulling image");
        let staged = self
            .registry_client()?
            .pull(
                reference,
                insecure,
                self.credentials(reference),
                &self.config.state_dir.join("tmp"),
            )
            .await
            .map_err(|e| match e {
                e @ (Error::ImageNotFound { .. } | Error::BadImage(_) | Error::Invalid(_)) => e,
                other => Error::ImageNotFound {
                    reference: name.clone(),
                    source: Box::new(other),
                },
            })?;
        self.images.store(ns, &staged).await
    }
}

//! `faasd import ARCHIVE NAME`: stores an image archive in a function namespace through
//! containerd, as `ctr images import` would, so `image: NAME` deploys without a registry. The
//! HTTP API has no upload route; this is how an archive becomes deployable.

use std::path::PathBuf;

use faas_core::NamespaceRequest;
use faas_provider_containerd::client::Containerd;
use faas_provider_containerd::image::{import::read_archive, ImageReference, ImageStore};
use faas_provider_containerd::namespaces::Namespaces;

use crate::error::Error;

/// Imports `archive` as `name` into `namespace` (created, marked as an OpenFaaS namespace, when
/// missing) on the containerd at `socket`; the normalised image name.
pub async fn import(
    socket: &std::path::Path,
    namespace: &str,
    archive: PathBuf,
    name: &str,
) -> Result<String, Error> {
    crate::preflight::check_socket(socket)?;
    let full = ImageReference::parse(name)?.name();
    let client = Containerd::connect(socket).await?;
    Namespaces::new(client.clone())
        .create(
            &NamespaceRequest {
                name: namespace.to_owned(),
                ..Default::default()
            },
            true,
        )
        .await?;
    let staged = {
        let full = full.clone();
        tokio::task::spawn_blocking(move || read_archive(&archive, &full))
            .await
            .map_err(|e| Error::BadConfig(format!("reading the archive: {e}")))??
    };
    ImageStore::new(client, "overlayfs".to_owned())
        .store_imported(namespace, &staged)
        .await?;
    Ok(full)
}

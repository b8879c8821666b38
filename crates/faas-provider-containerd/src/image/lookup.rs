//! Reading an image back from containerd: its record, manifest (through an index), config and
//! whether its snapshots are unpacked.

use containerd_client::services::v1::{GetImageRequest, ReadContentRequest};
use containerd_client::tonic::Code;
use oci_client::manifest::OciImageIndex;

use super::manifest::{chain_ids, is_index, parse_json, pick_platform, ImageConfig, Manifest};
use super::store::{ImageStore, StoredImage, LABEL_IMPORTED};
use crate::client::in_namespace;
use crate::error::{Error, Result};

impl ImageStore {
    /// The stored, unpacked image `name`, or `None` when it is absent or not fully unpacked.
    pub async fn get(&self, namespace: &str, name: &str) -> Result<Option<StoredImage>> {
        let image = match self
            .client
            .images()
            .get(in_namespace(
                namespace,
                GetImageRequest {
                    name: name.to_owned(),
                },
            ))
            .await
        {
            Ok(r) => r.into_inner().image,
            Err(s) if s.code() == Code::NotFound => return Ok(None),
            Err(s) => return Err(Error::containerd(format!("looking up image {name}"), s)),
        };
        let Some(image) = image else {
            return Ok(None);
        };
        let imported = image.labels.contains_key(LABEL_IMPORTED);
        let Some(target) = image.target else {
            return Ok(None);
        };
        let mut manifest_digest = target.digest.clone();
        let mut body = match self.read_blob(namespace, &manifest_digest).await {
            Ok(b) => b,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        if is_index(&target.media_type, &body) {
            let index: OciImageIndex = parse_json("image index", &body)?;
            manifest_digest = pick_platform(&index.manifests)?.digest.clone();
            body = match self.read_blob(namespace, &manifest_digest).await {
                Ok(b) => b,
                Err(e) if e.is_not_found() => return Ok(None),
                Err(e) => return Err(e),
            };
        }
        let manifest: Manifest = parse_json("image manifest", &body)?;
        let config: ImageConfig = match self.read_blob(namespace, &manifest.config.digest).await {
            Ok(b) => parse_json("image config", &b)?,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let top = chain_ids(&config.rootfs.diff_ids).pop().unwrap_or_default();
        if !self.snapshot_exists(namespace, &top).await? {
            return Ok(None);
        }
        Ok(Some(StoredImage {
            name: name.to_owned(),
            config,
            top_chain_id: top,
            manifest_digest,
            imported,
        }))
    }

    async fn read_blob(&self, namespace: &str, digest: &str) -> Result<Vec<u8>> {
        let mut stream = self
            .client
            .content()
            .read(in_namespace(
                namespace,
                ReadContentRequest {
                    digest: digest.to_owned(),
                    offset: 0,
                    size: 0,
                },
            ))
            .await
            .map_err(|s| Error::containerd(format!("reading blob {digest}"), s))?
            .into_inner();
        let mut out = Vec::new();
        while let Some(m) = stream
            .message()
            .await
            .map_err(|s| Error::containerd(format!("reading blob {digest}"), s))?
        {
            out.extend_from_slice(&m.data);
        }
        Ok(out)
    }
}

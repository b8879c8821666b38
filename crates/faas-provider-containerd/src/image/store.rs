//! Writing an image into containerd (content blobs with GC labels, the image record, unpacked
//! snapshots) and reading it back, the way `ctr images import` does on containerd 1.6, which has
//! no transfer service (docs/containerd.md §9.3).

use std::collections::HashMap;

use bytes::Bytes;
use containerd_client::services::v1::snapshots::{
    CommitSnapshotRequest, PrepareSnapshotRequest, RemoveSnapshotRequest, StatSnapshotRequest,
};
use containerd_client::services::v1::{
    AddResourceRequest, ApplyRequest, CreateImageRequest, Image, Info, InfoRequest, Resource,
    UpdateImageRequest, UpdateRequest,
};
use containerd_client::tonic::Code;
use containerd_client::types::Descriptor as CtrDescriptor;

use super::blob::{write_requests, Blob};
use super::manifest::{chain_ids, parse_json, Descriptor, ImageConfig, Manifest};
use crate::client::{in_namespace, with_lease, Containerd};
use crate::error::{Error, Result};

/// An image held in memory, ready to be written to containerd: one platform's manifest, its
/// config and its layers.
#[derive(Debug, Clone)]
pub struct StagedImage {
    /// The name to store it under (normalised reference).
    pub name: String,
    /// The manifest's descriptor (media type, digest, size).
    pub manifest_descriptor: Descriptor,
    /// The manifest bytes.
    pub manifest: Vec<u8>,
    /// The config bytes.
    pub config: Vec<u8>,
    /// Each layer's descriptor and bytes, base first.
    pub layers: Vec<(Descriptor, Blob)>,
}

/// An image as stored: what a container needs from it.
#[derive(Debug, Clone)]
pub struct StoredImage {
    /// The image name.
    pub name: String,
    /// Its config.
    pub config: ImageConfig,
    /// The chain ID of its top layer: the parent of a container's snapshot.
    pub top_chain_id: String,
    /// The digest of its (platform) manifest: what a registry's tag is compared with.
    pub manifest_digest: String,
    /// Whether it came from an archive (`faasd import`) rather than a registry: such an image
    /// is never looked up in a registry.
    pub imported: bool,
}

/// The image-record label marking an image imported from an archive.
pub const LABEL_IMPORTED: &str = "com.openfaas.faasd.imported";

fn to_ctr(d: &Descriptor) -> CtrDescriptor {
    CtrDescriptor {
        media_type: d.media_type.clone(),
        digest: d.digest.clone(),
        size: d.size,
        annotations: HashMap::new(),
    }
}

/// Reads and writes images in one containerd.
#[derive(Debug, Clone)]
pub struct ImageStore {
    pub(super) client: Containerd,
    pub(super) snapshotter: String,
}

impl ImageStore {
    /// A store on `client` unpacking for `snapshotter`.
    pub fn new(client: Containerd, snapshotter: String) -> Self {
        Self {
            client,
            snapshotter,
        }
    }

    /// Writes `image`, pulled from a registry, into `namespace` (blobs, image record) and
    /// unpacks it.
    pub async fn store(&self, namespace: &str, image: &StagedImage) -> Result<StoredImage> {
        self.store_as(namespace, image, false).await
    }

    /// Writes `image`, read from an archive, into `namespace`, marked as imported
    /// ([`LABEL_IMPORTED`]).
    pub async fn store_imported(
        &self,
        namespace: &str,
        image: &StagedImage,
    ) -> Result<StoredImage> {
        self.store_as(namespace, image, true).await
    }

    async fn store_as(
        &self,
        namespace: &str,
        image: &StagedImage,
        imported: bool,
    ) -> Result<StoredImage> {
        let lease = self
            .client
            .create_lease(
                namespace,
                "faas-import",
                std::time::Duration::from_secs(3600),
            )
            .await?;
        let result = self
            .store_in_lease(namespace, &lease, image, imported)
            .await;
        self.client.delete_lease(namespace, &lease).await;
        result
    }

    async fn store_in_lease(
        &self,
        namespace: &str,
        lease: &str,
        image: &StagedImage,
        imported: bool,
    ) -> Result<StoredImage> {
        let manifest: Manifest = parse_json("image manifest", &image.manifest)?;
        let config: ImageConfig = parse_json("image config", &image.config)?;
        if config.rootfs.diff_ids.len() != manifest.layers.len() {
            return Err(Error::BadImage(format!(
                "{} layers but {} diff ids",
                manifest.layers.len(),
                config.rootfs.diff_ids.len()
            )));
        }
        let chains = chain_ids(&config.rootfs.diff_ids);
        let top = chains.last().cloned().unwrap_or_default();

        for (i, (desc, bytes)) in image.layers.iter().enumerate() {
            let mut labels = HashMap::new();
            labels.insert(
                "containerd.io/uncompressed".to_owned(),
                config.rootfs.diff_ids[i].clone(),
            );
            self.write_blob(namespace, lease, &desc.digest, bytes.clone(), labels)
                .await?;
        }
        let mut config_labels = HashMap::new();
        if !top.is_empty() {
            config_labels.insert(
                format!("containerd.io/gc.ref.snapshot.{}", self.snapshotter),
                top.clone(),
            );
        }
        self.write_blob(
            namespace,
            lease,
            &manifest.config.digest,
            Blob::Memory(Bytes::copy_from_slice(&image.config)),
            config_labels,
        )
        .await?;
        let mut manifest_labels = HashMap::new();
        manifest_labels.insert(
            "containerd.io/gc.ref.content.config".to_owned(),
            manifest.config.digest.clone(),
        );
        for (i, l) in manifest.layers.iter().enumerate() {
            manifest_labels.insert(
                format!("containerd.io/gc.ref.content.l.{i}"),
                l.digest.clone(),
            );
        }
        self.write_blob(
            namespace,
            lease,
            &image.manifest_descriptor.digest,
            Blob::Memory(Bytes::copy_from_slice(&image.manifest)),
            manifest_labels,
        )
        .await?;
        self.put_image_record(
            namespace,
            lease,
            &image.name,
            &image.manifest_descriptor,
            imported,
        )
        .await?;
        self.unpack(namespace, lease, &manifest.layers, &config)
            .await?;
        Ok(StoredImage {
            name: image.name.clone(),
            config,
            top_chain_id: top,
            manifest_digest: image.manifest_descriptor.digest.clone(),
            imported,
        })
    }

    /// Creates the image record, or points an existing one at the new target and source
    /// (never delete and re-create: a synchronous delete garbage-collects shared blobs).
    async fn put_image_record(
        &self,
        namespace: &str,
        lease: &str,
        name: &str,
        target: &Descriptor,
        imported: bool,
    ) -> Result<()> {
        let now = prost_types::Timestamp::from(std::time::SystemTime::now());
        let mut labels = HashMap::new();
        if imported {
            labels.insert(LABEL_IMPORTED.to_owned(), "true".to_owned());
        }
        let image = Image {
            name: name.to_owned(),
            labels,
            target: Some(to_ctr(target)),
            created_at: Some(now),
            updated_at: Some(now),
        };
        let created = self
            .client
            .images()
            .create(with_lease(
                namespace,
                Some(lease),
                CreateImageRequest {
                    image: Some(image.clone()),
                    source_date_epoch: None,
                },
            ))
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(s) if s.code() == Code::AlreadyExists => {
                self.client
                    .images()
                    .update(with_lease(
                        namespace,
                        Some(lease),
                        UpdateImageRequest {
                            image: Some(image),
                            update_mask: Some(prost_types::FieldMask {
                                paths: vec!["target".to_owned(), "labels".to_owned()],
                            }),
                            source_date_epoch: None,
                        },
                    ))
                    .await
                    .map_err(|s| Error::containerd(format!("updating image {name}"), s))?;
                Ok(())
            }
            Err(s) => Err(Error::containerd(format!("creating image {name}"), s)),
        }
    }

    async fn write_blob(
        &self,
        namespace: &str,
        lease: &str,
        digest: &str,
        data: Blob,
        labels: HashMap<String, String>,
    ) -> Result<()> {
        let exists = self
            .client
            .content()
            .info(in_namespace(
                namespace,
                InfoRequest {
                    digest: digest.to_owned(),
                },
            ))
            .await;
        if exists.is_ok() {
            self.protect(namespace, lease, digest).await?;
            return self.set_labels(namespace, lease, digest, labels).await;
        }
        let reference = format!("faas-{}-{}", digest.replace(':', "-"), unique());
        let requests = write_requests(data, reference, digest, labels.clone())?;
        let written = self
            .client
            .content()
            .write(with_lease(namespace, Some(lease), requests))
            .await;
        match written {
            Ok(resp) => {
                let mut stream = resp.into_inner();
                loop {
                    match stream.message().await {
                        Ok(Some(_)) => continue,
                        Ok(None) => break,
                        Err(s) if s.code() == Code::AlreadyExists => break,
                        Err(s) => {
                            return Err(Error::containerd(format!("writing blob {digest}"), s))
                        }
                    }
                }
                // Set the GC labels explicitly: they are what keeps the layers and snapshots
                // of the image alive once the lease is gone.
                self.set_labels(namespace, lease, digest, labels).await
            }
            Err(s) if s.code() == Code::AlreadyExists => {
                self.protect(namespace, lease, digest).await
            }
            Err(s) => Err(Error::containerd(format!("writing blob {digest}"), s)),
        }
    }

    async fn set_labels(
        &self,
        namespace: &str,
        lease: &str,
        digest: &str,
        labels: HashMap<String, String>,
    ) -> Result<()> {
        if labels.is_empty() {
            return Ok(());
        }
        let paths = labels.keys().map(|k| format!("labels.{k}")).collect();
        self.client
            .content()
            .update(with_lease(
                namespace,
                Some(lease),
                UpdateRequest {
                    info: Some(Info {
                        digest: digest.to_owned(),
                        size: 0,
                        created_at: None,
                        updated_at: None,
                        labels,
                    }),
                    update_mask: Some(prost_types::FieldMask { paths }),
                },
            ))
            .await
            .map_err(|s| Error::containerd(format!("labelling blob {digest}"), s))?;
        Ok(())
    }

    async fn protect(&self, namespace: &str, lease: &str, digest: &str) -> Result<()> {
        self.client
            .leases()
            .add_resource(in_namespace(
                namespace,
                AddResourceRequest {
                    id: lease.to_owned(),
                    resource: Some(Resource {
                        id: digest.to_owned(),
                        r#type: "content".to_owned(),
                    }),
                },
            ))
            .await
            .map_err(|s| Error::containerd(format!("leasing blob {digest}"), s))?;
        Ok(())
    }

    /// Applies each layer not yet unpacked, base first.
    async fn unpack(
        &self,
        namespace: &str,
        lease: &str,
        layers: &[Descriptor],
        config: &ImageConfig,
    ) -> Result<()> {
        let chains = chain_ids(&config.rootfs.diff_ids);
        let mut parent = String::new();
        for (i, layer) in layers.iter().enumerate() {
            let chain = &chains[i];
            if self.snapshot_exists(namespace, chain).await? {
                parent = chain.clone();
                continue;
            }
            let key = format!("extract-{}-{}", unique(), chain);
            let result = self
                .apply_layer(
                    namespace,
                    lease,
                    &key,
                    &parent,
                    chain,
                    layer,
                    &config.rootfs.diff_ids[i],
                )
                .await;
            if let Err(e) = result {
                let _ = self
                    .client
                    .snapshots()
                    .remove(in_namespace(
                        namespace,
                        RemoveSnapshotRequest {
                            snapshotter: self.snapshotter.clone(),
                            key,
                        },
                    ))
                    .await;
                return Err(e);
            }
            parent = chain.clone();
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_layer(
        &self,
        namespace: &str,
        lease: &str,
        key: &str,
        parent: &str,
        chain: &str,
        layer: &Descriptor,
        diff_id: &str,
    ) -> Result<()> {
        let mounts = self
            .client
            .snapshots()
            .prepare(with_lease(
                namespace,
                Some(lease),
                PrepareSnapshotRequest {
                    snapshotter: self.snapshotter.clone(),
                    key: key.to_owned(),
                    parent: parent.to_owned(),
                    labels: HashMap::new(),
                },
            ))
            .await
            .map_err(|s| Error::containerd(format!("preparing snapshot {key}"), s))?
            .into_inner()
            .mounts;
        let applied = self
            .client
            .diff()
            .apply(with_lease(
                namespace,
                Some(lease),
                ApplyRequest {
                    diff: Some(to_ctr(layer)),
                    mounts,
                    payloads: HashMap::new(),
                    sync_fs: false,
                },
            ))
            .await
            .map_err(|s| Error::containerd(format!("applying layer {}", layer.digest), s))?
            .into_inner()
            .applied
            .map(|d| d.digest)
            .unwrap_or_default();
        if applied != diff_id {
            return Err(Error::BadImage(format!(
                "layer {} unpacked to {applied}, the config says {diff_id}",
                layer.digest
            )));
        }
        match self
            .client
            .snapshots()
            .commit(with_lease(
                namespace,
                Some(lease),
                CommitSnapshotRequest {
                    snapshotter: self.snapshotter.clone(),
                    name: chain.to_owned(),
                    key: key.to_owned(),
                    labels: HashMap::new(),
                },
            ))
            .await
        {
            Ok(_) => Ok(()),
            // Unpacked concurrently by someone else: theirs is as good as ours.
            Err(s) if s.code() == Code::AlreadyExists => {
                let _ = self
                    .client
                    .snapshots()
                    .remove(in_namespace(
                        namespace,
                        RemoveSnapshotRequest {
                            snapshotter: self.snapshotter.clone(),
                            key: key.to_owned(),
                        },
                    ))
                    .await;
                Ok(())
            }
            Err(s) => Err(Error::containerd(format!("committing snapshot {chain}"), s)),
        }
    }

    /// Whether snapshot `key` exists.
    pub async fn snapshot_exists(&self, namespace: &str, key: &str) -> Result<bool> {
        match self
            .client
            .snapshots()
            .stat(in_namespace(
                namespace,
                StatSnapshotRequest {
                    snapshotter: self.snapshotter.clone(),
                    key: key.to_owned(),
                },
            ))
            .await
        {
            Ok(_) => Ok(true),
            Err(s) if s.code() == Code::NotFound => Ok(false),
            Err(s) => Err(Error::containerd(format!("looking up snapshot {key}"), s)),
        }
    }
}

/// A process-unique token for names of temporary objects.
pub(crate) fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}-{:08x}-{}",
        std::process::id(),
        nanos,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

//! [`Containerd`]: the gRPC channel to containerd and the request metadata its namespaced calls
//! need (docs/containerd.md §9.2).

use std::path::Path;

use containerd_client::services::v1::{
    containers_client::ContainersClient, content_client::ContentClient, diff_client::DiffClient,
    images_client::ImagesClient, leases_client::LeasesClient, namespaces_client::NamespacesClient,
    snapshots::snapshots_client::SnapshotsClient, tasks_client::TasksClient,
    version_client::VersionClient,
};
use containerd_client::services::v1::{CreateRequest, DeleteRequest};
use containerd_client::tonic::metadata::MetadataValue;
use containerd_client::tonic::transport::Channel;
use containerd_client::tonic::Request;

use crate::error::{Error, Result};

/// A cheap-to-clone handle on one containerd: a multiplexed channel over its unix socket.
#[derive(Debug, Clone)]
pub struct Containerd {
    channel: Channel,
}

impl Containerd {
    /// Connects to the socket at `socket` (no RPC is made).
    pub async fn connect(socket: &Path) -> Result<Self> {
        let channel =
            containerd_client::connect(socket)
                .await
                .map_err(|source| Error::Connect {
                    socket: socket.to_owned(),
                    source,
                })?;
        Ok(Self { channel })
    }

    /// The containerd version, proving it answers.
    pub async fn version(&self) -> Result<String> {
        let v = VersionClient::new(self.channel.clone())
            .version(())
            .await
            .map_err(|s| Error::containerd("asking for the version", s))?;
        Ok(v.into_inner().version)
    }

    /// The containers service.
    pub fn containers(&self) -> ContainersClient<Channel> {
        ContainersClient::new(self.channel.clone())
    }

    /// The tasks service.
    pub fn tasks(&self) -> TasksClient<Channel> {
        TasksClient::new(self.channel.clone())
    }

    /// The snapshots service.
    pub fn snapshots(&self) -> SnapshotsClient<Channel> {
        SnapshotsClient::new(self.channel.clone())
    }

    /// The content store.
    pub fn content(&self) -> ContentClient<Channel> {
        ContentClient::new(self.channel.clone())
    }

    /// The image store.
    pub fn images(&self) -> ImagesClient<Channel> {
        ImagesClient::new(self.channel.clone())
    }

    /// The differ (layer unpacking).
    pub fn diff(&self) -> DiffClient<Channel> {
        DiffClient::new(self.channel.clone())
    }

    /// The lease manager.
    pub fn leases(&self) -> LeasesClient<Channel> {
        LeasesClient::new(self.channel.clone())
    }

    /// Creates a lease in `namespace` named `<purpose>-<unique>`, which keeps what is made
    /// inside it from the garbage collector until [`Containerd::delete_lease`]; it expires on
    /// its own after `ttl` should the process die first.
    pub async fn create_lease(
        &self,
        namespace: &str,
        purpose: &str,
        ttl: std::time::Duration,
    ) -> Result<String> {
        let id = format!("{purpose}-{}", crate::image::store::unique());
        let expire = jiff::Timestamp::now()
            + jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::from_secs(3600));
        let labels = [("containerd.io/gc.expire".to_owned(), expire.to_string())].into();
        self.leases()
            .create(in_namespace(
                namespace,
                CreateRequest {
                    id: id.clone(),
                    labels,
                },
            ))
            .await
            .map_err(|s| Error::containerd("creating a lease", s))?;
        Ok(id)
    }

    /// Deletes `lease`; what it held is collectable again unless referenced. Errors are
    /// logged: the lease expires anyway.
    pub async fn delete_lease(&self, namespace: &str, lease: &str) {
        let deleted = self
            .leases()
            .delete(in_namespace(
                namespace,
                DeleteRequest {
                    id: lease.to_owned(),
                    sync: false,
                },
            ))
            .await;
        if let Err(e) = deleted {
            tracing::warn!(lease, error = %e, "deleting a lease");
        }
    }

    /// The namespace store (calls need no namespace header).
    pub fn namespaces(&self) -> NamespacesClient<Channel> {
        NamespacesClient::new(self.channel.clone())
    }
}

/// A request in containerd namespace `namespace`.
pub fn in_namespace<T>(namespace: &str, message: T) -> Request<T> {
    with_lease(namespace, None, message)
}

/// A request in `namespace`, inside `lease` when given (resources it creates are kept alive by
/// the lease until it is deleted).
pub fn with_lease<T>(namespace: &str, lease: Option<&str>, message: T) -> Request<T> {
    let mut req = Request::new(message);
    let md = req.metadata_mut();
    if let Ok(v) = MetadataValue::try_from(namespace) {
        md.insert("containerd-namespace", v);
    }
    if let Some(lease) = lease {
        if let Ok(v) = MetadataValue::try_from(lease) {
            md.insert("containerd-lease", v);
        }
    }
    req
}

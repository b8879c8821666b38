//! [`Containerd`]: the gRPC channel to containerd and the request metadata its namespaced calls
//! need (containerd.md §9.2).

use std::path::Path;

use containerd_client::services::v1::{
    containers_client::ContainersClient, content_client::ContentClient, diff_client::DiffClient,
    images_client::ImagesClient, leases_client::LeasesClient, namespaces_client::NamespacesClient,
    snapshots::snapshots_client::SnapshotsClient, tasks_client::TasksClient,
    version_client::VersionClient,
};
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

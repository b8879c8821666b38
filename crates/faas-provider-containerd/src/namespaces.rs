//! OpenFaaS namespaces as containerd namespaces labelled `openfaas=1` (docs/api.md §7), and the purge
//! of everything a namespace holds (used by delete and by test clean-up).

use std::collections::{BTreeMap, HashMap};

use containerd_client::services::v1::snapshots::{ListSnapshotsRequest, RemoveSnapshotRequest};
use containerd_client::services::v1::{
    CreateNamespaceRequest, DeleteContainerRequest, DeleteImageRequest, DeleteNamespaceRequest,
    DeleteRequest, DeleteTaskRequest, KillRequest, ListContainersRequest, ListImagesRequest,
    ListNamespacesRequest, ListRequest, ListTasksRequest, Namespace, UpdateNamespaceRequest,
};
use containerd_client::tonic::Code;
use faas_core::namespace::OPENFAAS_NAMESPACE_MARKER;
use faas_core::NamespaceRequest;

use crate::client::{in_namespace, Containerd};
use crate::error::{Error, Result};

/// Namespace labels that carry the request's annotations.
pub const ANNOTATION_LABEL_PREFIX: &str = "com.openfaas.annotations.";

/// Whether containerd labels mark an OpenFaaS namespace (`openfaas=1`, or `true`).
pub fn is_openfaas(labels: &HashMap<String, String>) -> bool {
    matches!(
        labels.get(OPENFAAS_NAMESPACE_MARKER).map(String::as_str),
        Some("1" | "true")
    )
}

/// The containerd labels of a namespace request: its labels, its annotations under
/// [`ANNOTATION_LABEL_PREFIX`], and the marker.
pub fn to_labels(ns: &NamespaceRequest) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = ns.labels.clone().into_iter().collect();
    for (k, v) in &ns.annotations {
        labels.insert(format!("{ANNOTATION_LABEL_PREFIX}{k}"), v.clone());
    }
    labels.insert(OPENFAAS_NAMESPACE_MARKER.to_owned(), "1".to_owned());
    labels
}

/// The namespace request read back from containerd labels.
pub fn from_labels(name: &str, labels: &HashMap<String, String>) -> NamespaceRequest {
    let mut out = NamespaceRequest {
        name: name.to_owned(),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
    };
    for (k, v) in labels {
        match k.strip_prefix(ANNOTATION_LABEL_PREFIX) {
            Some(a) => {
                out.annotations.insert(a.to_owned(), v.clone());
            }
            None => {
                out.labels.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// Namespace operations on one containerd.
#[derive(Debug, Clone)]
pub struct Namespaces {
    client: Containerd,
}

impl Namespaces {
    /// Namespaces of `client`.
    pub fn new(client: Containerd) -> Self {
        Self { client }
    }

    /// The labels of `name`, or `None` when it does not exist. (`Namespaces.Get` answers empty
    /// labels for a namespace that does not exist, so the list is asked.)
    pub async fn labels(&self, name: &str) -> Result<Option<HashMap<String, String>>> {
        let list = self
            .client
            .namespaces()
            .list(ListNamespacesRequest {
                filter: String::new(),
            })
            .await
            .map_err(|s| Error::containerd(format!("looking up namespace {name}"), s))?
            .into_inner()
            .namespaces;
        Ok(list.into_iter().find(|n| n.name == name).map(|n| n.labels))
    }

    /// Whether `name` is an OpenFaaS namespace.
    pub async fn is_openfaas(&self, name: &str) -> Result<bool> {
        Ok(self.labels(name).await?.is_some_and(|l| is_openfaas(&l)))
    }

    /// Every OpenFaaS namespace, sorted.
    pub async fn list(&self) -> Result<Vec<(String, HashMap<String, String>)>> {
        let mut out: Vec<_> = self
            .client
            .namespaces()
            .list(ListNamespacesRequest {
                filter: String::new(),
            })
            .await
            .map_err(|s| Error::containerd("listing namespaces", s))?
            .into_inner()
            .namespaces
            .into_iter()
            .filter(|n| is_openfaas(&n.labels))
            .map(|n| (n.name, n.labels))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Creates `ns` with the marker; `AlreadyExists` when it exists. `adopt` marks an existing
    /// unmarked namespace instead of failing (used for the default namespace at start).
    pub async fn create(&self, ns: &NamespaceRequest, adopt: bool) -> Result<()> {
        let labels = to_labels(ns);
        match self.labels(&ns.name).await? {
            Some(existing) if is_openfaas(&existing) && adopt => return Ok(()),
            Some(existing) if is_openfaas(&existing) || !adopt => {
                return Err(Error::AlreadyExists(format!(
                    "namespace {} already exists",
                    ns.name
                )))
            }
            Some(_) => return self.set_labels(&ns.name, labels).await,
            None => {}
        }
        self.client
            .namespaces()
            .create(in_namespace(
                &ns.name,
                CreateNamespaceRequest {
                    namespace: Some(Namespace {
                        name: ns.name.clone(),
                        labels,
                    }),
                },
            ))
            .await
            .map_err(|s| match s.code() {
                Code::AlreadyExists => {
                    Error::AlreadyExists(format!("namespace {} already exists", ns.name))
                }
                _ => Error::containerd(format!("creating namespace {}", ns.name), s),
            })?;
        Ok(())
    }

    /// Replaces the labels of `name` (the caller includes the marker).
    pub async fn set_labels(&self, name: &str, labels: HashMap<String, String>) -> Result<()> {
        // Labels not in the new set must be removed explicitly: name them in the mask.
        let old = self.labels(name).await?.unwrap_or_default();
        let mut paths: Vec<String> = old
            .keys()
            .chain(labels.keys())
            .map(|k| format!("labels.{k}"))
            .collect();
        paths.sort();
        paths.dedup();
        self.client
            .namespaces()
            // The namespace header is needed: containerd publishes an event in it.
            .update(in_namespace(
                name,
                UpdateNamespaceRequest {
                    namespace: Some(Namespace {
                        name: name.to_owned(),
                        labels,
                    }),
                    update_mask: Some(prost_types::FieldMask { paths }),
                },
            ))
            .await
            .map_err(|s| Error::containerd(format!("updating namespace {name}"), s))?;
        Ok(())
    }

    /// Removes every task, container, image, lease and snapshot of `name`, then the namespace.
    /// Absent is fine. Used for namespaces nobody else uses (after the provider's own checks).
    pub async fn purge(&self, name: &str, snapshotter: &str) -> Result<()> {
        if self.labels(name).await?.is_none() {
            return Ok(());
        }
        let c = &self.client;
        let step = |what: &str| format!("{what} in namespace {name}");
        let tasks = c
            .tasks()
            .list(in_namespace(
                name,
                ListTasksRequest {
                    filter: String::new(),
                },
            ))
            .await
            .map_err(|s| Error::containerd(step("listing tasks"), s))?
            .into_inner()
            .tasks;
        for t in &tasks {
            let _ = c
                .tasks()
                .kill(in_namespace(
                    name,
                    KillRequest {
                        container_id: t.id.clone(),
                        exec_id: String::new(),
                        signal: 9,
                        all: true,
                    },
                ))
                .await;
        }
        for t in &tasks {
            for _ in 0..50 {
                match c
                    .tasks()
                    .delete(in_namespace(
                        name,
                        DeleteTaskRequest {
                            container_id: t.id.clone(),
                        },
                    ))
                    .await
                {
                    Ok(_) => break,
                    Err(s) if s.code() == Code::NotFound => break,
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                }
            }
        }
        let containers = c
            .containers()
            .list(in_namespace(
                name,
                ListContainersRequest { filters: vec![] },
            ))
            .await
            .map_err(|s| Error::containerd(step("listing containers"), s))?
            .into_inner()
            .containers;
        for ct in containers {
            let _ = c
                .containers()
                .delete(in_namespace(name, DeleteContainerRequest { id: ct.id }))
                .await;
        }
        let images = c
            .images()
            .list(in_namespace(name, ListImagesRequest { filters: vec![] }))
            .await
            .map_err(|s| Error::containerd(step("listing images"), s))?
            .into_inner()
            .images;
        for im in images {
            let _ = c
                .images()
                .delete(in_namespace(
                    name,
                    DeleteImageRequest {
                        name: im.name,
                        sync: false,
                        target: None,
                    },
                ))
                .await;
        }
        self.delete_leases(name).await;
        // Snapshots: remove leaves first until none is left (children block their parents).
        for _ in 0..32 {
            let mut stream = match c
                .snapshots()
                .list(in_namespace(
                    name,
                    ListSnapshotsRequest {
                        snapshotter: snapshotter.to_owned(),
                        filters: vec![],
                    },
                ))
                .await
            {
                Ok(s) => s.into_inner(),
                Err(_) => break,
            };
            let mut infos = Vec::new();
            while let Ok(Some(m)) = stream.message().await {
                infos.extend(m.info);
            }
            if infos.is_empty() {
                break;
            }
            let parents: std::collections::HashSet<String> =
                infos.iter().map(|i| i.parent.clone()).collect();
            for info in infos.iter().filter(|i| !parents.contains(&i.name)) {
                let _ = c
                    .snapshots()
                    .remove(in_namespace(
                        name,
                        RemoveSnapshotRequest {
                            snapshotter: snapshotter.to_owned(),
                            key: info.name.clone(),
                        },
                    ))
                    .await;
            }
        }
        // Content goes with the garbage collector once images and leases are gone; the delete
        // below fails while anything remains, so retry (up to 20 s: on a loaded machine the
        // collector's next run can be seconds away).
        let mut last = None;
        for _ in 0..100 {
            match c
                .namespaces()
                .delete(in_namespace(
                    name,
                    DeleteNamespaceRequest {
                        name: name.to_owned(),
                    },
                ))
                .await
            {
                Ok(_) => return Ok(()),
                Err(s) if s.code() == Code::NotFound => return Ok(()),
                Err(s) => {
                    last = Some(s);
                    // A replica created meanwhile (by a provider still winding down) holds a
                    // lease of its own.
                    self.delete_leases(name).await;
                    // A synchronous image delete triggers the collector for the content.
                    let _ = c
                        .images()
                        .delete(in_namespace(
                            name,
                            DeleteImageRequest {
                                name: "faas-gc-trigger".to_owned(),
                                sync: true,
                                target: None,
                            },
                        ))
                        .await;
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        }
        Err(Error::containerd(
            format!("deleting namespace {name}"),
            last.unwrap_or_else(|| {
                containerd_client::tonic::Status::unknown("namespace not empty")
            }),
        ))
    }

    /// Deletes every lease of namespace `name`; errors are ignored (cleanup).
    async fn delete_leases(&self, name: &str) {
        let c = &self.client;
        if let Ok(leases) = c
            .leases()
            .list(in_namespace(name, ListRequest { filters: vec![] }))
            .await
        {
            for l in leases.into_inner().leases {
                let _ = c
                    .leases()
                    .delete(in_namespace(
                        name,
                        DeleteRequest {
                            id: l.id,
                            sync: false,
                        },
                    ))
                    .await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_with_marker() {
        let ns = NamespaceRequest {
            name: "dev".into(),
            labels: [("team".to_owned(), "a".to_owned())].into(),
            annotations: [("owner".to_owned(), "b".to_owned())].into(),
        };
        let labels = to_labels(&ns);
        assert!(is_openfaas(&labels));
        let back = from_labels("dev", &labels);
        assert_eq!(back.labels["team"], "a");
        assert_eq!(back.labels["openfaas"], "1");
        assert_eq!(back.annotations["owner"], "b");
        let t: HashMap<String, String> = [("openfaas".to_owned(), "true".to_owned())].into();
        assert!(is_openfaas(&t));
        assert!(!is_openfaas(&HashMap::new()));
    }
}

//! Namespaces (`docs/kubernetes.md` §8, our choice: classic semantics). A namespace is an
//! OpenFaaS one when it is the function namespace or carries the annotation key `openfaas`;
//! the namespace API creates and edits Kubernetes Namespaces with that marker. Without
//! multi-namespace mode only the function namespace is served and the API answers
//! "unsupported". `kube-system` is never served.

use faas_core::name::validate_namespace;
use faas_core::NamespaceRequest;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::Api;

use crate::error::{ApiResultExt, Error};
use crate::labels::{FORBIDDEN_NAMESPACE, NAMESPACE_MARKER};
use crate::provider::K8sProvider;

/// Whether the Namespace is marked as an OpenFaaS one (annotation key `openfaas`, any value).
pub fn is_openfaas_namespace(ns: &Namespace) -> bool {
    ns.metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(NAMESPACE_MARKER))
}

/// The Namespace object for a create or update request: its labels and annotations plus the
/// marker (`openfaas: "1"` in both).
pub fn namespace_object(request: &NamespaceRequest) -> Namespace {
    let marked = request.clone().with_marker();
    Namespace {
        metadata: ObjectMeta {
            name: Some(marked.name),
            labels: Some(marked.labels),
            annotations: Some(marked.annotations),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// What the API reports for a Namespace.
pub fn namespace_request(ns: &Namespace) -> NamespaceRequest {
    NamespaceRequest {
        name: ns.metadata.name.clone().unwrap_or_default(),
        labels: ns.metadata.labels.clone().unwrap_or_default(),
        annotations: ns.metadata.annotations.clone().unwrap_or_default(),
    }
}

impl K8sProvider {
    /// `Ok` when functions and secrets may live in `namespace`: the function namespace, or in
    /// multi-namespace mode a marked Namespace (one API call).
    pub(crate) async fn check_namespace(&self, namespace: &str) -> Result<(), Error> {
        if namespace == FORBIDDEN_NAMESPACE {
            return Err(Error::NamespaceNotAllowed(namespace.to_owned()));
        }
        if namespace == self.config.function_namespace {
            return Ok(());
        }
        if !self.config.multi_namespace {
            return Err(Error::NamespaceNotAllowed(namespace.to_owned()));
        }
        match self.marked_namespace(namespace).await {
            Ok(_) => Ok(()),
            Err(Error::NamespaceNotFound(_)) => {
                Err(Error::NamespaceNotAllowed(namespace.to_owned()))
            }
            Err(e) => Err(e),
        }
    }

    /// The Namespace `name` if it exists and is marked; `NamespaceNotFound` otherwise.
    async fn marked_namespace(&self, name: &str) -> Result<Namespace, Error> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        let ns = api
            .get_opt(name)
            .await
            .during(|| format!("fetching namespace {name}"))?;
        match ns {
            Some(ns) if is_openfaas_namespace(&ns) => Ok(ns),
            _ => Err(Error::NamespaceNotFound(name.to_owned())),
        }
    }

    /// The served namespaces, sorted, always including the function namespace.
    pub(crate) async fn namespace_list(&self) -> Result<Vec<String>, Error> {
        let mut names = vec![self.config.function_namespace.clone()];
        if self.config.multi_namespace {
            let api: Api<Namespace> = Api::all(self.client.clone());
            let list = api
                .list(&ListParams::default())
                .await
                .during(|| "listing namespaces".to_owned())?;
            names.extend(
                list.items
                    .iter()
                    .filter(|ns| is_openfaas_namespace(ns))
                    .filter_map(|ns| ns.metadata.name.clone())
                    .filter(|n| n != FORBIDDEN_NAMESPACE),
            );
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// One served namespace.
    pub(crate) async fn namespace_get(&self, name: &str) -> Result<NamespaceRequest, Error> {
        if name == FORBIDDEN_NAMESPACE {
            return Err(Error::NamespaceNotFound(name.to_owned()));
        }
        if !self.config.multi_namespace {
            if name != self.config.function_namespace {
                return Err(Error::NamespaceNotFound(name.to_owned()));
            }
            return Ok(NamespaceRequest {
                name: name.to_owned(),
                ..Default::default()
            }
            .with_marker());
        }
        Ok(namespace_request(&self.marked_namespace(name).await?))
    }

    /// Creates a marked Namespace.
    pub(crate) async fn namespace_create(&self, request: NamespaceRequest) -> Result<(), Error> {
        self.namespace_api_allowed(&request.name)?;
        let api: Api<Namespace> = Api::all(self.client.clone());
        api.create(&PostParams::default(), &namespace_object(&request))
            .await
            .during(|| format!("creating namespace {}", request.name))?;
        tracing::info!(namespace = %request.name, "created namespace");
        Ok(())
    }

    /// Replaces a marked Namespace's labels and annotations, keeping the marker.
    pub(crate) async fn namespace_update(&self, request: NamespaceRequest) -> Result<(), Error> {
        self.namespace_api_allowed(&request.name)?;
        let mut ns = self.marked_namespace(&request.name).await?;
        let wanted = namespace_object(&request);
        ns.metadata.labels = wanted.metadata.labels;
        ns.metadata.annotations = wanted.metadata.annotations;
        let api: Api<Namespace> = Api::all(self.client.clone());
        api.replace(&request.name, &PostParams::default(), &ns)
            .await
            .during(|| format!("updating namespace {}", request.name))?;
        tracing::info!(namespace = %request.name, "updated namespace");
        Ok(())
    }

    /// Deletes a marked Namespace that holds no function and no managed secret.
    pub(crate) async fn namespace_delete(&self, name: &str) -> Result<(), Error> {
        self.namespace_api_allowed(name)?;
        if name == self.config.function_namespace {
            return Err(Error::Invalid(format!(
                "namespace {name} is the default function namespace and cannot be deleted"
            )));
        }
        self.marked_namespace(name).await?;
        let functions = self.cached_functions(name).len();
        if functions > 0 {
            return Err(Error::NamespaceInUse {
                namespace: name.to_owned(),
                what: format!("{functions} function(s)"),
            });
        }
        let secrets = self.secret_list(name).await?.len();
        if secrets > 0 {
            return Err(Error::NamespaceInUse {
                namespace: name.to_owned(),
                what: format!("{secrets} secret(s)"),
            });
        }
        let api: Api<Namespace> = Api::all(self.client.clone());
        api.delete(name, &DeleteParams::default())
            .await
            .during(|| format!("deleting namespace {name}"))?;
        tracing::info!(namespace = %name, "deleted namespace");
        Ok(())
    }

    fn namespace_api_allowed(&self, name: &str) -> Result<(), Error> {
        if !self.config.multi_namespace {
            return Err(Error::NamespacesDisabled);
        }
        validate_namespace(name).map_err(|e| Error::Invalid(e.to_string()))?;
        if name == FORBIDDEN_NAMESPACE {
            return Err(Error::Invalid(format!(
                "namespace {name} cannot be used for functions"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn namespace_object_is_marked() {
        let req = NamespaceRequest {
            name: "staging".into(),
            labels: BTreeMap::from([("team".to_owned(), "a".to_owned())]),
            annotations: BTreeMap::new(),
        };
        let ns = namespace_object(&req);
        assert!(is_openfaas_namespace(&ns));
        assert_eq!(
            serde_json::to_value(&ns).unwrap(),
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": "staging",
                    "labels": {"openfaas": "1", "team": "a"},
                    "annotations": {"openfaas": "1"}
                }
            })
        );
        assert_eq!(namespace_request(&ns).labels["team"], "a");
        assert!(!is_openfaas_namespace(&Namespace::default()));
    }
}

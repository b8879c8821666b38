//! Secrets (`docs/kubernetes.md` §8): labelled Kubernetes Secrets, one key per secret, and how
//! a function's secrets are mounted. Pure builders first, then the provider's calls.

use std::collections::BTreeMap;

use faas_core::{Secret as SecretRequest, SecretDescription};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::Api;

use crate::error::{ApiResultExt, Error};
use crate::labels::{MANAGED_BY_LABEL, MANAGED_BY_VALUE};
use crate::provider::{K8sProvider, CONFLICT_RETRIES};

/// Secret types that hold registry credentials: they go to `imagePullSecrets`, not to files.
pub const IMAGE_PULL_SECRET_TYPES: [&str; 2] =
    ["kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"];

/// How one of a function's secrets is used, from the Secret as it exists in the namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMount {
    /// The Secret's name.
    pub name: String,
    /// Its data keys, sorted: each becomes `/var/openfaas/secrets/<key>`.
    pub keys: Vec<String>,
    /// Registry credentials, referenced from `imagePullSecrets` instead of mounted.
    pub image_pull: bool,
}

impl SecretMount {
    /// How `secret` is mounted.
    pub fn from_secret(secret: &Secret) -> Self {
        let mut keys: Vec<String> = secret
            .data
            .iter()
            .flat_map(|d| d.keys())
            .chain(secret.string_data.iter().flat_map(|d| d.keys()))
            .cloned()
            .collect();
        keys.sort();
        keys.dedup();
        Self {
            name: secret.metadata.name.clone().unwrap_or_default(),
            keys,
            image_pull: secret
                .type_
                .as_deref()
                .is_some_and(|t| IMAGE_PULL_SECRET_TYPES.contains(&t)),
        }
    }
}

/// The Secret `POST /system/secrets` creates: type `Opaque`, labelled as managed by OpenFaaS,
/// with one key named after the secret holding `value`.
pub fn managed_secret(name: &str, namespace: &str, value: Vec<u8>) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(BTreeMap::from([(
                MANAGED_BY_LABEL.to_owned(),
                MANAGED_BY_VALUE.to_owned(),
            )])),
            ..Default::default()
        },
        type_: Some("Opaque".to_owned()),
        data: Some(secret_data(name, value)),
        ..Default::default()
    }
}

/// `{<name>: value}`: the data of a provider-made Secret.
pub fn secret_data(name: &str, value: Vec<u8>) -> BTreeMap<String, ByteString> {
    BTreeMap::from([(name.to_owned(), ByteString(value))])
}

/// The label selector of the Secrets this provider lists.
pub fn managed_selector() -> String {
    format!("{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}")
}

impl K8sProvider {
    /// How each of `names` is mounted, fetched from `namespace`; `SecretMissing` for the first
    /// that does not exist.
    pub(crate) async fn secret_mounts(
        &self,
        namespace: &str,
        names: &[String],
    ) -> Result<Vec<SecretMount>, Error> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let mut mounts = Vec::with_capacity(names.len());
        for name in names {
            let secret = api
                .get_opt(name)
                .await
                .during(|| format!("fetching secret {name} in {namespace}"))?
                .ok_or_else(|| Error::SecretMissing {
                    name: name.clone(),
                    namespace: namespace.to_owned(),
                })?;
            mounts.push(SecretMount::from_secret(&secret));
        }
        Ok(mounts)
    }

    /// The managed Secrets of `namespace`, names only, sorted.
    pub(crate) async fn secret_list(
        &self,
        namespace: &str,
    ) -> Result<Vec<SecretDescription>, Error> {
        self.check_namespace(namespace).await?;
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let list = api
            .list(&ListParams::default().labels(&managed_selector()))
            .await
            .during(|| format!("listing secrets in {namespace}"))?;
        let mut out: Vec<SecretDescription> = list
            .items
            .into_iter()
            .filter_map(|s| s.metadata.name)
            .map(|name| SecretDescription {
                name,
                namespace: namespace.to_owned(),
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Creates a managed Secret; the API server's 409 says it exists.
    pub(crate) async fn secret_create(&self, request: SecretRequest) -> Result<(), Error> {
        request
            .validate()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let namespace = request.namespace_or_default().to_owned();
        self.check_namespace(&namespace).await?;
        let value = request.bytes().map_err(|e| Error::Invalid(e.to_string()))?;
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &namespace);
        api.create(
            &PostParams::default(),
            &managed_secret(&request.name, &namespace, value),
        )
        .await
        .during(|| format!("creating secret {} in {namespace}", request.name))?;
        tracing::info!(secret = %request.name, %namespace, "created secret");
        Ok(())
    }

    /// Replaces a Secret's data with the single key of the request, retrying on a stale
    /// `resourceVersion`.
    pub(crate) async fn secret_update(&self, request: SecretRequest) -> Result<(), Error> {
        request
            .validate()
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let namespace = request.namespace_or_default().to_owned();
        self.check_namespace(&namespace).await?;
        let value = request.bytes().map_err(|e| Error::Invalid(e.to_string()))?;
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &namespace);
        let name = &request.name;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut secret = api
                .get(name)
                .await
                .during(|| format!("fetching secret {name} in {namespace}"))?;
            secret.data = Some(secret_data(name, value.clone()));
            secret.string_data = None;
            match api
                .replace(name, &PostParams::default(), &secret)
                .await
                .during(|| format!("updating secret {name} in {namespace}"))
            {
                Err(e) if e.is_conflict() && attempt < CONFLICT_RETRIES => continue,
                Err(e) => return Err(e),
                Ok(_) => break,
            }
        }
        tracing::info!(secret = %name, %namespace, "updated secret");
        Ok(())
    }

    /// Deletes a Secret by name.
    pub(crate) async fn secret_delete(&self, namespace: &str, name: &str) -> Result<(), Error> {
        self.check_namespace(namespace).await?;
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        api.delete(name, &DeleteParams::default())
            .await
            .during(|| format!("deleting secret {name} in {namespace}"))?;
        tracing::info!(secret = %name, %namespace, "deleted secret");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_secret_shape() {
        let s = managed_secret("api-key", "openfaas-fn", b"s3cr3t".to_vec());
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "api-key",
                    "namespace": "openfaas-fn",
                    "labels": {"app.kubernetes.io/managed-by": "openfaas"}
                },
                "type": "Opaque",
                "data": {"api-key": "czNjcjN0"}
            })
        );
    }

    #[test]
    fn mounts_split_pull_secrets_and_list_keys() {
        let mut s = managed_secret("creds", "openfaas-fn", b"x".to_vec());
        s.data
            .as_mut()
            .unwrap()
            .insert("b-key".into(), ByteString(vec![]));
        let m = SecretMount::from_secret(&s);
        assert_eq!(m.keys, ["b-key", "creds"]);
        assert!(!m.image_pull);
        s.type_ = Some("kubernetes.io/dockerconfigjson".into());
        assert!(SecretMount::from_secret(&s).image_pull);
    }
}

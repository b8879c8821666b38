//! The function operations against the API server (`docs/kubernetes.md` §2, §4–§7): deploy,
//! update, delete, scale, list and get. The objects come from the pure builders in
//! [`crate::objects`] and [`crate::status`]; this file only fetches, sends and retries.

use faas_core::function::{label_u32, LABEL_SCALE_MAX};
use faas_core::{FunctionDeployment, FunctionRef, FunctionStatus};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::Api;

use crate::error::{ApiResultExt, Error};
use crate::objects::{function_deployment, function_service, updated_deployment};
use crate::provider::{K8sProvider, CONFLICT_RETRIES};
use crate::status::{self, function_status, is_function};

impl K8sProvider {
    /// Creates the Deployment, then the Service; removes the Deployment again when the
    /// Service cannot be made, so a failed deploy leaves nothing behind.
    pub(crate) async fn function_deploy(&self, d: FunctionDeployment) -> Result<(), Error> {
        d.validate().map_err(|e| Error::Invalid(e.to_string()))?;
        let namespace = d.namespace_or_default().to_owned();
        let name = d.service.clone();
        self.check_namespace(&namespace).await?;
        let secrets = self.secret_mounts(&namespace, &d.secrets).await?;
        let deployment = function_deployment(&d, &secrets, &self.config)?;
        let service = function_service(&d);

        let deployments = self.deployment_api(&namespace);
        deployments
            .create(&PostParams::default(), &deployment)
            .await
            .during(|| format!("creating Deployment {name} in {namespace}"))?;

        let services: Api<Service> = Api::namespaced(self.client.clone(), &namespace);
        match services
            .create(&PostParams::default(), &service)
            .await
            .during(|| format!("creating Service {name} in {namespace}"))
        {
            Ok(_) => {}
            Err(e) if e.is_conflict() => {
                tracing::warn!(function = %name, %namespace, "Service exists already; keeping it");
            }
            Err(e) => {
                if let Err(cleanup) = deployments.delete(&name, &DeleteParams::foreground()).await {
                    tracing::error!(function = %name, %namespace, error = %cleanup,
                        "removing the Deployment after the Service failed");
                }
                return Err(e);
            }
        }
        tracing::info!(function = %name, %namespace, image = %d.image, "deployed function");
        Ok(())
    }

    /// Replaces the Deployment (a rolling update: new pods must be ready before old ones
    /// go) and the Service's annotations. Secrets are checked before anything is touched.
    pub(crate) async fn function_update(&self, d: FunctionDeployment) -> Result<(), Error> {
        d.validate().map_err(|e| Error::Invalid(e.to_string()))?;
        let function = d.function_ref();
        let (name, namespace) = (&function.name, &function.namespace);
        self.check_namespace(namespace).await?;
        let secrets = self.secret_mounts(namespace, &d.secrets).await?;
        let desired = function_deployment(&d, &secrets, &self.config)?;
        let rollout_id = jiff::Timestamp::now().as_nanosecond().to_string();

        let deployments = self.deployment_api(namespace);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let existing = self.fetch_function(&function).await?;
            let updated = updated_deployment(&existing, desired.clone(), &d, &rollout_id);
            match deployments
                .replace(name, &PostParams::default(), &updated)
                .await
                .during(|| format!("updating Deployment {name} in {namespace}"))
            {
                Err(e) if e.is_conflict() && attempt < CONFLICT_RETRIES => continue,
                Err(e) => return Err(e),
                Ok(_) => break,
            }
        }
        self.update_service(&d).await?;
        tracing::info!(function = %name, %namespace, image = %d.image, "updated function");
        Ok(())
    }

    /// Sets the Service's annotations to the function's, creating the Service if it went
    /// missing.
    async fn update_service(&self, d: &FunctionDeployment) -> Result<(), Error> {
        let namespace = d.namespace_or_default();
        let name = &d.service;
        let services: Api<Service> = Api::namespaced(self.client.clone(), namespace);
        let wanted = function_service(d);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = services
                .get_opt(name)
                .await
                .during(|| format!("fetching Service {name} in {namespace}"))?;
            let result = match current {
                None => services
                    .create(&PostParams::default(), &wanted)
                    .await
                    .during(|| format!("creating Service {name} in {namespace}")),
                Some(mut svc) => {
                    svc.metadata.annotations = wanted.metadata.annotations.clone();
                    services
                        .replace(name, &PostParams::default(), &svc)
                        .await
                        .during(|| format!("updating Service {name} in {namespace}"))
                }
            };
            match result {
                Err(e) if e.is_conflict() && attempt < CONFLICT_RETRIES => continue,
                Err(e) => return Err(e),
                Ok(_) => return Ok(()),
            }
        }
    }

    /// Deletes the Deployment (foreground: its pods go first) and the Service.
    pub(crate) async fn function_delete(&self, function: &FunctionRef) -> Result<(), Error> {
        let (name, namespace) = (&function.name, &function.namespace);
        self.check_namespace(namespace).await?;
        self.fetch_function(function).await?;
        self.deployment_api(namespace)
            .delete(name, &DeleteParams::foreground())
            .await
            .during(|| format!("deleting Deployment {name} in {namespace}"))?;
        let services: Api<Service> = Api::namespaced(self.client.clone(), namespace);
        match services
            .delete(name, &DeleteParams::foreground())
            .await
            .during(|| format!("deleting Service {name} in {namespace}"))
        {
            Err(e) if e.is_not_found() => {
                tracing::warn!(function = %name, %namespace, "function had no Service");
            }
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        tracing::info!(function = %name, %namespace, "deleted function");
        Ok(())
    }

    /// Sets `spec.replicas` through the scale subresource (one merge patch, no conflicts);
    /// 0 is allowed, above `com.openfaas.scale.max` is not.
    pub(crate) async fn function_scale(
        &self,
        function: &FunctionRef,
        replicas: u64,
    ) -> Result<(), Error> {
        let (name, namespace) = (&function.name, &function.namespace);
        self.check_namespace(namespace).await?;
        let existing = self.fetch_function(function).await?;
        let max = label_u32(&status::template_labels(&existing), LABEL_SCALE_MAX)
            .ok()
            .flatten();
        let too_many = |max: u32| Error::AboveMaxReplicas {
            function: function.clone(),
            replicas,
            max,
        };
        if let Some(max) = max.filter(|max| replicas > u64::from(*max)) {
            return Err(too_many(max));
        }
        let replicas_i32 = i32::try_from(replicas).map_err(|_| too_many(i32::MAX as u32))?;
        let patch = serde_json::json!({ "spec": { "replicas": replicas_i32 } });
        self.deployment_api(namespace)
            .patch_scale(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .during(|| format!("scaling Deployment {name} in {namespace}"))?;
        tracing::info!(function = %name, %namespace, replicas, "scaled function");
        Ok(())
    }

    /// The functions of `namespace` from the cache, sorted by name.
    pub(crate) async fn function_list(
        &self,
        namespace: &str,
    ) -> Result<Vec<FunctionStatus>, Error> {
        self.check_namespace(namespace).await?;
        self.wait_synced().await?;
        let mut list: Vec<FunctionStatus> = self
            .cached_functions(namespace)
            .iter()
            .map(|d| function_status(d))
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list)
    }

    /// One function's status from the cache; a function deployed a moment ago that the watch
    /// has not delivered yet is fetched from the API server.
    pub(crate) async fn function_get(
        &self,
        function: &FunctionRef,
    ) -> Result<FunctionStatus, Error> {
        self.check_namespace(&function.namespace).await?;
        if let Some(dep) = self.cached_function(function) {
            return Ok(function_status(&dep));
        }
        Ok(function_status(&self.fetch_function(function).await?))
    }

    /// The function's Deployment, fresh from the API server (write paths need its current
    /// `resourceVersion`): `FunctionNotFound` when absent, `NotAFunction` without the label.
    pub(crate) async fn fetch_function(&self, function: &FunctionRef) -> Result<Deployment, Error> {
        let (name, namespace) = (&function.name, &function.namespace);
        let dep = self
            .deployment_api(namespace)
            .get_opt(name)
            .await
            .during(|| format!("fetching Deployment {name} in {namespace}"))?
            .ok_or_else(|| Error::FunctionNotFound(function.clone()))?;
        if !is_function(&dep) {
            return Err(Error::NotAFunction(function.clone()));
        }
        Ok(dep)
    }
}

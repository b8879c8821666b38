//! [`K8sProvider`]: the [`Provider`] over a Kubernetes cluster, and [`Watchers`], the watch
//! tasks that keep its in-memory views (functions, ready endpoints) current.
//!
//! The work of each operation lives next to its objects: `functions.rs` (deploy, update,
//! delete, scale, list, get), `secrets.rs`, `namespaces.rs`, `logs.rs`; this file holds the
//! shared state and the trait's dispatch.

use std::sync::Arc;

use faas_core::{
    BoxFuture, DeployOutcome, FunctionDeployment, FunctionRef, FunctionStatus, LogRequest,
    LogStream, NamespaceRequest, Provider, ProviderError, ProviderInfo, Resolved, Secret,
    SecretDescription, VersionInfo,
};
use futures_util::StreamExt as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt as _};
use kube::{Api, Client};
use tokio::task::JoinHandle;

use crate::config::ProviderConfig;
use crate::endpoints::EndpointTable;
use crate::error::Error;
use crate::labels::{FORBIDDEN_NAMESPACE, FUNCTION_LABEL, SERVICE_NAME_LABEL};
use crate::status;

/// How many times a read-modify-write is retried when the API server reports a stale
/// `resourceVersion` (409 Conflict).
pub(crate) const CONFLICT_RETRIES: u32 = 5;

/// A [`Provider`] that runs each function as a Deployment and a Service (faas-netes
/// compatible objects, `docs/kubernetes.md`).
///
/// `list`, `get` and `resolve` answer from memory: a reflector of the functions' Deployments
/// and a table of ready endpoints from EndpointSlices, both fed by [`Watchers`]. Writes go to
/// the API server.
pub struct K8sProvider {
    pub(crate) client: Client,
    pub(crate) config: ProviderConfig,
    pub(crate) deployments: Store<Deployment>,
    pub(crate) endpoints: Arc<EndpointTable>,
}

impl std::fmt::Debug for K8sProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("K8sProvider")
            .field("config", &self.config)
            .field("cached_deployments", &self.deployments.len())
            .finish_non_exhaustive()
    }
}

/// The watch loops a [`K8sProvider`] needs, not yet running: call [`Watchers::spawn`] inside a
/// tokio runtime. (Tests of single operations may leave them unspawned.)
pub struct Watchers {
    client: Client,
    config: ProviderConfig,
    deployment_writer: reflector::store::Writer<Deployment>,
    endpoints: Arc<EndpointTable>,
}

impl std::fmt::Debug for Watchers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchers")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The running watch tasks; dropping this stops them.
#[derive(Debug)]
pub struct WatcherTasks {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for WatcherTasks {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl K8sProvider {
    /// A provider over `client` and the watchers that feed its caches.
    pub fn new(client: Client, config: ProviderConfig) -> (Self, Watchers) {
        let (deployments, deployment_writer) = reflector::store();
        let endpoints = Arc::new(EndpointTable::new());
        let provider = Self {
            client: client.clone(),
            config: config.clone(),
            deployments,
            endpoints: endpoints.clone(),
        };
        let watchers = Watchers {
            client,
            config,
            deployment_writer,
            endpoints,
        };
        (provider, watchers)
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// The ready-endpoint table `resolve` reads.
    pub fn endpoint_table(&self) -> &Arc<EndpointTable> {
        &self.endpoints
    }

    /// Waits until the function cache has listed the cluster once; `CacheNotSynced` after the
    /// configured timeout.
    pub async fn wait_synced(&self) -> Result<(), Error> {
        tokio::time::timeout(
            self.config.cache_sync_timeout,
            self.deployments.wait_until_ready(),
        )
        .await
        .map_err(|_| Error::CacheNotSynced)?
        .map_err(|_| Error::CacheNotSynced)
    }

    /// The cached function Deployment, if any.
    pub(crate) fn cached_function(&self, function: &FunctionRef) -> Option<Arc<Deployment>> {
        self.deployments
            .get(&ObjectRef::new(&function.name).within(&function.namespace))
            .filter(|d| status::is_function(d))
    }

    /// The cached function Deployments of `namespace`.
    pub(crate) fn cached_functions(&self, namespace: &str) -> Vec<Arc<Deployment>> {
        self.deployments.state_filter(|d| {
            d.metadata.namespace.as_deref() == Some(namespace) && status::is_function(d)
        })
    }

    /// The Deployments API of `namespace`.
    pub(crate) fn deployment_api(&self, namespace: &str) -> Api<Deployment> {
        Api::namespaced(self.client.clone(), namespace)
    }

    fn resolve_cached(&self, function: &FunctionRef) -> Result<Resolved, Error> {
        if function.namespace == FORBIDDEN_NAMESPACE {
            return Err(Error::NamespaceNotAllowed(function.namespace.clone()));
        }
        let dep = self
            .cached_function(function)
            .ok_or_else(|| Error::FunctionNotFound(function.clone()))?;
        Ok(Resolved {
            endpoints: self.endpoints.get(function),
            replicas: status::desired_replicas(&dep),
            min_replicas: status::min_replicas(&dep),
            timeout: status::timeout(&dep),
        })
    }
}

impl Watchers {
    /// Starts the Deployment reflector and the EndpointSlice watch on the current tokio
    /// runtime. Both retry with backoff when the API server is unreachable; errors are logged.
    pub fn spawn(self) -> WatcherTasks {
        let deployments: Api<Deployment> = self.scoped_api();
        let slices: Api<EndpointSlice> = self.scoped_api();
        let function_config = watcher::Config::default().labels(FUNCTION_LABEL);
        let slice_config = watcher::Config::default().labels(SERVICE_NAME_LABEL);

        let writer = self.deployment_writer;
        let deployment_task = tokio::spawn(async move {
            let stream = watcher(deployments, function_config)
                .default_backoff()
                .reflect(writer);
            futures_util::pin_mut!(stream);
            while let Some(event) = stream.next().await {
                if let Err(e) = event {
                    tracing::warn!(error = %e, "watching function deployments failed; retrying");
                }
            }
        });

        let table = self.endpoints;
        let endpoint_task = tokio::spawn(async move {
            let stream = watcher(slices, slice_config).default_backoff();
            futures_util::pin_mut!(stream);
            while let Some(event) = stream.next().await {
                match event {
                    Ok(event) => table.apply_event(event),
                    Err(e) => {
                        tracing::warn!(error = %e, "watching endpoint slices failed; retrying");
                    }
                }
            }
        });
        WatcherTasks {
            tasks: vec![deployment_task, endpoint_task],
        }
    }

    /// All namespaces in multi-namespace mode, else the function namespace.
    fn scoped_api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        if self.config.multi_namespace {
            Api::all(self.client.clone())
        } else {
            Api::namespaced(self.client.clone(), &self.config.function_namespace)
        }
    }
}

/// Runs `f` and converts its error, as every trait method does.
fn boxed<'a, T: Send + 'a>(
    f: impl std::future::Future<Output = Result<T, Error>> + Send + 'a,
) -> BoxFuture<'a, Result<T, ProviderError>> {
    Box::pin(async move { f.await.map_err(ProviderError::from) })
}

impl Provider for K8sProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            provider: "faas-netes".to_owned(),
            orchestration: "kubernetes".to_owned(),
            version: VersionInfo {
                commit_message: None,
                sha: option_env!("FAAS_GIT_SHA").unwrap_or("unknown").to_owned(),
                release: env!("CARGO_PKG_VERSION").to_owned(),
            },
        }
    }

    fn health(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            self.client
                .apiserver_version()
                .await
                .map(|_| ())
                .map_err(|e| ProviderError::unavailable("reaching the Kubernetes API server", e))
        })
    }

    fn deploy(
        &self,
        deployment: FunctionDeployment,
    ) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>> {
        boxed(async move {
            self.function_deploy(deployment).await?;
            Ok(DeployOutcome::ok())
        })
    }

    fn update(
        &self,
        deployment: FunctionDeployment,
    ) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>> {
        boxed(async move {
            self.function_update(deployment).await?;
            Ok(DeployOutcome::ok())
        })
    }

    fn delete(&self, function: FunctionRef) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move { self.function_delete(&function).await })
    }

    fn list(&self, namespace: String) -> BoxFuture<'_, Result<Vec<FunctionStatus>, ProviderError>> {
        boxed(async move { self.function_list(&namespace).await })
    }

    fn get(
        &self,
        function: FunctionRef,
        _usage: bool,
    ) -> BoxFuture<'_, Result<FunctionStatus, ProviderError>> {
        boxed(async move { self.function_get(&function).await })
    }

    fn scale(
        &self,
        function: FunctionRef,
        replicas: u64,
    ) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move { self.function_scale(&function, replicas).await })
    }

    fn resolve(&self, function: &FunctionRef) -> Result<Resolved, ProviderError> {
        Ok(self.resolve_cached(function)?)
    }

    fn wait_ready(
        &self,
        function: FunctionRef,
    ) -> Option<BoxFuture<'_, Result<Resolved, ProviderError>>> {
        let mut changes = self.endpoints.subscribe();
        Some(boxed(async move {
            loop {
                let resolved = self.resolve_cached(&function)?;
                if !resolved.endpoints.is_empty() {
                    return Ok(resolved);
                }
                if changes.changed().await.is_err() {
                    return Err(Error::CacheNotSynced);
                }
            }
        }))
    }

    fn list_secrets(
        &self,
        namespace: String,
    ) -> BoxFuture<'_, Result<Vec<SecretDescription>, ProviderError>> {
        boxed(async move { self.secret_list(&namespace).await })
    }

    fn create_secret(&self, secret: Secret) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(self.secret_create(secret))
    }

    fn update_secret(&self, secret: Secret) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(self.secret_update(secret))
    }

    fn delete_secret(
        &self,
        namespace: String,
        name: String,
    ) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move { self.secret_delete(&namespace, &name).await })
    }

    fn logs(&self, request: LogRequest) -> BoxFuture<'_, Result<LogStream, ProviderError>> {
        boxed(self.function_logs(request))
    }

    fn list_namespaces(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        boxed(self.namespace_list())
    }

    fn get_namespace(
        &self,
        name: String,
    ) -> BoxFuture<'_, Result<NamespaceRequest, ProviderError>> {
        boxed(async move { self.namespace_get(&name).await })
    }

    fn create_namespace(
        &self,
        namespace: NamespaceRequest,
    ) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(self.namespace_create(namespace))
    }

    fn update_namespace(
        &self,
        namespace: NamespaceRequest,
    ) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(self.namespace_update(namespace))
    }

    fn delete_namespace(&self, name: String) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move { self.namespace_delete(&name).await })
    }
}

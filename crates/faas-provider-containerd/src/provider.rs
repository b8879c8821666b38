//! [`ContainerdProvider`]: the [`Provider`] of faasd mode. Construction connects to containerd,
//! prepares the network and shared files, brings every persisted function back (see
//! [`reconcile`](crate::reconcile)) and starts the background reconciler.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use faas_core::{
    BoxFuture, DeployOutcome, FunctionDeployment, FunctionRef, FunctionStatus, LogRequest,
    LogStream, NamespaceRequest, Provider, ProviderError, ProviderInfo, Resolved, Secret,
    SecretDescription,
};

use crate::client::Containerd;
use crate::cni::Cni;
use crate::config::ContainerdConfig;
use crate::error::{Error, Result};
use crate::image::pull::RegistryClient;
use crate::image::ImageStore;
use crate::logs::LogStore;
use crate::namespaces::{from_labels, Namespaces};
use crate::replica::{hosts_file, SharedFiles, Table};
use crate::secret_mounts::SecretMounts;
use crate::secrets::SecretStore;
use crate::state::{write_atomically, StateStore};
use crate::task::TaskRunner;

/// Functions as containerd tasks on a CNI bridge. Cheap to clone; dropping the last clone
/// stops the background reconciler (tasks keep running, as after `kill -9`).
#[derive(Clone)]
pub struct ContainerdProvider {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for ContainerdProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerdProvider")
            .field("socket", &self.inner.config.socket)
            .finish_non_exhaustive()
    }
}

/// The provider's shared state.
pub(crate) struct Inner {
    pub(crate) config: ContainerdConfig,
    pub(crate) client: Containerd,
    pub(crate) images: ImageStore,
    pub(crate) registry: OnceLock<RegistryClient>,
    pub(crate) runner: TaskRunner,
    pub(crate) namespaces: Namespaces,
    pub(crate) state: StateStore,
    pub(crate) secrets: SecretStore,
    pub(crate) secret_mounts: SecretMounts,
    pub(crate) logs: LogStore,
    pub(crate) usage: crate::usage::UsageSampler,
    pub(crate) shared_files: SharedFiles,
    pub(crate) table: Mutex<Table>,
    pub(crate) op_locks: Mutex<HashMap<FunctionRef, Arc<tokio::sync::Mutex<()>>>>,
    pub(crate) save_lock: Mutex<()>,
}

impl ContainerdProvider {
    /// Connects to containerd, checks the network, writes the shared files, creates the default
    /// namespace, brings persisted functions back and spawns the reconciler (on the current
    /// tokio runtime). Fails when containerd does not answer, no CNI plugins are installed or
    /// the subnet is routed elsewhere.
    pub async fn start(config: ContainerdConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.state_dir)
            .map_err(|e| Error::io("creating the state dir", &config.state_dir, e))?;
        let client = Containerd::connect(&config.socket).await?;
        let version = client.version().await?;
        tracing::info!(socket = %config.socket.display(), %version, "connected to containerd");
        let cni = Cni::new(config.network.clone())?;
        cni.check_subnet()?;
        write_atomically(
            &config
                .state_dir
                .join("cni")
                .join(format!("{}.conflist", config.network.name)),
            &serde_json::to_vec_pretty(&crate::cni::conflist(&config.network)).unwrap_or_default(),
            0o644,
        )?;
        let shared_files = write_shared_files(&config)?;
        let images = ImageStore::new(client.clone(), config.snapshotter.clone());
        let runner = TaskRunner::new(
            client.clone(),
            cni,
            config.state_dir.join("netns"),
            config.snapshotter.clone(),
            config.function_port,
            config.stop_grace,
        );
        let namespaces = Namespaces::new(client.clone());
        namespaces
            .create(
                &NamespaceRequest {
                    name: config.default_namespace.clone(),
                    ..Default::default()
                },
                true,
            )
            .await?;
        let inner = Arc::new(Inner {
            state: StateStore::new(&config.state_dir),
            secrets: SecretStore::new(&config.state_dir),
            secret_mounts: SecretMounts::new(&config.state_dir),
            logs: LogStore::new(&config.state_dir, config.logs),
            usage: crate::usage::UsageSampler::new(std::path::Path::new("/sys/fs/cgroup")),
            config,
            client,
            images,
            registry: OnceLock::new(),
            runner,
            namespaces,
            shared_files,
            table: Mutex::new(Table::new()),
            op_locks: Mutex::new(HashMap::new()),
            save_lock: Mutex::new(()),
        });
        inner.restore().await;
        crate::reconcile::spawn_loop(Arc::downgrade(&inner));
        Ok(Self { inner })
    }

    /// Imports an image archive (OCI layout or `docker save` tar) into `namespace` under
    /// `name`, so a deployment with `image: name` runs it without a registry.
    pub async fn import_image(
        &self,
        namespace: &str,
        name: &str,
        archive: PathBuf,
    ) -> Result<String> {
        let reference = crate::image::ImageReference::parse(name)?;
        let full = reference.name();
        let staged = {
            let full = full.clone();
            tokio::task::spawn_blocking(move || crate::image::import::read_archive(&archive, &full))
                .await
                .map_err(|e| Error::BadImage(format!("reading the archive: {e}")))??
        };
        self.inner.images.store_imported(namespace, &staged).await?;
        Ok(full)
    }

    /// The containerd client, for callers that inspect what the provider made.
    pub fn containerd(&self) -> &Containerd {
        &self.inner.client
    }
}

fn write_shared_files(config: &ContainerdConfig) -> Result<SharedFiles> {
    let hosts = match &config.hosts_file {
        Some(p) => p.clone(),
        None => {
            let p = config.state_dir.join("hosts");
            write_atomically(
                &p,
                hosts_file(config.network.subnet.gateway()).as_bytes(),
                0o644,
            )?;
            p
        }
    };
    let resolv = match &config.resolv_conf {
        Some(p) => p.clone(),
        None => {
            let p = config.state_dir.join("resolv.conf");
            let host = std::fs::read_to_string(&config.host_resolv_conf).unwrap_or_default();
            let upstream = std::fs::read_to_string(&config.upstream_resolv_conf).ok();
            let generated = crate::resolv::function_resolv_conf(
                &host,
                upstream.as_deref(),
                &config.upstream_resolv_conf.to_string_lossy(),
            );
            if let Some(w) = &generated.warning {
                tracing::warn!("{w}");
            }
            write_atomically(&p, generated.text.as_bytes(), 0o644)?;
            p
        }
    };
    Ok(SharedFiles {
        hosts,
        resolv_conf: resolv,
    })
}

impl Inner {
    /// The function table, even after a panic elsewhere.
    pub(crate) fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The lock serialising changes to one function.
    pub(crate) fn op_lock(&self, f: &FunctionRef) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.op_locks.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(locks.entry(f.clone()).or_default())
    }

    /// Writes the current record of `f` (or removes its file when it is gone).
    pub(crate) fn persist(&self, f: &FunctionRef) -> Result<()> {
        let _order = self.save_lock.lock().unwrap_or_else(|e| e.into_inner());
        let record = self.table().get(f).map(|s| s.record.clone());
        match record {
            Some(r) => self.state.save(&r),
            None => self.state.remove(f),
        }
    }

    /// `status` with the CPU and memory use of the running replicas `(id, pid)`, when known.
    fn with_usage(&self, mut status: FunctionStatus, replicas: &[(String, u32)]) -> FunctionStatus {
        status.usage = self
            .usage
            .measure(&status.namespace, &status.name, replicas);
        status
    }

    pub(crate) async fn check_namespace(&self, ns: &str) -> Result<()> {
        if self.namespaces.is_openfaas(ns).await? {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "namespace {ns} is not an OpenFaaS namespace: create it first"
            )))
        }
    }
}

/// The `(id, pid)` of a function's replicas that have a task.
fn running_replicas(slot: &crate::replica::Slot) -> Vec<(String, u32)> {
    slot.record
        .replica_records
        .values()
        .filter_map(|r| Some((r.id.clone(), r.pid?)))
        .collect()
}

fn boxed<'a, T: Send + 'a>(
    fut: impl std::future::Future<Output = Result<T>> + Send + 'a,
) -> BoxFuture<'a, Result<T, ProviderError>> {
    Box::pin(async move { fut.await.map_err(ProviderError::from) })
}

impl Provider for ContainerdProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            provider: "faasd".to_owned(),
            orchestration: "containerd".to_owned(),
            version: faas_core::VersionInfo {
                commit_message: None,
                sha: String::new(),
                release: env!("CARGO_PKG_VERSION").to_owned(),
            },
        }
    }

    fn health(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move { self.inner.client.version().await.map(|_| ()) })
    }

    fn deploy(&self, d: FunctionDeployment) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>> {
        boxed(Arc::clone(&self.inner).deploy(d))
    }

    fn update(&self, d: FunctionDeployment) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>> {
        boxed(Arc::clone(&self.inner).update(d))
    }

    fn delete(&self, f: FunctionRef) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(Arc::clone(&self.inner).delete(f))
    }

    fn list(&self, ns: String) -> BoxFuture<'_, Result<Vec<FunctionStatus>, ProviderError>> {
        boxed(async move {
            self.inner.check_namespace(&ns).await?;
            let found: Vec<_> = self
                .inner
                .table()
                .iter()
                .filter(|(f, _)| f.namespace == ns)
                .map(|(_, s)| (crate::functions::status(s), running_replicas(s)))
                .collect();
            let mut out: Vec<FunctionStatus> = found
                .into_iter()
                .map(|(s, replicas)| self.inner.with_usage(s, &replicas))
                .collect();
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })
    }

    fn get(
        &self,
        f: FunctionRef,
        usage: bool,
    ) -> BoxFuture<'_, Result<FunctionStatus, ProviderError>> {
        let found = self
            .inner
            .table()
            .get(&f)
            .map(|s| (crate::functions::status(s), running_replicas(s)));
        boxed(async move {
            let (status, replicas) =
                found.ok_or_else(|| Error::NotFound(format!("function {f} not found")))?;
            Ok(if usage {
                self.inner.with_usage(status, &replicas)
            } else {
                status
            })
        })
    }

    fn scale(&self, f: FunctionRef, replicas: u64) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(Arc::clone(&self.inner).scale(f, replicas))
    }

    fn resolve(&self, f: &FunctionRef) -> Result<Resolved, ProviderError> {
        self.inner
            .table()
            .get(f)
            .map(crate::functions::resolved)
            .ok_or_else(|| ProviderError::not_found(format!("function {f} not found")))
    }

    fn wait_ready(&self, f: FunctionRef) -> Option<BoxFuture<'_, Result<Resolved, ProviderError>>> {
        let rx = self.inner.table().get(&f).map(|s| s.ready_tx.subscribe());
        Some(Box::pin(async move {
            let gone = || ProviderError::not_found(format!("function {f} not found"));
            let mut rx = rx.ok_or_else(gone)?;
            rx.wait_for(|e| !e.is_empty()).await.map_err(|_| gone())?;
            self.resolve(&f)
        }))
    }

    fn list_secrets(
        &self,
        ns: String,
    ) -> BoxFuture<'_, Result<Vec<SecretDescription>, ProviderError>> {
        boxed(async move {
            self.inner.check_namespace(&ns).await?;
            Ok(self
                .inner
                .secrets
                .list(&ns)
                .into_iter()
                .map(|name| SecretDescription {
                    name,
                    namespace: ns.clone(),
                })
                .collect())
        })
    }

    fn create_secret(&self, s: Secret) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move {
            s.validate()?;
            let ns = s.namespace_or_default();
            self.inner.check_namespace(ns).await?;
            self.inner.secrets.create(ns, &s.name, &s.bytes()?)
        })
    }

    fn update_secret(&self, s: Secret) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move {
            s.validate()?;
            let ns = s.namespace_or_default();
            let value = s.bytes()?;
            self.inner.secrets.update(ns, &s.name, &value)?;
            self.inner.secret_mounts.update(ns, &s.name, &value)
        })
    }

    fn delete_secret(&self, ns: String, name: String) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move {
            faas_core::name::validate_secret_name(&name)?;
            let used_by: Vec<String> = self
                .inner
                .table()
                .iter()
                .filter(|(f, s)| f.namespace == ns && s.record.deployment.secrets.contains(&name))
                .map(|(f, _)| f.name.clone())
                .collect();
            if !used_by.is_empty() {
                return Err(Error::Conflict(format!(
                    "secret {name:?} is used by function(s) {}: update or delete them first",
                    used_by.join(", ")
                )));
            }
            self.inner.secrets.delete(&ns, &name)?;
            self.inner.secret_mounts.remove_secret(&ns, &name);
            Ok(())
        })
    }

    fn logs(&self, req: LogRequest) -> BoxFuture<'_, Result<LogStream, ProviderError>> {
        let f = FunctionRef::new(req.name.clone(), Some(&req.namespace));
        let exists = self.inner.table().contains_key(&f);
        boxed(async move {
            if !exists {
                return Err(Error::NotFound(format!("function {f} not found")));
            }
            Ok(self.inner.logs.stream(req))
        })
    }

    fn list_namespaces(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        boxed(async move {
            Ok(self
                .inner
                .namespaces
                .list()
                .await?
                .into_iter()
                .map(|(n, _)| n)
                .collect())
        })
    }

    fn get_namespace(
        &self,
        name: String,
    ) -> BoxFuture<'_, Result<NamespaceRequest, ProviderError>> {
        boxed(async move {
            match self.inner.namespaces.labels(&name).await? {
                Some(l) if crate::namespaces::is_openfaas(&l) => Ok(from_labels(&name, &l)),
                _ => Err(Error::NotFound(format!("namespace {name} not found"))),
            }
        })
    }

    fn create_namespace(&self, ns: NamespaceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move {
            faas_core::name::validate_namespace(&ns.name)?;
            self.inner.namespaces.create(&ns, false).await
        })
    }

    fn update_namespace(&self, ns: NamespaceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move {
            if !self.inner.namespaces.is_openfaas(&ns.name).await? {
                return Err(Error::NotFound(format!("namespace {} not found", ns.name)));
            }
            self.inner
                .namespaces
                .set_labels(&ns.name, crate::namespaces::to_labels(&ns))
                .await
        })
    }

    fn delete_namespace(&self, name: String) -> BoxFuture<'_, Result<(), ProviderError>> {
        boxed(async move {
            if !self.inner.namespaces.is_openfaas(&name).await? {
                return Err(Error::NotFound(format!("namespace {name} not found")));
            }
            let functions = self
                .inner
                .table()
                .keys()
                .filter(|f| f.namespace == name)
                .count();
            if functions > 0 || !self.inner.secrets.list(&name).is_empty() {
                return Err(Error::Conflict(format!(
                    "namespace {name} still has functions or secrets: delete them first"
                )));
            }
            self.inner
                .namespaces
                .purge(&name, &self.inner.config.snapshotter)
                .await
        })
    }
}

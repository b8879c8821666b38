//! A downstream `Provider` in a few hundred lines: each replica of a function is a local process.
//!
//! It shows what a backend outside this workspace needs: `faas-core` for the model and the trait,
//! `faas-gateway` to serve it — nothing else of ours. A function's `envProcess` is run with
//! `sh -c`, with the function's env plus `PORT`, and must serve HTTP on `127.0.0.1:$PORT`; a
//! replica counts as ready once that port accepts a connection. Secrets are kept in memory and
//! written to `<secrets dir>/<namespace>/<name>`; logs and extra namespaces are not offered.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use faas_core::endpoint::{EndpointSet, Resolved};
use faas_core::timeout::function_timeout;
use faas_core::{
    BoxFuture, DeployOutcome, FunctionDeployment, FunctionRef, FunctionStatus, LogRequest,
    LogStream, NamespaceRequest, Provider, ProviderError, ProviderInfo, Secret, SecretDescription,
    VersionInfo, DEFAULT_NAMESPACE,
};
use jiff::Timestamp;
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// Runs each function replica as a child process of this one.
pub(crate) struct ProcessProvider {
    functions: Mutex<HashMap<FunctionRef, Function>>,
    secrets: Mutex<BTreeMap<(String, String), Vec<u8>>>,
    secrets_dir: PathBuf,
}

struct Function {
    deployment: FunctionDeployment,
    created_at: Timestamp,
    replicas: Vec<Replica>,
    /// Ready endpoints, published to invocations and to `wait_ready`.
    ready: watch::Sender<Arc<EndpointSet>>,
}

struct Replica {
    /// Killed when dropped.
    _child: Child,
    addr: SocketAddr,
}

impl ProcessProvider {
    /// A provider writing secret files under `secrets_dir`.
    pub(crate) fn new(secrets_dir: PathBuf) -> Self {
        Self {
            functions: Mutex::default(),
            secrets: Mutex::default(),
            secrets_dir,
        }
    }

    fn functions(&self) -> MutexGuard<'_, HashMap<FunctionRef, Function>> {
        self.functions.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn secrets(&self) -> MutexGuard<'_, BTreeMap<(String, String), Vec<u8>>> {
        self.secrets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts one replica and a task that publishes it once its port answers.
    fn spawn_replica(
        &self,
        d: &FunctionDeployment,
        ready: &watch::Sender<Arc<EndpointSet>>,
    ) -> Result<Replica, ProviderError> {
        let process = d.env_process.clone().unwrap_or_default();
        if process.trim().is_empty() {
            return Err(ProviderError::invalid(format!(
                "function {} has no envProcess: set the command that serves HTTP on $PORT",
                d.service
            )));
        }
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| ProviderError::internal("choosing a port", e))?
            .port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        // `exec`: the shell becomes the process, so killing the child (on drop) ends it
        // rather than only the shell.
        let child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec {process}"))
            .envs(d.effective_env())
            .env("PORT", port.to_string())
            .env(
                "secret_mount_path",
                self.secrets_dir.join(d.namespace_or_default()),
            )
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ProviderError::invalid(format!("starting {process:?}: {e}")))?;
        let ready = ready.clone();
        tokio::spawn(async move {
            for _ in 0..1000 {
                if tokio::net::TcpStream::connect(addr).await.is_ok() {
                    ready.send_modify(|set| {
                        let mut addrs = set.addrs().to_vec();
                        addrs.push(addr);
                        *set = Arc::new(EndpointSet::new(addrs));
                    });
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            tracing::warn!(%addr, "replica never listened");
        });
        Ok(Replica {
            _child: child,
            addr,
        })
    }

    fn set_replicas(&self, f: &mut Function, n: usize) -> Result<(), ProviderError> {
        while f.replicas.len() > n {
            let gone = f.replicas.pop().map(|r| r.addr);
            f.ready.send_modify(|set| {
                let addrs = set.addrs().iter().copied().filter(|a| Some(*a) != gone);
                *set = Arc::new(EndpointSet::new(addrs.collect()));
            });
        }
        while f.replicas.len() < n {
            let replica = self.spawn_replica(&f.deployment, &f.ready)?;
            f.replicas.push(replica);
        }
        Ok(())
    }

    fn check_secrets(&self, d: &FunctionDeployment) -> Result<(), ProviderError> {
        let secrets = self.secrets();
        let ns = d.namespace_or_default();
        match d
            .secrets
            .iter()
            .find(|s| !secrets.contains_key(&(ns.to_owned(), (*s).clone())))
        {
            Some(s) => Err(ProviderError::invalid(format!(
                "secret {s} not found in namespace {ns}: create it first"
            ))),
            None => Ok(()),
        }
    }

    fn write_secret(&self, s: &Secret, bytes: &[u8]) -> Result<(), ProviderError> {
        let dir = self.secrets_dir.join(s.namespace_or_default());
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join(&s.name), bytes))
            .map_err(|e| ProviderError::internal(format!("writing secret {}", s.name), e))
    }
}

fn not_found(f: &FunctionRef) -> ProviderError {
    ProviderError::not_found(format!("function {f} not found"))
}

fn done<T: Send + 'static>(value: T) -> BoxFuture<'static, T> {
    Box::pin(std::future::ready(value))
}

fn only_default_namespace(ns: &str) -> Result<(), ProviderError> {
    if ns == DEFAULT_NAMESPACE {
        Ok(())
    } else {
        Err(ProviderError::invalid(format!(
            "namespace {ns} is not valid: this provider has only {DEFAULT_NAMESPACE}"
        )))
    }
}

impl Provider for ProcessProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            provider: "process-provider".into(),
            orchestration: "process".into(),
            version: VersionInfo {
                commit_message: None,
                sha: "example".into(),
                release: env!("CARGO_PKG_VERSION").into(),
            },
        }
    }

    fn deploy(&self, d: FunctionDeployment) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>> {
        let result = (|| {
            let key = d.function_ref();
            only_default_namespace(&key.namespace)?;
            self.check_secrets(&d)?;
            if self.functions().contains_key(&key) {
                return Err(ProviderError::already_exists(format!(
                    "function {key} already exists"
                )));
            }
            let replicas = d.min_replicas()? as usize;
            let mut f = Function {
                deployment: d,
                created_at: Timestamp::now(),
                replicas: Vec::new(),
                ready: watch::channel(Arc::new(EndpointSet::default())).0,
            };
            self.set_replicas(&mut f, replicas)?;
            self.functions().insert(key, f);
            Ok(DeployOutcome::ok())
        })();
        done(result)
    }

    /// Starts the new version's replicas before stopping the old ones (not waiting for them to be
    /// ready: a real backend would).
    fn update(&self, d: FunctionDeployment) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>> {
        let result = (|| {
            let key = d.function_ref();
            self.check_secrets(&d)?;
            let count = self
                .functions()
                .get(&key)
                .map(|f| f.replicas.len())
                .ok_or_else(|| not_found(&key))?;
            let mut new = Function {
                deployment: d,
                created_at: Timestamp::now(),
                replicas: Vec::new(),
                ready: watch::channel(Arc::new(EndpointSet::default())).0,
            };
            self.set_replicas(&mut new, count)?;
            let mut functions = self.functions();
            if let Some(old) = functions.get(&key) {
                new.created_at = old.created_at;
            }
            functions.insert(key, new);
            Ok(DeployOutcome::ok())
        })();
        done(result)
    }

    fn delete(&self, f: FunctionRef) -> BoxFuture<'_, Result<(), ProviderError>> {
        done(
            self.functions()
                .remove(&f)
                .map(drop)
                .ok_or_else(|| not_found(&f)),
        )
    }

    fn list(&self, ns: String) -> BoxFuture<'_, Result<Vec<FunctionStatus>, ProviderError>> {
        let result = only_default_namespace(&ns)
            .map(|()| self.functions().values().map(status).collect::<Vec<_>>());
        done(result)
    }

    fn get(
        &self,
        f: FunctionRef,
        _usage: bool,
    ) -> BoxFuture<'_, Result<FunctionStatus, ProviderError>> {
        done(
            self.functions()
                .get(&f)
                .map(status)
                .ok_or_else(|| not_found(&f)),
        )
    }

    fn scale(&self, key: FunctionRef, replicas: u64) -> BoxFuture<'_, Result<(), ProviderError>> {
        let result = (|| {
            let mut functions = self.functions();
            let f = functions.get_mut(&key).ok_or_else(|| not_found(&key))?;
            if let Some(max) = f.deployment.max_replicas()? {
                if replicas > u64::from(max) {
                    return Err(ProviderError::invalid(format!(
                        "cannot scale {key} to {replicas}: com.openfaas.scale.max is {max}"
                    )));
                }
            }
            self.set_replicas(f, replicas as usize)
        })();
        done(result)
    }

    fn resolve(&self, key: &FunctionRef) -> Result<Resolved, ProviderError> {
        let functions = self.functions();
        let f = functions.get(key).ok_or_else(|| not_found(key))?;
        let endpoints = f.ready.borrow().clone();
        Ok(Resolved {
            endpoints,
            replicas: f.replicas.len() as u64,
            min_replicas: u64::from(f.deployment.min_replicas().unwrap_or(1).max(1)),
            timeout: function_timeout(&f.deployment.effective_env()),
        })
    }

    fn wait_ready(
        &self,
        key: FunctionRef,
    ) -> Option<BoxFuture<'_, Result<Resolved, ProviderError>>> {
        let mut rx = self.functions().get(&key)?.ready.subscribe();
        Some(Box::pin(async move {
            rx.wait_for(|set| !set.is_empty())
                .await
                .map_err(|_| not_found(&key))?;
            self.resolve(&key)
        }))
    }

    fn list_secrets(
        &self,
        ns: String,
    ) -> BoxFuture<'_, Result<Vec<SecretDescription>, ProviderError>> {
        let result = only_default_namespace(&ns).map(|()| {
            self.secrets()
                .keys()
                .map(|(namespace, name)| SecretDescription {
                    name: name.clone(),
                    namespace: namespace.clone(),
                })
                .collect()
        });
        done(result)
    }

    fn create_secret(&self, s: Secret) -> BoxFuture<'_, Result<(), ProviderError>> {
        let result = (|| {
            only_default_namespace(s.namespace_or_default())?;
            let key = (s.namespace_or_default().to_owned(), s.name.clone());
            if self.secrets().contains_key(&key) {
                return Err(ProviderError::already_exists(format!(
                    "secret with the name {:?} already exists",
                    s.name
                )));
            }
            let bytes = s.bytes()?;
            self.write_secret(&s, &bytes)?;
            self.secrets().insert(key, bytes);
            Ok(())
        })();
        done(result)
    }

    fn update_secret(&self, s: Secret) -> BoxFuture<'_, Result<(), ProviderError>> {
        let result = (|| {
            let key = (s.namespace_or_default().to_owned(), s.name.clone());
            if !self.secrets().contains_key(&key) {
                return Err(ProviderError::not_found(format!(
                    "unable to find secret: {}",
                    s.name
                )));
            }
            let bytes = s.bytes()?;
            self.write_secret(&s, &bytes)?;
            self.secrets().insert(key, bytes);
            Ok(())
        })();
        done(result)
    }

    fn delete_secret(&self, ns: String, name: String) -> BoxFuture<'_, Result<(), ProviderError>> {
        let removed = self.secrets().remove(&(ns.clone(), name.clone()));
        let _ = std::fs::remove_file(self.secrets_dir.join(&ns).join(&name));
        done(
            removed
                .map(drop)
                .ok_or_else(|| ProviderError::not_found(format!("unable to find secret: {name}"))),
        )
    }

    fn logs(&self, _request: LogRequest) -> BoxFuture<'_, Result<LogStream, ProviderError>> {
        done(Err(ProviderError::unsupported(
            "the process provider keeps no logs",
        )))
    }

    fn list_namespaces(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        done(Ok(vec![DEFAULT_NAMESPACE.to_owned()]))
    }

    fn get_namespace(
        &self,
        name: String,
    ) -> BoxFuture<'_, Result<NamespaceRequest, ProviderError>> {
        done(match name.as_str() {
            DEFAULT_NAMESPACE => Ok(NamespaceRequest {
                name,
                ..Default::default()
            }
            .with_marker()),
            _ => Err(ProviderError::not_found(format!(
                "namespace {name} not found"
            ))),
        })
    }

    fn create_namespace(&self, _ns: NamespaceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        done(Err(ProviderError::unsupported(
            "the process provider has only the namespace openfaas-fn",
        )))
    }

    fn update_namespace(&self, _ns: NamespaceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        done(Err(ProviderError::unsupported(
            "the process provider has only the namespace openfaas-fn",
        )))
    }

    fn delete_namespace(&self, _name: String) -> BoxFuture<'_, Result<(), ProviderError>> {
        done(Err(ProviderError::unsupported(
            "the process provider has only the namespace openfaas-fn",
        )))
    }
}

fn status(f: &Function) -> FunctionStatus {
    let mut s = FunctionStatus::from_deployment(&f.deployment, f.created_at);
    s.replicas = f.replicas.len() as u64;
    s.available_replicas = f.ready.borrow().len() as u64;
    s
}

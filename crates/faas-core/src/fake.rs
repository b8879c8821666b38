//! [`FakeProvider`]: an in-memory [`Provider`] for tests of code that serves or drives one
//! (feature `test-util`). It keeps functions, secrets, namespaces and log lines in maps and
//! routes invocations to whatever addresses the test says a function's replicas listen on.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;
use tokio::sync::broadcast;

use crate::endpoint::{EndpointSet, Resolved};
use crate::error::ProviderError;
use crate::function::{FunctionDeployment, FunctionStatus};
use crate::info::{ProviderInfo, VersionInfo};
use crate::logs::{LogMessage, LogRequest};
use crate::name::{FunctionRef, DEFAULT_NAMESPACE};
use crate::namespace::NamespaceRequest;
use crate::provider::{BoxFuture, DeployOutcome, LogStream, Provider};
use crate::secret::{Secret, SecretDescription};
use crate::timeout::function_timeout;

/// An in-memory provider. Each function's "replicas" are the addresses given with
/// [`FakeProvider::set_backend`]: while the desired replicas are above zero, invocations go there.
#[derive(Debug)]
pub struct FakeProvider {
    state: Mutex<State>,
    log_tx: broadcast::Sender<LogMessage>,
}

#[derive(Debug, Default)]
struct State {
    functions: BTreeMap<FunctionRef, Entry>,
    secrets: BTreeMap<(String, String), Vec<u8>>,
    namespaces: BTreeMap<String, NamespaceRequest>,
    logs: Vec<LogMessage>,
    calls: Vec<String>,
    healthy: bool,
    deploy_warnings: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    deployment: FunctionDeployment,
    created_at: Timestamp,
    replicas: u64,
    backend: Vec<SocketAddr>,
    endpoints: Arc<EndpointSet>,
}

impl Entry {
    fn refresh(&mut self) {
        let ready = if self.replicas == 0 {
            Vec::new()
        } else {
            self.backend.clone()
        };
        self.endpoints = Arc::new(EndpointSet::new(ready));
    }
}

impl Default for FakeProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeProvider {
    /// An empty provider with the namespace `openfaas-fn`.
    pub fn new() -> Self {
        let mut namespaces = BTreeMap::new();
        namespaces.insert(
            DEFAULT_NAMESPACE.to_owned(),
            NamespaceRequest {
                name: DEFAULT_NAMESPACE.to_owned(),
                ..Default::default()
            }
            .with_marker(),
        );
        Self {
            state: Mutex::new(State {
                namespaces,
                healthy: true,
                ..Default::default()
            }),
            log_tx: broadcast::channel(1024).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Says where `function`'s replicas listen. Takes effect while its replicas are above zero.
    pub fn set_backend(&self, function: &FunctionRef, addrs: Vec<SocketAddr>) {
        if let Some(e) = self.lock().functions.get_mut(function) {
            e.backend = addrs;
            e.refresh();
        }
    }

    /// Makes [`Provider::health`] fail (or succeed again).
    pub fn set_healthy(&self, healthy: bool) {
        self.lock().healthy = healthy;
    }

    /// Warnings every later successful deploy and update reports (as a provider that fell
    /// back to a local image would).
    pub fn set_deploy_warnings(&self, warnings: Vec<String>) {
        self.lock().deploy_warnings = warnings;
    }

    /// Adds a log line, sent to followers too.
    pub fn push_log(&self, line: LogMessage) {
        self.lock().logs.push(line.clone());
        let _ = self.log_tx.send(line);
    }

    /// The operations called so far, e.g. `deploy echo.openfaas-fn`, for assertions.
    pub fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// The stored bytes of a secret.
    pub fn secret_value(&self, namespace: &str, name: &str) -> Option<Vec<u8>> {
        self.lock()
            .secrets
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    fn record(&self, call: String) {
        self.lock().calls.push(call);
    }

    fn status(entry: &Entry) -> FunctionStatus {
        let mut s = FunctionStatus::from_deployment(&entry.deployment, entry.created_at);
        s.replicas = entry.replicas;
        s.available_replicas = entry.endpoints.len() as u64;
        s
    }

    fn check_namespace(state: &State, ns: &str) -> Result<(), ProviderError> {
        if state.namespaces.contains_key(ns) {
            Ok(())
        } else {
            Err(ProviderError::invalid(format!(
                "namespace {ns} is not valid"
            )))
        }
    }

    fn check_secrets(state: &State, d: &FunctionDeployment) -> Result<(), ProviderError> {
        let ns = d.namespace_or_default();
        for s in &d.secrets {
            if !state.secrets.contains_key(&(ns.to_owned(), s.clone())) {
                return Err(ProviderError::invalid(format!(
                    "secret {s} not found in namespace {ns}: create it first"
                )));
            }
        }
        Ok(())
    }
}

fn ready<T: Send + 'static>(value: T) -> BoxFuture<'static, T> {
    Box::pin(std::future::ready(value))
}

impl Provider for FakeProvider {
    fn info(&self) -> ProviderInfo {
        ProviderInfo {
            provider: "fake".to_owned(),
            orchestration: "memory".to_owned(),
            version: VersionInfo {
                commit_message: None,
                sha: "0000000".to_owned(),
                release: "0.0.0".to_owned(),
            },
        }
    }

    fn health(&self) -> BoxFuture<'_, Result<(), ProviderError>> {
        let healthy = self.lock().healthy;
        ready(if healthy {
            Ok(())
        } else {
            Err(ProviderError::Unavailable {
                message: "fake backend marked unhealthy".to_owned(),
                source: None,
            })
        })
    }

    fn deploy(&self, d: FunctionDeployment) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>> {
        let f = d.function_ref();
        self.record(format!("deploy {f}"));
        let mut state = self.lock();
        let result = (|| {
            Self::check_namespace(&state, &f.namespace)?;
            Self::check_secrets(&state, &d)?;
            if state.functions.contains_key(&f) {
                return Err(ProviderError::already_exists(format!(
                    "function {f} already exists"
                )));
            }
            let replicas = u64::from(d.min_replicas()?);
            let mut entry = Entry {
                deployment: d,
                created_at: Timestamp::now(),
                replicas,
                backend: Vec::new(),
                endpoints: Arc::default(),
            };
            entry.refresh();
            state.functions.insert(f, entry);
            Ok(DeployOutcome {
                warnings: state.deploy_warnings.clone(),
            })
        })();
        ready(result)
    }

    fn update(&self, d: FunctionDeployment) -> BoxFuture<'_, Result<DeployOutcome, ProviderError>> {
        let f = d.function_ref();
        self.record(format!("update {f}"));
        let mut state = self.lock();
        let result = (|| {
            Self::check_secrets(&state, &d)?;
            let entry = state
                .functions
                .get_mut(&f)
                .ok_or_else(|| ProviderError::not_found(format!("function {f} not found")))?;
            entry.deployment = d;
            Ok(DeployOutcome {
                warnings: state.deploy_warnings.clone(),
            })
        })();
        ready(result)
    }

    fn delete(&self, f: FunctionRef) -> BoxFuture<'_, Result<(), ProviderError>> {
        self.record(format!("delete {f}"));
        let removed = self.lock().functions.remove(&f);
        ready(match removed {
            Some(_) => Ok(()),
            None => Err(ProviderError::not_found(format!("function {f} not found"))),
        })
    }

    fn list(&self, ns: String) -> BoxFuture<'_, Result<Vec<FunctionStatus>, ProviderError>> {
        let state = self.lock();
        let result = Self::check_namespace(&state, &ns).map(|()| {
            state
                .functions
                .iter()
                .filter(|(f, _)| f.namespace == ns)
                .map(|(_, e)| Self::status(e))
                .collect()
        });
        ready(result)
    }

    fn get(
        &self,
        f: FunctionRef,
        _usage: bool,
    ) -> BoxFuture<'_, Result<FunctionStatus, ProviderError>> {
        let state = self.lock();
        ready(
            state
                .functions
                .get(&f)
                .map(Self::status)
                .ok_or_else(|| ProviderError::not_found(format!("function {f} not found"))),
        )
    }

    fn scale(&self, f: FunctionRef, replicas: u64) -> BoxFuture<'_, Result<(), ProviderError>> {
        self.record(format!("scale {f} {replicas}"));
        let mut state = self.lock();
        let result = (|| {
            let entry = state
                .functions
                .get_mut(&f)
                .ok_or_else(|| ProviderError::not_found(format!("function {f} not found")))?;
            if let Some(max) = entry.deployment.max_replicas()? {
                if replicas > u64::from(max) {
                    return Err(ProviderError::invalid(format!(
                        "cannot scale {f} to {replicas}: com.openfaas.scale.max is {max}"
                    )));
                }
            }
            entry.replicas = replicas;
            entry.refresh();
            Ok(())
        })();
        ready(result)
    }

    fn resolve(&self, f: &FunctionRef) -> Result<Resolved, ProviderError> {
        let state = self.lock();
        let e = state
            .functions
            .get(f)
            .ok_or_else(|| ProviderError::not_found(format!("function {f} not found")))?;
        Ok(Resolved {
            endpoints: Arc::clone(&e.endpoints),
            replicas: e.replicas,
            min_replicas: u64::from(e.deployment.min_replicas().unwrap_or(1).max(1)),
            timeout: function_timeout(&e.deployment.effective_env()),
        })
    }

    fn list_secrets(
        &self,
        ns: String,
    ) -> BoxFuture<'_, Result<Vec<SecretDescription>, ProviderError>> {
        let state = self.lock();
        let result = Self::check_namespace(&state, &ns).map(|()| {
            state
                .secrets
                .keys()
                .filter(|(n, _)| *n == ns)
                .map(|(n, name)| SecretDescription {
                    name: name.clone(),
                    namespace: n.clone(),
                })
                .collect()
        });
        ready(result)
    }

    fn create_secret(&self, s: Secret) -> BoxFuture<'_, Result<(), ProviderError>> {
        let mut state = self.lock();
        let result = (|| {
            let ns = s.namespace_or_default().to_owned();
            Self::check_namespace(&state, &ns)?;
            let key = (ns, s.name.clone());
            if state.secrets.contains_key(&key) {
                return Err(ProviderError::already_exists(format!(
                    "secret with the name {:?} already exists",
                    s.name
                )));
            }
            state.secrets.insert(key, s.bytes()?);
            Ok(())
        })();
        ready(result)
    }

    fn update_secret(&self, s: Secret) -> BoxFuture<'_, Result<(), ProviderError>> {
        let mut state = self.lock();
        let result = (|| {
            let key = (s.namespace_or_default().to_owned(), s.name.clone());
            if !state.secrets.contains_key(&key) {
                return Err(ProviderError::not_found(format!(
                    "unable to find secret: {}",
                    s.name
                )));
            }
            state.secrets.insert(key, s.bytes()?);
            Ok(())
        })();
        ready(result)
    }

    fn delete_secret(&self, ns: String, name: String) -> BoxFuture<'_, Result<(), ProviderError>> {
        let removed = self.lock().secrets.remove(&(ns, name.clone()));
        ready(match removed {
            Some(_) => Ok(()),
            None => Err(ProviderError::not_found(format!(
                "unable to find secret: {name}"
            ))),
        })
    }

    fn logs(&self, req: LogRequest) -> BoxFuture<'_, Result<LogStream, ProviderError>> {
        let state = self.lock();
        let f = FunctionRef::new(req.name.clone(), Some(&req.namespace));
        if !state.functions.contains_key(&f) {
            return ready(Err(ProviderError::not_found(format!(
                "function {f} not found"
            ))));
        }
        let matches = move |m: &LogMessage| {
            m.name == req.name
                && m.namespace == req.namespace
                && req.instance.as_ref().is_none_or(|i| *i == m.instance)
                && req.since.is_none_or(|t| m.timestamp >= t)
        };
        let mut past: Vec<LogMessage> = state.logs.iter().filter(|m| matches(m)).cloned().collect();
        if let Some(n) = req.tail {
            past.drain(..past.len().saturating_sub(n));
        }
        let rx = req.follow.then(|| self.log_tx.subscribe());
        let stream = futures_util::stream::unfold(
            (past.into_iter(), rx, matches),
            |(mut past, rx, matches)| async move {
                if let Some(m) = past.next() {
                    return Some((Ok(m), (past, rx, matches)));
                }
                let mut rx = rx?;
                loop {
                    match rx.recv().await {
                        Ok(m) if matches(&m) => return Some((Ok(m), (past, Some(rx), matches))),
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        );
        ready(Ok(Box::pin(stream) as LogStream))
    }

    fn list_namespaces(&self) -> BoxFuture<'_, Result<Vec<String>, ProviderError>> {
        ready(Ok(self.lock().namespaces.keys().cloned().collect()))
    }

    fn get_namespace(
        &self,
        name: String,
    ) -> BoxFuture<'_, Result<NamespaceRequest, ProviderError>> {
        ready(
            self.lock()
                .namespaces
                .get(&name)
                .cloned()
                .ok_or_else(|| ProviderError::not_found(format!("namespace {name} not found"))),
        )
    }

    fn create_namespace(&self, ns: NamespaceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        let mut state = self.lock();
        ready(if state.namespaces.contains_key(&ns.name) {
            Err(ProviderError::already_exists(format!(
                "namespace {} already exists",
                ns.name
            )))
        } else {
            state.namespaces.insert(ns.name.clone(), ns.with_marker());
            Ok(())
        })
    }

    fn update_namespace(&self, ns: NamespaceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        let mut state = self.lock();
        ready(match state.namespaces.get_mut(&ns.name) {
            Some(slot) => {
                *slot = ns.with_marker();
                Ok(())
            }
            None => Err(ProviderError::not_found(format!(
                "namespace {} not found",
                ns.name
            ))),
        })
    }

    fn delete_namespace(&self, name: String) -> BoxFuture<'_, Result<(), ProviderError>> {
        let mut state = self.lock();
        let result = if !state.namespaces.contains_key(&name) {
            Err(ProviderError::not_found(format!(
                "namespace {name} not found"
            )))
        } else if state.functions.keys().any(|f| f.namespace == name) {
            Err(ProviderError::conflict(format!(
                "namespace {name} still has functions: remove them first"
            )))
        } else {
            state.namespaces.remove(&name);
            Ok(())
        };
        ready(result)
    }
}

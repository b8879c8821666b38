//! The function operations behind the provider: deploy, update (rolling), delete and scale,
//! and the per-replica steps they share (prepare the image, create a replica, probe it).

use std::collections::HashMap;
use std::sync::Arc;

use faas_core::quantity::{parse_cpu_millis, parse_memory_bytes};
use faas_core::timeout::function_timeout;
use faas_core::{DeployOutcome, FunctionDeployment, FunctionRef, FunctionStatus, Resolved};
use jiff::Timestamp;

use crate::error::{Error, Result};
use crate::image::resolve::{EnsuredImage, ImagePolicy};
use crate::provider::Inner;
use crate::readiness;
use crate::replica::{Prepared, Slot};
use crate::spec::{build_spec, resolve_user, BindMount, SpecInput, SECRETS_MOUNT_DIR};
use crate::state::{FunctionRecord, ReplicaRecord};
use crate::task::{ContainerSpec, ANNOTATION_PREFIX, LABEL_FUNCTION, LABEL_GENERATION};

/// The status of a function in the table.
pub(crate) fn status(slot: &Slot) -> FunctionStatus {
    let mut s = FunctionStatus::from_deployment(&slot.record.deployment, slot.record.created_at);
    s.replicas = slot.record.replicas;
    s.available_replicas = slot.ready.len() as u64;
    s
}

/// What `resolve` answers for a function in the table.
pub(crate) fn resolved(slot: &Slot) -> Resolved {
    let d = &slot.record.deployment;
    Resolved {
        endpoints: Arc::clone(&slot.endpoints),
        replicas: slot.record.replicas,
        min_replicas: u64::from(d.min_replicas().unwrap_or(1).max(1)),
        timeout: function_timeout(&d.effective_env()),
    }
}

impl Inner {
    /// Everything replicas of `d` need, with the image already stored (pulled only when
    /// missing): for restored functions and re-created replicas.
    pub(crate) async fn prepare(&self, d: &FunctionDeployment) -> Result<Prepared> {
        Ok(self.prepare_with(d, ImagePolicy::Local).await?.0)
    }

    /// Everything replicas of `d` need, checked before anything is created: image (its tag
    /// checked with the registry, see [`crate::image::resolve`]), secrets, user, and a spec
    /// that builds; with the warnings for the user.
    pub(crate) async fn prepare_with(
        &self,
        d: &FunctionDeployment,
        policy: ImagePolicy,
    ) -> Result<(Prepared, Vec<String>)> {
        let ns = d.namespace_or_default();
        for s in &d.secrets {
            faas_core::name::validate_secret_name(s)?;
            if !self.secrets.exists(ns, s) {
                return Err(Error::Invalid(format!(
                    "secret {s:?} not found in namespace {ns}: create it first"
                )));
            }
        }
        let EnsuredImage { image, warnings } = self.ensure_image(ns, &d.image, policy).await?;
        let process = image.config.config.clone().unwrap_or_default();
        let user_spec = process.user.clone().unwrap_or_default();
        // Only `uid:gid` needs no file; a lone uid takes its group from /etc/passwd, as Docker.
        let numbers_only =
            user_spec.contains(':') && user_spec.split(':').all(|p| p.parse::<u32>().is_ok());
        let user = if user_spec.is_empty() || numbers_only {
            resolve_user(&user_spec, None, None)?
        } else {
            let mounts = self.runner.image_mounts(ns, &image.top_chain_id).await?;
            let read = |file: &str| read_image_file(&mounts, file);
            resolve_user(
                &user_spec,
                read("etc/passwd").as_deref(),
                read("etc/group").as_deref(),
            )?
        };
        let mut mounts = vec![
            BindMount {
                source: self.shared_files.hosts.clone(),
                destination: "/etc/hosts".to_owned(),
            },
            BindMount {
                source: self.shared_files.resolv_conf.clone(),
                destination: "/etc/resolv.conf".to_owned(),
            },
        ];
        let sources =
            self.secret_mounts
                .sources(&self.secrets, ns, &d.service, user, &d.secrets)?;
        for (s, source) in d.secrets.iter().zip(sources) {
            mounts.push(BindMount {
                source,
                destination: format!("{SECRETS_MOUNT_DIR}/{s}"),
            });
        }
        let mut labels: HashMap<String, String> = d.labels.clone().into_iter().collect();
        for (k, v) in &d.annotations {
            labels.insert(format!("{ANNOTATION_PREFIX}{k}"), v.clone());
        }
        labels.insert(LABEL_FUNCTION.to_owned(), d.service.clone());
        let prepared = Prepared {
            image,
            user,
            mounts,
            labels,
        };
        build_spec_for(d, &prepared, "check", None)?;
        Ok((prepared, warnings))
    }

    /// Creates and starts replica `id` (not yet ready); with `start` false, a standby.
    pub(crate) async fn create_replica(
        &self,
        d: &FunctionDeployment,
        prepared: &Prepared,
        generation: u64,
        id: &str,
        start: bool,
    ) -> Result<ReplicaRecord> {
        let ns = d.namespace_or_default();
        let netns = self.runner.netns_path(ns, id);
        let spec = build_spec_for(d, prepared, id, Some(&netns.to_string_lossy()))?;
        let mut labels = prepared.labels.clone();
        labels.insert(LABEL_GENERATION.to_owned(), generation.to_string());
        let stdio = self.logs.attach(ns, id)?;
        let container = ContainerSpec {
            id,
            image: &prepared.image.name,
            parent_snapshot: &prepared.image.top_chain_id,
            spec: &spec,
            labels,
            stdio: &stdio,
        };
        let started = if start {
            self.runner.create(ns, &container).await
        } else {
            self.runner.create_stopped(ns, &container).await
        };
        let started = match started {
            Ok(s) => s,
            Err(e) => {
                // Nothing of the replica is left, unless the id belongs to another one.
                if !matches!(e, Error::AlreadyExists(_)) {
                    self.logs.detach(ns, id).await;
                }
                return Err(e);
            }
        };
        tracing::info!(replica = id, namespace = ns, addr = %started.addr, start, "replica created");
        let grace = crate::replica::stop_grace(&d.effective_env(), self.config.stop_grace);
        Ok(ReplicaRecord {
            stop_grace_ms: Some(u64::try_from(grace.as_millis()).unwrap_or(u64::MAX)),
            id: id.to_owned(),
            generation,
            pid: Some(started.pid),
            cni_result: Some(started.cni_result),
            addr: Some(started.addr),
        })
    }

    /// Creates and starts replicas `ids` side by side; returns those made and the first error.
    pub(crate) async fn create_replicas(
        &self,
        d: &FunctionDeployment,
        prepared: &Prepared,
        generation: u64,
        ids: &[String],
    ) -> (Vec<ReplicaRecord>, Option<Error>) {
        let results = futures_util::future::join_all(
            ids.iter()
                .map(|id| self.create_replica(d, prepared, generation, id, true)),
        )
        .await;
        let mut created = Vec::new();
        let mut failure = None;
        for r in results {
            match r {
                Ok(r) => created.push(r),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        (created, failure)
    }

    /// Removes a replica entirely.
    pub(crate) async fn destroy_replica(&self, ns: &str, r: &ReplicaRecord) {
        let grace = r.stop_grace_ms.map(std::time::Duration::from_millis);
        self.runner
            .destroy(ns, &r.id, r.cni_result.as_ref(), grace)
            .await;
        self.logs.detach(ns, &r.id).await;
    }

    /// Removes a standby replica (its process never started: no drain).
    pub(crate) async fn destroy_standby(&self, ns: &str, r: &ReplicaRecord) {
        self.runner
            .destroy_standby(ns, &r.id, r.cni_result.as_ref())
            .await;
        self.logs.detach(ns, &r.id).await;
    }

    /// Reconciles `f` in the background (after a change of its desired replicas).
    pub(crate) fn spawn_reconcile(self: &Arc<Self>, f: FunctionRef) {
        let inner = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(e) = inner.reconcile_function(&f).await {
                tracing::warn!(function = %f, error = %crate::error::error_chain(&e), "reconciling");
            }
        });
    }

    /// Probes replica `r` in the background; marks it ready in the table when it answers.
    pub(crate) fn spawn_probe(self: &Arc<Self>, f: FunctionRef, r: ReplicaRecord) {
        let Some(addr) = r.addr else { return };
        let inner = Arc::downgrade(self);
        let readiness_check = self.config.readiness.clone();
        let timeout = self.config.ready_timeout;
        tokio::spawn(async move {
            let ready = readiness::wait_ready(addr, &readiness_check, timeout).await;
            let Some(inner) = inner.upgrade() else { return };
            let mut table = inner.table();
            let Some(slot) = table.get_mut(&f) else {
                return;
            };
            let current = slot.record.replica_records.get(&r.id);
            if ready && current.is_some_and(|c| c.pid == r.pid) {
                slot.set_ready(&r.id, Some(addr));
                slot.backoff.remove(&r.id);
            } else if !ready {
                tracing::warn!(replica = %r.id, %addr, "replica did not become ready");
            }
        });
    }

    pub(crate) async fn deploy(self: Arc<Self>, d: FunctionDeployment) -> Result<DeployOutcome> {
        d.validate()?;
        let f = d.function_ref();
        self.check_namespace(&f.namespace).await?;
        let lock = self.op_lock(&f);
        let _guard = lock.lock().await;
        if self.table().contains_key(&f) {
            return Err(Error::AlreadyExists(format!("function {f} already exists")));
        }
        let result = Arc::clone(&self).deploy_new(d).await;
        if result.is_err() {
            self.secret_mounts.remove_function(&f.namespace, &f.name);
        }
        result
    }

    /// Deploys `d`, absent from the table; the caller holds its operation lock.
    async fn deploy_new(self: Arc<Self>, d: FunctionDeployment) -> Result<DeployOutcome> {
        let f = d.function_ref();
        let (prepared, warnings) = self.prepare_with(&d, ImagePolicy::Resolve).await?;
        let prepared = Arc::new(prepared);
        let desired = u64::from(d.min_replicas()?);
        let mut slot = Slot::new(
            FunctionRecord {
                deployment: d.clone(),
                created_at: Timestamp::now(),
                replicas: desired,
                generation: 1,
                replica_records: Default::default(),
                standby: None,
            },
            Some(Arc::clone(&prepared)),
        );
        let ids: Vec<String> = (0..desired)
            .map(|n| format!("{}.1-{n}", d.service))
            .collect();
        let (created, failure) = self.create_replicas(&d, &prepared, 1, &ids).await;
        if let Some(e) = failure {
            for r in &created {
                self.destroy_replica(&f.namespace, r).await;
            }
            return Err(e);
        }
        for r in &created {
            slot.record.replica_records.insert(r.id.clone(), r.clone());
        }
        if let Err(e) = self.state.save(&slot.record) {
            for r in &created {
                self.destroy_replica(&f.namespace, r).await;
            }
            return Err(e);
        }
        self.table().insert(f.clone(), slot);
        for r in created {
            self.spawn_probe(f.clone(), r);
        }
        if desired == 0 {
            self.spawn_reconcile(f.clone()); // makes the standby
        }
        tracing::info!(function = %f, replicas = desired, "deployed");
        Ok(DeployOutcome { warnings })
    }

    /// Rolling update: the new generation's replicas must be ready before the old ones go; on
    /// any failure the new ones are removed and the old version keeps serving.
    pub(crate) async fn update(self: Arc<Self>, d: FunctionDeployment) -> Result<DeployOutcome> {
        d.validate()?;
        let f = d.function_ref();
        let lock = self.op_lock(&f);
        let _guard = lock.lock().await;
        let (old, old_standby, created_at, desired, generation) = {
            let table = self.table();
            let slot = table
                .get(&f)
                .ok_or_else(|| Error::NotFound(format!("function {f} not found")))?;
            (
                slot.record.replica_records.clone(),
                slot.record.standby.clone(),
                slot.record.created_at,
                slot.record.replicas,
                slot.record.generation + 1,
            )
        };
        let (prepared, warnings) = self.prepare_with(&d, ImagePolicy::Resolve).await?;
        let prepared = Arc::new(prepared);
        let ids: Vec<String> = (0..desired)
            .map(|n| format!("{}.{generation}-{n}", d.service))
            .collect();
        let (new_records, mut failure) =
            self.create_replicas(&d, &prepared, generation, &ids).await;
        if failure.is_none() {
            let checks = new_records.iter().map(|r| {
                let addr = r.addr;
                let check = self.config.readiness.clone();
                let timeout = self.config.ready_timeout;
                async move {
                    match addr {
                        Some(a) => readiness::wait_ready(a, &check, timeout).await,
                        None => false,
                    }
                }
            });
            let results = futures_util::future::join_all(checks).await;
            if let Some(i) = results.iter().position(|ok| !ok) {
                failure = Some(Error::ReadyTimeout {
                    replica: new_records[i].id.clone(),
                    seconds: self.config.ready_timeout.as_secs(),
                });
            }
        }
        if let Some(e) = failure {
            for r in &new_records {
                self.destroy_replica(&f.namespace, r).await;
            }
            tracing::warn!(function = %f, error = %crate::error::error_chain(&e), "update rejected; the old version keeps serving");
            return Err(e);
        }
        let (d_secrets, user) = (d.secrets.clone(), prepared.user);
        // Switch: the new replicas serve, then the old ones stop.
        {
            let mut table = self.table();
            let slot = table
                .get_mut(&f)
                .ok_or_else(|| Error::NotFound(format!("function {f} not found")))?;
            slot.record = FunctionRecord {
                deployment: d,
                created_at,
                replicas: slot.record.replicas,
                generation,
                replica_records: new_records
                    .iter()
                    .map(|r| (r.id.clone(), r.clone()))
                    .collect(),
                standby: None,
            };
            slot.prepared = Some(prepared);
            slot.backoff.clear();
            for id in old.keys() {
                slot.set_ready(id, None);
            }
            for r in &new_records {
                slot.set_ready(&r.id, r.addr);
            }
        }
        self.persist(&f)?;
        let ns = f.namespace.clone();
        self.secret_mounts.prune(&ns, &f.name, user, &d_secrets);
        // The old replicas drain in the background (their function's grace, up to minutes):
        // they serve no new call, their ids are the old generation's, and a provider that dies
        // meanwhile removes them at start as unclaimed.
        let inner = Arc::clone(&self);
        let draining = ns.clone();
        tokio::spawn(async move {
            futures_util::future::join_all(
                old.values().map(|r| inner.destroy_replica(&draining, r)),
            )
            .await;
        });
        if let Some(r) = old_standby {
            self.destroy_standby(&ns, &r).await;
        }
        if desired == 0 {
            self.spawn_reconcile(f.clone()); // a standby of the new version
        }
        tracing::info!(function = %f, generation, "updated");
        Ok(DeployOutcome { warnings })
    }

    pub(crate) async fn delete(self: Arc<Self>, f: FunctionRef) -> Result<()> {
        let lock = self.op_lock(&f);
        let _guard = lock.lock().await;
        let slot = self
            .table()
            .remove(&f)
            .ok_or_else(|| Error::NotFound(format!("function {f} not found")))?;
        let ns = f.namespace.clone();
        futures_util::future::join_all(
            slot.record
                .replica_records
                .values()
                .map(|r| self.destroy_replica(&ns, r)),
        )
        .await;
        if let Some(r) = &slot.record.standby {
            self.destroy_standby(&ns, r).await;
        }
        self.persist(&f)?;
        self.logs.remove_function(&f.namespace, &f.name);
        self.usage.forget(&f.namespace, &f.name);
        self.secret_mounts.remove_function(&f.namespace, &f.name);
        tracing::info!(function = %f, "deleted");
        Ok(())
    }

    pub(crate) async fn scale(self: Arc<Self>, f: FunctionRef, replicas: u64) -> Result<()> {
        {
            let mut table = self.table();
            let slot = table
                .get_mut(&f)
                .ok_or_else(|| Error::NotFound(format!("function {f} not found")))?;
            if let Some(max) = slot.record.deployment.max_replicas()? {
                if replicas > u64::from(max) {
                    return Err(Error::Invalid(format!(
                        "cannot scale {f} to {replicas}: com.openfaas.scale.max is {max}"
                    )));
                }
            }
            if slot.record.replicas == replicas {
                return Ok(());
            }
            slot.record.replicas = replicas;
        }
        self.persist(&f)?;
        self.spawn_reconcile(f);
        Ok(())
    }
}

fn build_spec_for(
    d: &FunctionDeployment,
    p: &Prepared,
    id: &str,
    network_namespace: Option<&str>,
) -> Result<serde_json::Value> {
    let limits = d.limits.as_ref();
    let memory_limit = limits
        .and_then(|l| l.memory.as_deref())
        .map(parse_memory_bytes)
        .transpose()?;
    let cpu_millis = limits
        .and_then(|l| l.cpu.as_deref())
        .map(parse_cpu_millis)
        .transpose()?;
    let process = p.image.config.config.clone().unwrap_or_default();
    build_spec(&SpecInput {
        namespace: d.namespace_or_default(),
        container_id: id,
        hostname: &d.service,
        image: &process,
        env: &d.effective_env(),
        user: p.user,
        memory_limit,
        cpu_millis,
        read_only_root: d.read_only_root_filesystem,
        mounts: &p.mounts,
        network_namespace,
    })
}

/// A file of an image read straight from its snapshot's directories on this host (overlay
/// `lowerdir`s top first, or a bind mount's source).
fn read_image_file(mounts: &[containerd_client::types::Mount], file: &str) -> Option<String> {
    let dirs: Vec<String> = mounts
        .iter()
        .flat_map(|m| {
            if m.r#type == "bind" {
                vec![m.source.clone()]
            } else {
                m.options
                    .iter()
                    .filter_map(|o| {
                        o.strip_prefix("lowerdir=")
                            .or_else(|| o.strip_prefix("upperdir="))
                    })
                    .flat_map(|l| l.split(':').map(str::to_owned).collect::<Vec<_>>())
                    .collect()
            }
        })
        .collect();
    dirs.iter()
        .find_map(|d| std::fs::read_to_string(std::path::Path::new(d).join(file)).ok())
}

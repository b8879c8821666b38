//! Bringing the running tasks in line with the desired state: at start (adopt running replicas
//! of persisted functions, remove strays) and then every `reconcile_interval` (restart crashed
//! replicas with back-off, create missing ones, remove extras). Task exits are found by listing
//! tasks, one call per namespace and round.

use std::collections::HashSet;
use std::sync::{Arc, Weak};

use faas_core::FunctionRef;
use tokio::time::Instant;

use crate::error::Result;
use crate::provider::Inner;
use crate::replica::{Backoff, Slot};
use crate::state::ReplicaRecord;

/// Runs the reconciler until the provider is dropped.
pub(crate) fn spawn_loop(inner: Weak<Inner>) {
    tokio::spawn(async move {
        loop {
            let interval = match inner.upgrade() {
                Some(i) => i.config.reconcile_interval,
                None => return,
            };
            tokio::time::sleep(interval).await;
            let Some(inner) = inner.upgrade() else { return };
            let functions: Vec<FunctionRef> = inner.table().keys().cloned().collect();
            for f in functions {
                // A function being deployed, updated or deleted is left to that operation.
                let lock = inner.op_lock(&f);
                let Ok(_guard) = lock.try_lock() else {
                    continue;
                };
                if let Err(e) = inner.reconcile_locked(&f).await {
                    tracing::warn!(function = %f, error = %crate::error::error_chain(&e), "reconciling");
                }
            }
        }
    });
}

impl Inner {
    /// Reconciles one function now, waiting for other operations on it.
    pub(crate) async fn reconcile_function(self: &Arc<Self>, f: &FunctionRef) -> Result<()> {
        let lock = self.op_lock(f);
        let _guard = lock.lock().await;
        self.reconcile_locked(f).await
    }

    /// Reconciles one function; the caller holds its operation lock.
    async fn reconcile_locked(self: &Arc<Self>, f: &FunctionRef) -> Result<()> {
        let tasks = self.runner.tasks(&f.namespace).await?;
        let Some((record, prepared)) = self
            .table()
            .get(f)
            .map(|s| (s.record.clone(), s.prepared.clone()))
        else {
            return Ok(());
        };
        let prepared = match prepared {
            Some(p) => p,
            None => {
                let p = Arc::new(self.prepare(&record.deployment).await?);
                if let Some(s) = self.table().get_mut(f) {
                    s.prepared = Some(Arc::clone(&p));
                }
                p
            }
        };
        let ns = f.namespace.as_str();

        // A standby whose task is gone, started behind our back or of an older version goes.
        if let Some(sb) = &record.standby {
            let usable = sb.generation == record.generation
                && tasks
                    .get(&sb.id)
                    .is_some_and(|t| t.created && Some(t.pid) == sb.pid);
            if !usable {
                self.drop_standby(f).await?;
            }
        }

        // Crashed replicas: free their network and task, restart after the back-off.
        for r in record.replica_records.values() {
            let alive = tasks
                .get(&r.id)
                .is_some_and(|t| t.running && Some(t.pid) == r.pid);
            if alive {
                continue;
            }
            let due = {
                let mut table = self.table();
                let Some(slot) = table.get_mut(f) else {
                    return Ok(());
                };
                slot.set_ready(&r.id, None);
                slot.backoff
                    .get(&r.id)
                    .is_none_or(|b| Instant::now() >= b.next)
            };
            if !due {
                continue;
            }
            if r.pid.is_some() {
                tracing::warn!(replica = %r.id, "replica exited; restarting");
                self.runner
                    .stop_task(ns, &r.id, r.cni_result.as_ref(), None)
                    .await;
            }
            let restarted = match self.logs.attach(ns, &r.id) {
                Ok(stdio) => self.runner.restart(ns, &r.id, &stdio).await,
                Err(e) => Err(e),
            };
            let mut table = self.table();
            let Some(slot) = table.get_mut(f) else {
                return Ok(());
            };
            let attempts = slot.backoff.get(&r.id).map_or(0, |b| b.attempts + 1);
            slot.backoff.insert(
                r.id.clone(),
                Backoff {
                    attempts,
                    next: Instant::now() + Backoff::delay(attempts),
                },
            );
            let updated = match restarted {
                Ok(t) => ReplicaRecord {
                    pid: Some(t.pid),
                    cni_result: Some(t.cni_result),
                    addr: Some(t.addr),
                    ..r.clone()
                },
                Err(e) => {
                    tracing::warn!(replica = %r.id, error = %crate::error::error_chain(&e), "restarting replica");
                    ReplicaRecord {
                        pid: None,
                        cni_result: None,
                        addr: None,
                        ..r.clone()
                    }
                }
            };
            slot.record
                .replica_records
                .insert(r.id.clone(), updated.clone());
            drop(table);
            self.persist(f)?;
            if updated.pid.is_some() {
                self.spawn_probe(f.clone(), updated);
            }
        }

        // Count: create missing replicas, remove extras (not-ready ones first, newest first).
        loop {
            let (have, want, generation, victim) = {
                let table = self.table();
                let Some(slot) = table.get(f) else {
                    return Ok(());
                };
                let victim = pick_victim(slot);
                (
                    slot.record.replica_records.len() as u64,
                    slot.record.replicas,
                    slot.record.generation,
                    victim,
                )
            };
            if have < want {
                if self.start_standby(f).await? {
                    continue;
                }
                // The missing replicas, created side by side.
                let ids = self
                    .table()
                    .get(f)
                    .map(|s| s.next_replica_ids(generation, (want - have) as usize))
                    .unwrap_or_default();
                let (made, failure) = self
                    .create_replicas(&record.deployment, &prepared, generation, &ids)
                    .await;
                if let Some(slot) = self.table().get_mut(f) {
                    for r in &made {
                        slot.record.replica_records.insert(r.id.clone(), r.clone());
                    }
                }
                self.persist(f)?;
                for r in made {
                    self.spawn_probe(f.clone(), r);
                }
                if let Some(e) = failure {
                    return Err(e);
                }
            } else if have > want {
                let Some(r) = victim else { break };
                if let Some(slot) = self.table().get_mut(f) {
                    slot.set_ready(&r.id, None);
                    slot.record.replica_records.remove(&r.id);
                    slot.backoff.remove(&r.id);
                }
                self.persist(f)?;
                self.destroy_replica(ns, &r).await;
            } else {
                break;
            }
        }

        // A function at zero keeps one standby; a function with replicas none.
        let (want, has_standby, next_id, generation) = {
            let table = self.table();
            let Some(slot) = table.get(f) else {
                return Ok(());
            };
            (
                slot.record.replicas,
                slot.record.standby.is_some(),
                slot.next_replica_id(slot.record.generation),
                slot.record.generation,
            )
        };
        if want > 0 && has_standby {
            self.drop_standby(f).await?;
        } else if want == 0 && !has_standby && self.config.standby {
            let r = self
                .create_replica(&record.deployment, &prepared, generation, &next_id, false)
                .await?;
            if let Some(slot) = self.table().get_mut(f) {
                slot.record.standby = Some(r);
            }
            self.persist(f)?;
        }
        Ok(())
    }

    /// Starts `f`'s standby as a replica; `false` when there is none or it failed to start
    /// (then it is removed and the caller creates a replica anew).
    async fn start_standby(self: &Arc<Self>, f: &FunctionRef) -> Result<bool> {
        let Some(r) = self
            .table()
            .get_mut(f)
            .and_then(|s| s.record.standby.take())
        else {
            return Ok(false);
        };
        match self.runner.start(&f.namespace, &r.id).await {
            Ok(()) => {
                if let Some(slot) = self.table().get_mut(f) {
                    slot.record.replica_records.insert(r.id.clone(), r.clone());
                }
                self.persist(f)?;
                tracing::info!(replica = %r.id, "standby started");
                self.spawn_probe(f.clone(), r);
                Ok(true)
            }
            Err(e) => {
                tracing::warn!(replica = %r.id, error = %crate::error::error_chain(&e), "starting the standby; creating a replica instead");
                self.persist(f)?;
                self.destroy_standby(&f.namespace, &r).await;
                Ok(false)
            }
        }
    }

    /// Removes `f`'s standby, if any.
    async fn drop_standby(self: &Arc<Self>, f: &FunctionRef) -> Result<()> {
        let Some(r) = self
            .table()
            .get_mut(f)
            .and_then(|s| s.record.standby.take())
        else {
            return Ok(());
        };
        self.persist(f)?;
        self.destroy_standby(&f.namespace, &r).await;
        Ok(())
    }

    /// At start: load persisted functions, adopt their running replicas, and remove containers
    /// of OpenFaaS namespaces that no record claims.
    pub(crate) async fn restore(self: &Arc<Self>) {
        let records = self.state.load_all();
        let mut claimed: HashSet<(String, String)> = HashSet::new();
        let mut namespaces: HashSet<String> = HashSet::new();
        for record in records {
            let f = record.deployment.function_ref();
            namespaces.insert(f.namespace.clone());
            for id in record.replica_records.keys() {
                claimed.insert((f.namespace.clone(), id.clone()));
            }
            if let Some(sb) = &record.standby {
                claimed.insert((f.namespace.clone(), sb.id.clone()));
            }
            let prepared = match self.prepare(&record.deployment).await {
                Ok(p) => Some(Arc::new(p)),
                Err(e) => {
                    tracing::warn!(function = %f, error = %crate::error::error_chain(&e), "preparing a restored function; will retry");
                    None
                }
            };
            let tasks = self.runner.tasks(&f.namespace).await.unwrap_or_default();
            let existing: HashSet<String> = self
                .runner
                .function_containers(&f.namespace)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let mut slot = Slot::new(record.clone(), prepared);
            let mut adopted = Vec::new();
            for r in record.replica_records.values() {
                if !existing.contains(&r.id) {
                    // The container is gone (removed by hand): release its address.
                    self.runner
                        .stop_task(&f.namespace, &r.id, r.cni_result.as_ref(), None)
                        .await;
                    self.logs.detach(&f.namespace, &r.id).await;
                    slot.record.replica_records.remove(&r.id);
                    continue;
                }
                if tasks
                    .get(&r.id)
                    .is_some_and(|t| t.running && Some(t.pid) == r.pid)
                {
                    // Its output waited in the pipes: read on.
                    if let Err(e) = self.logs.attach(&f.namespace, &r.id) {
                        tracing::warn!(replica = %r.id, error = %crate::error::error_chain(&e), "reopening the log pipes");
                    }
                    adopted.push(r.clone());
                }
            }
            if let Some(sb) = &record.standby {
                let parked = tasks
                    .get(&sb.id)
                    .is_some_and(|t| t.created && Some(t.pid) == sb.pid);
                if !parked {
                    // Gone with containerd or the machine: made again by the reconciler.
                    slot.record.standby = None;
                    self.destroy_standby(&f.namespace, sb).await;
                } else if let Err(e) = self.logs.attach(&f.namespace, &sb.id) {
                    tracing::warn!(replica = %sb.id, error = %crate::error::error_chain(&e), "reopening the log pipes");
                }
            }
            tracing::info!(function = %f, adopted = adopted.len(), desired = record.replicas, "restored");
            self.table().insert(f.clone(), slot);
            let _ = self.persist(&f);
            for r in adopted {
                self.spawn_probe(f.clone(), r);
            }
        }
        if let Ok(list) = self.namespaces.list().await {
            namespaces.extend(list.into_iter().map(|(n, _)| n));
        }
        for ns in namespaces {
            let Ok(containers) = self.runner.function_containers(&ns).await else {
                continue;
            };
            for (id, function) in containers {
                if claimed.contains(&(ns.clone(), id.clone())) {
                    continue;
                }
                tracing::warn!(namespace = %ns, replica = %id, %function, "removing a replica no record claims");
                self.runner.destroy(&ns, &id, None, None).await;
                self.logs.detach(&ns, &id).await;
            }
        }
    }
}

/// The replica to remove when scaling down: a not-ready one if any, else the newest id.
fn pick_victim(slot: &Slot) -> Option<ReplicaRecord> {
    let records = &slot.record.replica_records;
    records
        .values()
        .rev()
        .find(|r| !slot.ready.contains_key(&r.id))
        .or_else(|| records.values().next_back())
        .cloned()
}

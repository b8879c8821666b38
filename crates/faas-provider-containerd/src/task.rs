//! One replica's containerd objects: snapshot, container and task, joined to the CNI network
//! (docs/containerd.md §9.4). Creation rolls back whatever it made when a later step fails; teardown
//! is SIGTERM, grace, SIGKILL, wait, then CNI DEL and deletes (§5).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use containerd_client::services::v1::container::Runtime;
use containerd_client::services::v1::snapshots::{
    MountsRequest, PrepareSnapshotRequest, RemoveSnapshotRequest,
};
use containerd_client::services::v1::{
    Container, CreateContainerRequest, CreateTaskRequest, DeleteContainerRequest,
    DeleteTaskRequest, KillRequest, ListContainersRequest, ListTasksRequest, StartRequest,
    WaitRequest,
};
use containerd_client::tonic::Code;
use containerd_client::types::Mount;
use serde_json::Value;

use crate::client::{in_namespace, with_lease, Containerd};
use crate::cni::Cni;
use crate::error::{Error, Result};

/// Container label: the function a replica belongs to.
pub const LABEL_FUNCTION: &str = "com.openfaas.internal.function";
/// Container label: the deployment generation a replica runs.
pub const LABEL_GENERATION: &str = "com.openfaas.internal.generation";
/// Container label prefix carrying the function's annotations.
pub const ANNOTATION_PREFIX: &str = "com.openfaas.annotations.";

const SPEC_TYPE_URL: &str = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
const RUNTIME: &str = "io.containerd.runc.v2";

/// A task's state as the reconciler needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskState {
    /// The task's pid.
    pub pid: u32,
    /// Whether it is running (or paused), as opposed to created or stopped.
    pub running: bool,
    /// Whether it is created and not yet started (a standby replica).
    pub created: bool,
}

/// A replica's task on the network: created, and started unless it is a standby.
#[derive(Debug, Clone)]
pub struct ReplicaTask {
    /// Its pid.
    pub pid: u32,
    /// The CNI ADD result.
    pub cni_result: Value,
    /// Where it listens.
    pub addr: SocketAddr,
}

/// What a new replica container is made of.
#[derive(Debug, Clone)]
pub struct ContainerSpec<'a> {
    /// Container id.
    pub id: &'a str,
    /// The image name.
    pub image: &'a str,
    /// The snapshot parent (the image's top chain ID).
    pub parent_snapshot: &'a str,
    /// The OCI spec JSON.
    pub spec: &'a Value,
    /// Container labels.
    pub labels: HashMap<String, String>,
    /// The FIFOs stdout and stderr go to.
    pub stdio: &'a crate::logs::Stdio,
}

/// Creates, starts, stops and deletes replicas in one containerd.
#[derive(Debug, Clone)]
pub struct TaskRunner {
    client: Containerd,
    cni: Cni,
    netns_dir: PathBuf,
    snapshotter: String,
    port: u16,
    grace: Duration,
}

impl TaskRunner {
    /// A runner on `client`, joining replicas to `cni` through network namespaces pinned
    /// under `netns_dir`.
    pub fn new(
        client: Containerd,
        cni: Cni,
        netns_dir: PathBuf,
        snapshotter: String,
        port: u16,
        grace: Duration,
    ) -> Self {
        Self {
            client,
            cni,
            netns_dir,
            snapshotter,
            port,
            grace,
        }
    }

    /// The mounts a snapshot `parent` would give, for reading files of the image (its users):
    /// a temporary view is prepared and removed.
    pub async fn image_mounts(&self, ns: &str, parent: &str) -> Result<Vec<Mount>> {
        let key = format!("faas-view-{}", crate::image::store::unique());
        let mounts = self
            .client
            .snapshots()
            .view(in_namespace(
                ns,
                containerd_client::services::v1::snapshots::ViewSnapshotRequest {
                    snapshotter: self.snapshotter.clone(),
                    key: key.clone(),
                    parent: parent.to_owned(),
                    labels: HashMap::new(),
                },
            ))
            .await
            .map_err(|s| Error::containerd("viewing the image", s))?
            .into_inner()
            .mounts;
        self.remove_snapshot(ns, &key).await;
        Ok(mounts)
    }

    /// Creates the snapshot, container and task of a replica and starts it on the network.
    /// On failure, nothing of it is left.
    pub async fn create(&self, ns: &str, c: &ContainerSpec<'_>) -> Result<ReplicaTask> {
        let task = self.create_stopped(ns, c).await?;
        if let Err(e) = self.start(ns, c.id).await {
            self.destroy(ns, c.id, Some(&task.cni_result), Some(Duration::ZERO))
                .await;
            return Err(e);
        }
        Ok(task)
    }

    /// Creates the snapshot, container and task of a replica on the network without starting
    /// its process: a standby that [`TaskRunner::start`] turns into a running replica in
    /// milliseconds. The network namespace is made first and wired by CNI while containerd
    /// creates the task in it. On failure, nothing of it is left.
    pub async fn create_stopped(&self, ns: &str, c: &ContainerSpec<'_>) -> Result<ReplicaTask> {
        let netns = self.netns_path(ns, c.id);
        pin_netns(&netns).await?;
        let containerd = async {
            // The snapshot is collectable until the container refers to it: a collection run
            // set off by another replica's removal must not take it in between.
            let lease = self
                .client
                .create_lease(ns, "faas-replica", Duration::from_secs(600))
                .await?;
            let created = self.create_container(ns, c, &lease).await;
            self.client.delete_lease(ns, &lease).await;
            let mounts = created?;
            match self.create_task(ns, c.id, mounts, c.stdio).await {
                Ok(pid) => Ok(pid),
                Err(e) => {
                    self.delete_container(ns, c.id).await;
                    Err(e)
                }
            }
        };
        let (network, task) = tokio::join!(self.cni.add(c.id, &netns, self.port), containerd);
        self.joined(ns, c.id, &netns, network, task, true).await
    }

    /// Prepares the snapshot of `c` and creates its container, inside `lease`; returns the
    /// snapshot's mounts. On failure neither is left.
    async fn create_container(
        &self,
        ns: &str,
        c: &ContainerSpec<'_>,
        lease: &str,
    ) -> Result<Vec<Mount>> {
        let mounts = self
            .client
            .snapshots()
            .prepare(with_lease(
                ns,
                Some(lease),
                PrepareSnapshotRequest {
                    snapshotter: self.snapshotter.clone(),
                    key: c.id.to_owned(),
                    parent: c.parent_snapshot.to_owned(),
                    labels: HashMap::new(),
                },
            ))
            .await
            .map_err(|s| match s.code() {
                Code::AlreadyExists => {
                    Error::AlreadyExists(format!("replica {} already exists", c.id))
                }
                _ => Error::containerd(format!("preparing the snapshot of {}", c.id), s),
            })?
            .into_inner()
            .mounts;
        if let Err(s) = self
            .client
            .containers()
            .create(with_lease(
                ns,
                Some(lease),
                CreateContainerRequest {
                    container: Some(container_of(c, &self.snapshotter)),
                },
            ))
            .await
        {
            self.remove_snapshot(ns, c.id).await;
            return Err(Error::containerd(format!("creating container {}", c.id), s));
        }
        Ok(mounts)
    }

    /// Starts a new task on an existing container (a restart after a crash), in a new
    /// network namespace.
    pub async fn restart(
        &self,
        ns: &str,
        id: &str,
        stdio: &crate::logs::Stdio,
    ) -> Result<ReplicaTask> {
        self.delete_task(ns, id).await;
        let netns = self.netns_path(ns, id);
        pin_netns(&netns).await?;
        let containerd = async {
            let mounts = self
                .client
                .snapshots()
                .mounts(in_namespace(
                    ns,
                    MountsRequest {
                        snapshotter: self.snapshotter.clone(),
                        key: id.to_owned(),
                    },
                ))
                .await
                .map_err(|s| Error::containerd(format!("mounts of {id}"), s))?
                .into_inner()
                .mounts;
            self.create_task(ns, id, mounts, stdio).await
        };
        let (network, task) = tokio::join!(self.cni.add(id, &netns, self.port), containerd);
        let task = self.joined(ns, id, &netns, network, task, false).await?;
        if let Err(e) = self.start(ns, id).await {
            self.stop_task(ns, id, Some(&task.cni_result), Some(Duration::ZERO))
                .await;
            return Err(e);
        }
        Ok(task)
    }

    /// The outcome of CNI ADD and task creation run side by side: the task on the network, or
    /// the error of either with what the other made undone (the container too when `fresh`).
    async fn joined(
        &self,
        ns: &str,
        id: &str,
        netns: &Path,
        network: Result<(Value, SocketAddr)>,
        task: Result<u32>,
        fresh: bool,
    ) -> Result<ReplicaTask> {
        match (network, task) {
            (Ok((cni_result, addr)), Ok(pid)) => Ok(ReplicaTask {
                pid,
                cni_result,
                addr,
            }),
            (network, task) => {
                let cni_result = network.as_ref().ok().map(|(r, _)| r.clone());
                if network.is_ok() {
                    self.cni.del(id, netns, cni_result.as_ref()).await;
                }
                if task.is_ok() {
                    self.kill_and_delete_task_now(ns, id, Duration::ZERO).await;
                    if fresh {
                        self.delete_container(ns, id).await;
                    }
                }
                crate::netns::remove(netns);
                Err(match (network, task) {
                    (Err(e), _) | (_, Err(e)) => e,
                    _ => unreachable!("one of them failed"),
                })
            }
        }
    }

    /// Starts the process of a created task.
    pub async fn start(&self, ns: &str, id: &str) -> Result<()> {
        self.client
            .tasks()
            .start(in_namespace(
                ns,
                StartRequest {
                    container_id: id.to_owned(),
                    exec_id: String::new(),
                },
            ))
            .await
            .map_err(|s| Error::containerd(format!("starting the task of {id}"), s))?;
        Ok(())
    }

    /// Creates the task of container `id`, not started, its output going to the FIFOs
    /// `stdio`; returns its pid.
    async fn create_task(
        &self,
        ns: &str,
        id: &str,
        rootfs: Vec<Mount>,
        stdio: &crate::logs::Stdio,
    ) -> Result<u32> {
        let pid = self
            .client
            .tasks()
            .create(in_namespace(
                ns,
                CreateTaskRequest {
                    container_id: id.to_owned(),
                    rootfs,
                    stdin: String::new(),
                    stdout: stdio.stdout.to_string_lossy().into_owned(),
                    stderr: stdio.stderr.to_string_lossy().into_owned(),
                    terminal: false,
                    checkpoint: None,
                    options: None,
                    runtime_path: String::new(),
                },
            ))
            .await
            .map_err(|s| Error::containerd(format!("creating the task of {id}"), s))?
            .into_inner()
            .pid;
        Ok(pid)
    }

    /// Where the network namespace of replica `id` of `ns` is pinned.
    pub fn netns_path(&self, ns: &str, id: &str) -> PathBuf {
        self.netns_dir.join(ns).join(id)
    }

    /// Stops and removes a replica entirely: task (SIGTERM, `grace` or the runner's default,
    /// SIGKILL), network, container, snapshot. Absent parts are skipped; errors are logged
    /// (this is cleanup and must go as far as it can).
    pub async fn destroy(
        &self,
        ns: &str,
        id: &str,
        cni_result: Option<&Value>,
        grace: Option<Duration>,
    ) {
        self.stop_task(ns, id, cni_result, grace).await;
        self.delete_container(ns, id).await;
    }

    /// Removes a standby replica (never started, nothing to drain): its task is killed at once.
    pub async fn destroy_standby(&self, ns: &str, id: &str, cni_result: Option<&Value>) {
        self.destroy(ns, id, cni_result, Some(Duration::ZERO)).await;
    }

    /// Stops a replica's task and frees its network, keeping the container. The network stays
    /// up while the process drains (its namespace is pinned), so requests in flight finish;
    /// CNI DEL follows once the task is gone.
    pub async fn stop_task(
        &self,
        ns: &str,
        id: &str,
        cni_result: Option<&Value>,
        grace: Option<Duration>,
    ) {
        self.kill_and_delete_task_now(ns, id, grace.unwrap_or(self.grace))
            .await;
        let netns = self.netns_path(ns, id);
        self.cni.del(id, &netns, cni_result).await;
        crate::netns::remove(&netns);
    }

    /// SIGTERM, `grace`, SIGKILL (SIGKILL at once for a zero grace), wait, then delete.
    async fn kill_and_delete_task_now(&self, ns: &str, id: &str, grace: Duration) {
        let graceful = !grace.is_zero();
        let mut tasks = self.client.tasks();
        let wait = {
            let mut t = self.client.tasks();
            let req = in_namespace(
                ns,
                WaitRequest {
                    container_id: id.to_owned(),
                    exec_id: String::new(),
                },
            );
            tokio::spawn(async move { t.wait(req).await })
        };
        // SIGTERM goes to the init process only (the watchdog, which drains: the processes
        // it forked for requests in flight must live on); SIGKILL to every process.
        let kill = |signal: u32| {
            in_namespace(
                ns,
                KillRequest {
                    container_id: id.to_owned(),
                    exec_id: String::new(),
                    signal,
                    all: signal == 9,
                },
            )
        };
        match tasks.kill(kill(if graceful { 15 } else { 9 })).await {
            Err(s) if s.code() == Code::NotFound => {
                wait.abort();
                return;
            }
            _ => {}
        }
        let mut wait = wait;
        if tokio::time::timeout(grace, &mut wait).await.is_err() {
            let _ = tasks.kill(kill(9)).await;
            if tokio::time::timeout(Duration::from_secs(10), &mut wait)
                .await
                .is_err()
            {
                wait.abort();
                tracing::warn!(replica = id, "task did not exit after SIGKILL");
            }
        }
        self.delete_task(ns, id).await;
    }

    async fn delete_task(&self, ns: &str, id: &str) {
        for attempt in 0..20 {
            match self
                .client
                .tasks()
                .delete(in_namespace(
                    ns,
                    DeleteTaskRequest {
                        container_id: id.to_owned(),
                    },
                ))
                .await
            {
                Ok(_) => return,
                Err(s) if s.code() == Code::NotFound => return,
                Err(s) => {
                    if attempt == 19 {
                        tracing::warn!(replica = id, error = %s, "deleting task");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    async fn delete_container(&self, ns: &str, id: &str) {
        match self
            .client
            .containers()
            .delete(in_namespace(
                ns,
                DeleteContainerRequest { id: id.to_owned() },
            ))
            .await
        {
            Ok(_) => {}
            Err(s) if s.code() == Code::NotFound => {}
            Err(s) => tracing::warn!(replica = id, error = %s, "deleting container"),
        }
        self.remove_snapshot(ns, id).await;
    }

    async fn remove_snapshot(&self, ns: &str, key: &str) {
        match self
            .client
            .snapshots()
            .remove(in_namespace(
                ns,
                RemoveSnapshotRequest {
                    snapshotter: self.snapshotter.clone(),
                    key: key.to_owned(),
                },
            ))
            .await
        {
            Ok(_) => {}
            Err(s) if s.code() == Code::NotFound => {}
            Err(s) => tracing::warn!(snapshot = key, error = %s, "removing snapshot"),
        }
    }

    /// The tasks of namespace `ns`, by container id.
    pub async fn tasks(&self, ns: &str) -> Result<HashMap<String, TaskState>> {
        let tasks = self
            .client
            .tasks()
            .list(in_namespace(
                ns,
                ListTasksRequest {
                    filter: String::new(),
                },
            ))
            .await
            .map_err(|s| Error::containerd(format!("listing tasks in {ns}"), s))?
            .into_inner()
            .tasks;
        Ok(tasks
            .into_iter()
            .map(|t| {
                // 1 = created, 2 = running, 4 = paused, 5 = pausing.
                let running = matches!(t.status, 2 | 4 | 5);
                (
                    t.id,
                    TaskState {
                        pid: t.pid,
                        running,
                        created: t.status == 1,
                    },
                )
            })
            .collect())
    }

    /// The ids of the containers of namespace `ns` that belong to a function, with its name.
    pub async fn function_containers(&self, ns: &str) -> Result<Vec<(String, String)>> {
        let containers = self
            .client
            .containers()
            .list(in_namespace(ns, ListContainersRequest { filters: vec![] }))
            .await
            .map_err(|s| Error::containerd(format!("listing containers in {ns}"), s))?
            .into_inner()
            .containers;
        Ok(containers
            .into_iter()
            .filter_map(|c| Some((c.id, c.labels.get(LABEL_FUNCTION)?.clone())))
            .collect())
    }
}

/// The containerd container record of `c`.
fn container_of(c: &ContainerSpec<'_>, snapshotter: &str) -> Container {
    Container {
        id: c.id.to_owned(),
        labels: c.labels.clone(),
        image: c.image.to_owned(),
        runtime: Some(Runtime {
            name: RUNTIME.to_owned(),
            options: None,
        }),
        spec: Some(prost_types::Any {
            type_url: SPEC_TYPE_URL.to_owned(),
            value: serde_json::to_vec(c.spec).unwrap_or_default(),
        }),
        snapshotter: snapshotter.to_owned(),
        snapshot_key: c.id.to_owned(),
        created_at: None,
        updated_at: None,
        extensions: HashMap::new(),
        sandbox: String::new(),
    }
}

/// [`crate::netns::create`] off the async threads.
async fn pin_netns(path: &Path) -> Result<()> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || crate::netns::create(&path))
        .await
        .map_err(|e| Error::Invalid(format!("creating a network namespace: {e}")))?
}

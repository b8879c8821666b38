//! What a test world holds outside faasd: containerd objects, host-local IPAM files and nat
//! rules — for "delete leaves nothing" and "no duplicate containers" checks.

use std::path::Path;
use std::process::Command;

use containerd_client::services::v1::snapshots::ListSnapshotsRequest;
use containerd_client::services::v1::{ListContainersRequest, ListTasksRequest};
use faas_provider_containerd::client::{in_namespace, Containerd};

use crate::TestEnv;

/// What exists in a containerd namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Container ids, sorted.
    pub containers: Vec<String>,
    /// Task ids with pids, sorted.
    pub tasks: Vec<(String, u32)>,
    /// Snapshot keys that are not image layers (layers are named by `sha256:` chain IDs).
    pub replica_snapshots: Vec<String>,
}

/// The containers, tasks and replica snapshots of `namespace` on the containerd at `socket`.
pub async fn inventory(socket: &Path, namespace: &str) -> Inventory {
    let c = Containerd::connect(socket)
        .await
        .expect("connecting to containerd");
    let mut containers: Vec<String> = c
        .containers()
        .list(in_namespace(
            namespace,
            ListContainersRequest { filters: vec![] },
        ))
        .await
        .expect("listing containers")
        .into_inner()
        .containers
        .into_iter()
        .map(|c| c.id)
        .collect();
    containers.sort();
    let mut tasks: Vec<(String, u32)> = c
        .tasks()
        .list(in_namespace(
            namespace,
            ListTasksRequest {
                filter: String::new(),
            },
        ))
        .await
        .expect("listing tasks")
        .into_inner()
        .tasks
        .into_iter()
        .map(|t| (t.id, t.pid))
        .collect();
    tasks.sort();
    let mut stream = c
        .snapshots()
        .list(in_namespace(
            namespace,
            ListSnapshotsRequest {
                snapshotter: "overlayfs".into(),
                filters: vec![],
            },
        ))
        .await
        .expect("listing snapshots")
        .into_inner();
    let mut replica_snapshots = Vec::new();
    while let Ok(Some(m)) = stream.message().await {
        replica_snapshots.extend(
            m.info
                .into_iter()
                .map(|i| i.name)
                .filter(|n| !n.starts_with("sha256:")),
        );
    }
    Inventory {
        containers,
        tasks,
        replica_snapshots,
    }
}

/// IP reservations host-local holds for the world's network.
pub fn ipam_entries(env: &TestEnv) -> Vec<String> {
    std::fs::read_dir(env.ipam_dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.parse::<std::net::Ipv4Addr>().is_ok())
        .collect()
}

/// nat and filter rules that mention the world's subnet or a masquerade chain of
/// `replica_ids` (container ids).
pub fn iptables_leftovers(env: &TestEnv, replica_ids: &[String]) -> Vec<String> {
    let chains: Vec<String> = replica_ids
        .iter()
        .map(|id| faas_provider_containerd::cni::masquerade_chain(&env.bridge, id))
        .collect();
    let subnet = env.subnet.to_string();
    let prefix = subnet
        .rsplit_once('.')
        .map(|(a, _)| format!("{a}."))
        .unwrap_or_default();
    let mut leftovers = Vec::new();
    for table in ["nat", "filter"] {
        let out = Command::new("iptables")
            .args(["-w", "-t", table, "-S"])
            .output()
            .expect("running iptables");
        leftovers.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| chains.iter().any(|c| l.contains(c.as_str())) || l.contains(&prefix))
                // The bridge plugin's own per-network rules are not per replica.
                .filter(|l| !l.contains(&subnet))
                .map(|l| format!("{table}: {l}")),
        );
    }
    leftovers
}

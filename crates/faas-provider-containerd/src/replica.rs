//! The in-memory function table behind `resolve`: each function's record, what its replicas are
//! made of, which replicas passed readiness, and the watch channel `wait_ready` listens on.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use faas_core::{EndpointSet, FunctionRef};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::image::StoredImage;
use crate::spec::BindMount;
use crate::state::FunctionRecord;

/// What every replica of one deployment generation is made of.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The unpacked image.
    pub image: StoredImage,
    /// The user to run as.
    pub user: (u32, u32),
    /// hosts, resolv.conf and secrets.
    pub mounts: Vec<BindMount>,
    /// Container labels.
    pub labels: HashMap<String, String>,
}

/// Restart back-off of one crashed replica.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Restarts so far without becoming ready in between.
    pub attempts: u32,
    /// No restart before this.
    pub next: Instant,
}

impl Backoff {
    /// The delay after `attempts` failed starts: 0.5 s doubling to 30 s.
    pub fn delay(attempts: u32) -> std::time::Duration {
        let ms = 500u64.saturating_mul(1u64 << attempts.min(16));
        std::time::Duration::from_millis(ms.min(30_000))
    }
}

/// One function in the table.
#[derive(Debug)]
pub struct Slot {
    /// The persisted record (desired replicas, replicas that exist).
    pub record: FunctionRecord,
    /// What new replicas are made of; `None` until the image is available again after a restart.
    pub prepared: Option<Arc<Prepared>>,
    /// Ready replicas: container id → address.
    pub ready: BTreeMap<String, SocketAddr>,
    /// The ready addresses as `resolve` hands them out.
    pub endpoints: Arc<EndpointSet>,
    /// Notifies `wait_ready` of every change of `endpoints`.
    pub ready_tx: watch::Sender<Arc<EndpointSet>>,
    /// Crashed replicas waiting to be restarted.
    pub backoff: HashMap<String, Backoff>,
}

impl Slot {
    /// A slot for `record` with no ready replica.
    pub fn new(record: FunctionRecord, prepared: Option<Arc<Prepared>>) -> Self {
        let endpoints = Arc::new(EndpointSet::default());
        Self {
            record,
            prepared,
            ready: BTreeMap::new(),
            ready_tx: watch::channel(Arc::clone(&endpoints)).0,
            endpoints,
            backoff: HashMap::new(),
        }
    }

    /// Marks replica `id` ready at `addr` (or not ready with `None`) and republishes endpoints.
    pub fn set_ready(&mut self, id: &str, addr: Option<SocketAddr>) {
        let changed = match addr {
            Some(a) => self.ready.insert(id.to_owned(), a) != Some(a),
            None => self.ready.remove(id).is_some(),
        };
        if changed {
            self.endpoints = Arc::new(EndpointSet::new(self.ready.values().copied().collect()));
            self.ready_tx.send_replace(Arc::clone(&self.endpoints));
        }
    }

    /// The next `count` free replica ids of generation `generation`.
    pub fn next_replica_ids(&self, generation: u64, count: usize) -> Vec<String> {
        let name = &self.record.deployment.service;
        let standby = self.record.standby.as_ref().map(|s| s.id.as_str());
        (0..)
            .map(|n| format!("{name}.{generation}-{n}"))
            .filter(|id| {
                !self.record.replica_records.contains_key(id) && standby != Some(id.as_str())
            })
            .take(count)
            .collect()
    }

    /// The next free replica id of generation `generation`: `<name>.<generation>-<n>`.
    pub fn next_replica_id(&self, generation: u64) -> String {
        self.next_replica_ids(generation, 1)
            .pop()
            .unwrap_or_default()
    }
}

/// The longest SIGTERM → SIGKILL grace a function can ask for.
pub const MAX_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(300);

/// How long a replica of a function with environment `env` may drain after SIGTERM (spec
/// docs/watchdog.md §7): its `grace_period`, else its watchdog's drain (`healthcheck_interval`,
/// which defaults to `write_timeout`) plus 2 s, else `default`; at most [`MAX_STOP_GRACE`].
pub fn stop_grace(
    env: &std::collections::BTreeMap<String, String>,
    default: std::time::Duration,
) -> std::time::Duration {
    let parse = |key: &str| {
        env.get(key)
            .and_then(|v| faas_core::timeout::parse_duration(v).ok())
    };
    parse("grace_period")
        .or_else(|| {
            parse("healthcheck_interval")
                .or_else(|| parse("write_timeout"))
                .map(|drain| drain + std::time::Duration::from_secs(2))
        })
        .unwrap_or(default)
        .min(MAX_STOP_GRACE)
}

/// The table: function → slot.
pub type Table = HashMap<FunctionRef, Slot>;

/// Files bind-mounted into every function.
#[derive(Debug, Clone)]
pub struct SharedFiles {
    /// `/etc/hosts`.
    pub hosts: PathBuf,
    /// `/etc/resolv.conf`.
    pub resolv_conf: PathBuf,
}

/// `/etc/hosts` for functions: localhost and the provider/gateway on the bridge address.
pub fn hosts_file(gateway: std::net::Ipv4Addr) -> String {
    format!("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{gateway}\tfaasd-provider gateway\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap() {
        assert_eq!(Backoff::delay(0).as_millis(), 500);
        assert_eq!(Backoff::delay(1).as_millis(), 1000);
        assert_eq!(Backoff::delay(40).as_millis(), 30_000);
    }

    #[test]
    fn stop_grace_follows_the_function_environment() {
        let env = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let default = std::time::Duration::from_secs(10);
        let secs = |s| std::time::Duration::from_secs(s);
        assert_eq!(stop_grace(&env(&[]), default), default);
        assert_eq!(
            stop_grace(&env(&[("write_timeout", "1m")]), default),
            secs(62)
        );
        assert_eq!(
            stop_grace(
                &env(&[("write_timeout", "1m"), ("healthcheck_interval", "5s")]),
                default
            ),
            secs(7)
        );
        assert_eq!(
            stop_grace(
                &env(&[("grace_period", "3s"), ("write_timeout", "1m")]),
                default
            ),
            secs(3)
        );
        assert_eq!(
            stop_grace(&env(&[("write_timeout", "2h")]), default),
            MAX_STOP_GRACE
        );
        assert_eq!(
            stop_grace(&env(&[("write_timeout", "soon")]), default),
            default
        );
    }

    #[test]
    fn ready_set_notifies() {
        let rec = FunctionRecord {
            deployment: faas_core::FunctionDeployment {
                service: "echo".into(),
                ..Default::default()
            },
            created_at: jiff::Timestamp::UNIX_EPOCH,
            replicas: 1,
            generation: 1,
            replica_records: Default::default(),
            standby: None,
        };
        let mut slot = Slot::new(rec, None);
        let rx = slot.ready_tx.subscribe();
        slot.set_ready("echo.1-0", Some("10.0.0.2:8080".parse().unwrap()));
        assert_eq!(rx.borrow().len(), 1);
        assert_eq!(slot.next_replica_id(1), "echo.1-0");
        assert_eq!(slot.next_replica_ids(1, 2), ["echo.1-0", "echo.1-1"]);
        slot.set_ready("echo.1-0", None);
        assert!(rx.borrow().is_empty());
    }
}

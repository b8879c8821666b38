//! The in-memory table of ready function replicas that
//! [`Provider::resolve`](faas_core::Provider::resolve) reads on every invocation, fed by a
//! watch on EndpointSlices (`docs/kubernetes.md` §7, our choice). No API call per invocation.
//!
//! A Service may have several EndpointSlices; the table keeps each slice's ready addresses and
//! publishes, per function, the union as one [`EndpointSet`]. A set is swapped only when its
//! addresses change, so the round-robin cursor survives unrelated updates. Every change bumps
//! a [`tokio::sync::watch`] counter that [`Provider::wait_ready`](faas_core::Provider::wait_ready)
//! waits on.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock, RwLockWriteGuard};

use faas_core::{EndpointSet, FunctionRef};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::runtime::watcher;
use tokio::sync::watch;

use crate::labels::{SERVICE_NAME_LABEL, WATCHDOG_PORT};

/// Ready replica addresses per function, kept current by the EndpointSlice watch.
#[derive(Debug)]
pub struct EndpointTable {
    state: RwLock<TableState>,
    changed: watch::Sender<u64>,
}

/// A slice's identity: namespace and slice name.
type SliceKey = (String, String);

#[derive(Debug, Default)]
struct TableState {
    /// Each slice's function and ready addresses.
    slices: HashMap<SliceKey, (FunctionRef, Vec<SocketAddr>)>,
    /// The published sets; functions without ready addresses are absent.
    functions: HashMap<FunctionRef, Arc<EndpointSet>>,
    /// Slices seen since the watch (re)started listing, swapped in when the list is complete.
    relisting: Option<Vec<EndpointSlice>>,
}

impl Default for EndpointTable {
    fn default() -> Self {
        Self::new()
    }
}

impl EndpointTable {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            state: RwLock::new(TableState::default()),
            changed: watch::channel(0).0,
        }
    }

    /// The ready replicas of `function` (an empty set when none is ready).
    pub fn get(&self, function: &FunctionRef) -> Arc<EndpointSet> {
        self.read_state()
            .functions
            .get(function)
            .cloned()
            .unwrap_or_default()
    }

    /// A receiver whose value changes whenever any function's ready replicas change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Applies one event of the EndpointSlice watcher. A relist (`Init` … `InitDone`) replaces
    /// the whole table at its end, so slices deleted while the watch was down disappear.
    pub fn apply_event(&self, event: watcher::Event<EndpointSlice>) {
        let mut state = self.write_state();
        let touched = match event {
            watcher::Event::Apply(slice) => state.apply(&slice),
            watcher::Event::Delete(slice) => state.remove(&slice),
            watcher::Event::Init => {
                state.relisting = Some(Vec::new());
                Vec::new()
            }
            watcher::Event::InitApply(slice) => {
                state.relisting.get_or_insert_with(Vec::new).push(slice);
                Vec::new()
            }
            watcher::Event::InitDone => {
                let slices = state.relisting.take().unwrap_or_default();
                let mut touched: Vec<FunctionRef> =
                    state.slices.values().map(|(f, _)| f.clone()).collect();
                state.slices.clear();
                for slice in &slices {
                    touched.extend(state.apply(slice));
                }
                touched
            }
        };
        let mut changed = false;
        for function in touched {
            changed |= state.publish(&function);
        }
        drop(state);
        if changed {
            self.changed.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, TableState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, TableState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl TableState {
    /// Records a slice; returns the functions whose sets may have changed.
    fn apply(&mut self, slice: &EndpointSlice) -> Vec<FunctionRef> {
        let Some(key) = slice_key(slice) else {
            return Vec::new();
        };
        let Some((function, addrs)) = ready_addresses(slice) else {
            return self.remove(slice);
        };
        let previous = self.slices.insert(key, (function.clone(), addrs));
        let mut touched = vec![function];
        touched.extend(previous.map(|(f, _)| f));
        touched
    }

    /// Forgets a slice; returns the function it belonged to.
    fn remove(&mut self, slice: &EndpointSlice) -> Vec<FunctionRef> {
        slice_key(slice)
            .and_then(|key| self.slices.remove(&key))
            .map(|(f, _)| vec![f])
            .unwrap_or_default()
    }

    /// Recomputes `function`'s published set; returns whether its addresses changed.
    fn publish(&mut self, function: &FunctionRef) -> bool {
        let mut addrs: Vec<SocketAddr> = self
            .slices
            .values()
            .filter(|(f, _)| f == function)
            .flat_map(|(_, a)| a.iter().copied())
            .collect();
        addrs.sort();
        addrs.dedup();
        let current = self.functions.get(function).map(|s| s.addrs().to_vec());
        if current.as_deref().unwrap_or_default() == addrs.as_slice() {
            return false;
        }
        if addrs.is_empty() {
            self.functions.remove(function);
        } else {
            self.functions
                .insert(function.clone(), Arc::new(EndpointSet::new(addrs)));
        }
        true
    }
}

fn slice_key(slice: &EndpointSlice) -> Option<SliceKey> {
    Some((
        slice.metadata.namespace.clone()?,
        slice.metadata.name.clone()?,
    ))
}

/// The function a slice belongs to (its `kubernetes.io/service-name` label and namespace) and
/// the addresses of its **ready** endpoints on the watchdog port. An endpoint whose `ready`
/// condition is absent counts as ready, as the API documents; `ready: false` (starting,
/// failing its probe, or terminating) does not. `None` for a slice of no Service.
pub fn ready_addresses(slice: &EndpointSlice) -> Option<(FunctionRef, Vec<SocketAddr>)> {
    let labels: &BTreeMap<String, String> = slice.metadata.labels.as_ref()?;
    let service = labels.get(SERVICE_NAME_LABEL)?;
    let namespace = slice.metadata.namespace.as_deref()?;
    let function = FunctionRef::new(service.clone(), Some(namespace));
    if slice.address_type == "FQDN" {
        return Some((function, Vec::new()));
    }
    let port = slice_port(slice);
    let addrs = slice
        .endpoints
        .iter()
        .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) != Some(false))
        .flat_map(|e| e.addresses.iter())
        .filter_map(|a| a.parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    Some((function, addrs))
}

/// The slice's `http` port, else its first port, else the watchdog's 8080.
fn slice_port(slice: &EndpointSlice) -> u16 {
    let ports = slice.ports.as_deref().unwrap_or_default();
    ports
        .iter()
        .find(|p| p.name.as_deref() == Some("http"))
        .or_else(|| ports.first())
        .and_then(|p| p.port)
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(WATCHDOG_PORT as u16)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    fn endpoint(ip: &str, ready: Option<bool>) -> Endpoint {
        Endpoint {
            addresses: vec![ip.to_owned()],
            conditions: Some(EndpointConditions {
                ready,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn slice(name: &str, service: &str, endpoints: Vec<Endpoint>) -> EndpointSlice {
        EndpointSlice {
            address_type: "IPv4".into(),
            endpoints,
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("openfaas-fn".into()),
                labels: Some(BTreeMap::from([(
                    SERVICE_NAME_LABEL.to_owned(),
                    service.to_owned(),
                )])),
                ..Default::default()
            },
            ports: Some(vec![EndpointPort {
                name: Some("http".into()),
                port: Some(8080),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
        }
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_ready_endpoints_are_routed() {
        let s = slice(
            "echo-abc",
            "echo",
            vec![
                endpoint("10.42.0.7", Some(true)),
                endpoint("10.42.0.8", Some(false)),
                endpoint("10.42.0.9", None),
            ],
        );
        let (f, addrs) = ready_addresses(&s).unwrap();
        assert_eq!(f, FunctionRef::new("echo", None));
        assert_eq!(addrs, [addr("10.42.0.7:8080"), addr("10.42.0.9:8080")]);
    }

    #[test]
    fn slices_of_a_service_are_merged_and_deletes_remove() {
        let table = EndpointTable::new();
        let echo = FunctionRef::new("echo", None);
        let mut rx = table.subscribe();
        table.apply_event(watcher::Event::Apply(slice(
            "echo-a",
            "echo",
            vec![endpoint("10.0.0.2", Some(true))],
        )));
        table.apply_event(watcher::Event::Apply(slice(
            "echo-b",
            "echo",
            vec![endpoint("10.0.0.1", Some(true))],
        )));
        assert!(rx.has_changed().unwrap());
        rx.mark_unchanged();
        assert_eq!(
            table.get(&echo).addrs(),
            [addr("10.0.0.1:8080"), addr("10.0.0.2:8080")]
        );
        let set = table.get(&echo);
        table.apply_event(watcher::Event::Apply(slice(
            "echo-b",
            "echo",
            vec![endpoint("10.0.0.1", Some(true))],
        )));
        assert!(Arc::ptr_eq(&set, &table.get(&echo)), "unchanged set kept");
        assert!(!rx.has_changed().unwrap());
        table.apply_event(watcher::Event::Delete(slice("echo-a", "echo", vec![])));
        assert_eq!(table.get(&echo).addrs(), [addr("10.0.0.1:8080")]);
        table.apply_event(watcher::Event::Apply(slice(
            "echo-b",
            "echo",
            vec![endpoint("10.0.0.1", Some(false))],
        )));
        assert!(table.get(&echo).is_empty());
        assert!(rx.has_changed().unwrap());
    }

    #[test]
    fn relist_replaces_the_table() {
        let table = EndpointTable::new();
        let echo = FunctionRef::new("echo", None);
        let other = FunctionRef::new("other", None);
        table.apply_event(watcher::Event::Apply(slice(
            "echo-a",
            "echo",
            vec![endpoint("10.0.0.1", Some(true))],
        )));
        table.apply_event(watcher::Event::Init);
        table.apply_event(watcher::Event::InitApply(slice(
            "other-a",
            "other",
            vec![endpoint("10.0.0.5", Some(true))],
        )));
        assert_eq!(
            table.get(&echo).len(),
            1,
            "old table served until the list ends"
        );
        table.apply_event(watcher::Event::InitDone);
        assert!(table.get(&echo).is_empty());
        assert_eq!(table.get(&other).addrs(), [addr("10.0.0.5:8080")]);
    }
}

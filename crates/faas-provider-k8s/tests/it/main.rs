//! Integration tests of faas-provider-k8s: the exact requests the provider sends, against a
//! mock API server (`tower_test`), with golden JSON files for the objects; the RBAC manifests
//! against the provider's access table; and one opt-in test against a real cluster.

mod cluster;
mod functions;
mod golden;
mod logs;
mod manifests;
mod mock;
mod namespaces;
mod resolve;
mod secrets;

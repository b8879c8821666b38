//! Namespaces: the body of `/system/namespace` requests (docs/api.md §7).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::function::null_as_default;

/// Label and annotation key that marks a namespace as an OpenFaaS one.
pub const OPENFAAS_NAMESPACE_MARKER: &str = "openfaas";

/// A namespace with its labels and annotations, as created, read and updated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceRequest {
    /// The namespace's name (a DNS-1123 label).
    #[serde(default)]
    pub name: String,
    /// Its labels.
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// Its annotations.
    #[serde(default, deserialize_with = "null_as_default")]
    pub annotations: BTreeMap<String, String>,
}

impl NamespaceRequest {
    /// The same namespace with the OpenFaaS marker (`openfaas: "1"`) in labels and annotations,
    /// which a provider adds itself on create.
    pub fn with_marker(mut self) -> Self {
        self.labels
            .insert(OPENFAAS_NAMESPACE_MARKER.to_owned(), "1".to_owned());
        self.annotations
            .insert(OPENFAAS_NAMESPACE_MARKER.to_owned(), "1".to_owned());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_round_trips() {
        let json = r#"{"name":"staging","labels":{"openfaas":"1","team":"a"},"annotations":{"openfaas":"1","x":"y"}}"#;
        let ns: NamespaceRequest = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&ns).unwrap(), json);
        let bare: NamespaceRequest = serde_json::from_str(r#"{"name":"dev"}"#).unwrap();
        assert_eq!(bare.with_marker().labels["openfaas"], "1");
    }
}

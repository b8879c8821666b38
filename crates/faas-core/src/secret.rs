//! Secrets: the body of `/system/secrets` requests and the items of its list (docs/api.md §6).

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::ProviderError;
use crate::name::{namespace_or_default, validate_namespace, validate_secret_name};

/// A secret as sent to create or update it. `rawValue` (base64) wins over `value` when non-empty.
///
/// `Debug` never prints the value.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Secret {
    /// The secret's name (a DNS-1123 subdomain).
    pub name: String,
    /// Its namespace; `None` means `openfaas-fn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The value as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The value as base64 bytes; wins over `value` when non-empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_value: Option<String>,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("name", &self.name)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Secret {
    /// The namespace, defaulted.
    pub fn namespace_or_default(&self) -> &str {
        namespace_or_default(self.namespace.as_deref())
    }

    /// Checks the name and namespace.
    pub fn validate(&self) -> Result<(), ProviderError> {
        validate_secret_name(&self.name)?;
        validate_namespace(self.namespace_or_default())
    }

    /// The bytes to store: decoded `rawValue` when non-empty, else `value`.
    pub fn bytes(&self) -> Result<Vec<u8>, ProviderError> {
        match self.raw_value.as_deref() {
            Some(raw) if !raw.is_empty() => base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|e| {
                    ProviderError::invalid(format!(
                        "secret {:?}: rawValue is not valid base64: {e}",
                        self.name
                    ))
                }),
            _ => Ok(self.value.clone().unwrap_or_default().into_bytes()),
        }
    }
}

/// A secret as listed: name and namespace, never the value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SecretDescription {
    /// The secret's name.
    pub name: String,
    /// Its namespace.
    #[serde(default)]
    pub namespace: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_value_wins() {
        let s: Secret = serde_json::from_str(
            r#"{"name":"bin-key","namespace":"dev","value":"filesecret","rawValue":"ICBmaWxlc2VjcmV0ICA="}"#,
        )
        .unwrap();
        assert_eq!(s.bytes().unwrap(), b"  filesecret  ");
        let s: Secret =
            serde_json::from_str(r#"{"name":"api-key","value":"s3cr3t","rawValue":""}"#).unwrap();
        assert_eq!(s.bytes().unwrap(), b"s3cr3t");
        assert_eq!(s.namespace_or_default(), "openfaas-fn");
        assert!(!format!("{s:?}").contains("s3cr3t"));
    }

    #[test]
    fn bad_names_and_base64() {
        for bad in ["", "../x", "a/b", "UP"] {
            let s = Secret {
                name: bad.into(),
                ..Default::default()
            };
            assert!(s.validate().is_err(), "{bad}");
        }
        let s = Secret {
            name: "k".into(),
            raw_value: Some("***".into()),
            ..Default::default()
        };
        assert!(s.bytes().unwrap_err().to_string().contains("base64"));
    }

    #[test]
    fn list_item_shape() {
        let d = SecretDescription {
            name: "api-key".into(),
            namespace: "openfaas-fn".into(),
        };
        assert_eq!(
            serde_json::to_string(&[d]).unwrap(),
            r#"[{"name":"api-key","namespace":"openfaas-fn"}]"#
        );
    }
}

//! Names: what a function, namespace or secret may be called, and how an invocation path
//! segment (`name` or `name.namespace`) addresses a function (docs/api.md §5.1, §6, §10.1).

use std::fmt;

use crate::error::ProviderError;

/// The namespace functions live in when none is given (docs/api.md §2).
pub const DEFAULT_NAMESPACE: &str = "openfaas-fn";

/// Longest DNS-1123 label: function and namespace names.
pub const MAX_LABEL_LEN: usize = 63;

/// Longest DNS-1123 subdomain: secret names.
pub const MAX_SUBDOMAIN_LEN: usize = 253;

/// Whether `s` is a DNS-1123 label: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`, 1 to 63 characters.
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_LABEL_LEN
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Whether `s` is a DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_SUBDOMAIN_LEN && s.split('.').all(is_dns1123_label)
}

/// Checks a function name: a DNS-1123 label, so that every deployable name can be invoked
/// (a dotted name would be read as `name.namespace`, docs/api.md §16 #10).
pub fn validate_function_name(name: &str) -> Result<(), ProviderError> {
    if name.is_empty() {
        return Err(ProviderError::invalid("function name is empty"));
    }
    if !is_dns1123_label(name) {
        return Err(ProviderError::invalid(format!(
            "invalid function name {name:?}: use at most {MAX_LABEL_LEN} characters from a-z, 0-9 and '-', starting and ending with a letter or digit"
        )));
    }
    Ok(())
}

/// Checks a namespace name: a DNS-1123 label.
pub fn validate_namespace(namespace: &str) -> Result<(), ProviderError> {
    if !is_dns1123_label(namespace) {
        return Err(ProviderError::invalid(format!(
            "invalid namespace {namespace:?}: use at most {MAX_LABEL_LEN} characters from a-z, 0-9 and '-', starting and ending with a letter or digit"
        )));
    }
    Ok(())
}

/// Checks a secret name: a DNS-1123 subdomain (so never empty, never `/` or `..`).
pub fn validate_secret_name(name: &str) -> Result<(), ProviderError> {
    if name.is_empty() {
        return Err(ProviderError::invalid("secret name is empty"));
    }
    if !is_dns1123_subdomain(name) {
        return Err(ProviderError::invalid(format!(
            "invalid secret name {name:?}: use lowercase letters, digits, '-' and '.', at most {MAX_SUBDOMAIN_LEN} characters"
        )));
    }
    Ok(())
}

/// Returns `namespace` or the default namespace when it is absent or empty.
pub fn namespace_or_default(namespace: Option<&str>) -> &str {
    match namespace {
        Some(ns) if !ns.is_empty() => ns,
        _ => DEFAULT_NAMESPACE,
    }
}

/// A function addressed by name and namespace: the key of every per-function operation.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct FunctionRef {
    /// The function's name (a DNS-1123 label).
    pub name: String,
    /// The function's namespace, never empty.
    pub namespace: String,
}

impl FunctionRef {
    /// A reference to `name` in `namespace`, or in [`DEFAULT_NAMESPACE`] when `namespace` is
    /// `None` or empty. Does not validate; see [`FunctionRef::validate`].
    pub fn new(name: impl Into<String>, namespace: Option<&str>) -> Self {
        Self {
            name: name.into(),
            namespace: namespace_or_default(namespace).to_owned(),
        }
    }

    /// Parses an invocation path segment: `name` or `name.namespace`, split at the **last** dot
    /// (docs/api.md §10.1). A segment ending in a dot keeps the default namespace.
    pub fn parse_segment(segment: &str) -> Self {
        Self::parse_segment_in(segment, DEFAULT_NAMESPACE)
    }

    /// Like [`FunctionRef::parse_segment`], with `default_namespace` for a segment that names
    /// none (a gateway configured with another function namespace, docs/api.md §14).
    pub fn parse_segment_in(segment: &str, default_namespace: &str) -> Self {
        let (name, namespace) = match segment.rsplit_once('.') {
            Some((name, ns)) if !ns.is_empty() => (name, ns),
            Some((name, _)) => (name, default_namespace),
            None => (segment, default_namespace),
        };
        Self::new(name, Some(namespace))
    }

    /// Checks both the name and the namespace.
    pub fn validate(&self) -> Result<(), ProviderError> {
        validate_function_name(&self.name)?;
        validate_namespace(&self.namespace)
    }
}

impl fmt::Display for FunctionRef {
    /// `name.namespace`, the form used in metrics labels and messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.name, self.namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        for ok in ["a", "hello-python", "fn1", "0", &"a".repeat(63)] {
            assert!(is_dns1123_label(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "my.fn",
            "a_b",
            "ñ",
            &"a".repeat(64),
            "a b",
        ] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
    }

    #[test]
    fn subdomains() {
        assert!(is_dns1123_subdomain("api-key"));
        assert!(is_dns1123_subdomain("a.b.c"));
        for bad in ["", "a..b", ".a", "a.", "../etc", "a/b", "A"] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn function_name_error_says_what_to_fix() {
        let err = validate_function_name("my.fn").unwrap_err();
        assert!(err.to_string().contains("my.fn"));
        assert!(err.to_string().contains("a-z, 0-9 and '-'"));
        assert!(validate_function_name("").is_err());
    }

    #[test]
    fn segments_split_at_last_dot() {
        assert_eq!(
            FunctionRef::parse_segment("echo"),
            FunctionRef::new("echo", None)
        );
        assert_eq!(
            FunctionRef::parse_segment("echo.dev"),
            FunctionRef::new("echo", Some("dev"))
        );
        assert_eq!(
            FunctionRef::parse_segment("a.b.dev"),
            FunctionRef::new("a.b", Some("dev"))
        );
        assert_eq!(
            FunctionRef::parse_segment("echo.").namespace,
            DEFAULT_NAMESPACE
        );
        assert_eq!(
            FunctionRef::parse_segment_in("echo", "team").namespace,
            "team"
        );
        assert_eq!(
            FunctionRef::parse_segment_in("echo.dev", "team").namespace,
            "dev"
        );
        assert_eq!(FunctionRef::new("x", Some("")).namespace, DEFAULT_NAMESPACE);
        assert_eq!(
            FunctionRef::parse_segment("echo.dev").to_string(),
            "echo.dev"
        );
    }
}

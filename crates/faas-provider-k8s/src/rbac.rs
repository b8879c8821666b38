//! The Kubernetes API access the provider needs, as data (`docs/kubernetes.md` §10).
//!
//! [`FUNCTION_NAMESPACE_ACCESS`] and [`CLUSTER_ACCESS`] list every (API group, resource, verb)
//! the provider's calls use. The manifests in `deploy/k8s/` grant exactly these (a test
//! compares them), and the mock-API-server tests check every request the provider sends
//! against them with [`required_access`], so the RBAC stays least-privilege and complete.

/// Access to one resource: what RBAC must grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiAccess {
    /// API group; `""` is the core group.
    pub group: &'static str,
    /// Resource, or `resource/subresource`.
    pub resource: &'static str,
    /// Verbs, in the order the manifests list them.
    pub verbs: &'static [&'static str],
    /// Which provider operations need it.
    pub used_for: &'static str,
}

/// Access needed in each namespace functions live in: a Role in the function namespace, or
/// part of the ClusterRole in multi-namespace mode.
pub const FUNCTION_NAMESPACE_ACCESS: &[ApiAccess] = &[
    ApiAccess {
        group: "apps",
        resource: "deployments",
        verbs: &["get", "list", "watch", "create", "update", "delete"],
        used_for:
            "deploy, update (GET + PUT), delete, scale (lookup); list+watch feed the function cache",
    },
    ApiAccess {
        group: "apps",
        resource: "deployments/scale",
        verbs: &["patch"],
        used_for: "scale (merge patch of the scale subresource)",
    },
    ApiAccess {
        group: "",
        resource: "services",
        verbs: &["get", "create", "update", "delete"],
        used_for: "deploy, update (annotations), delete",
    },
    ApiAccess {
        group: "",
        resource: "secrets",
        verbs: &["get", "list", "create", "update", "delete"],
        used_for: "secrets API; deploy and update read the secrets a function mounts",
    },
    ApiAccess {
        group: "",
        resource: "pods",
        verbs: &["list", "watch"],
        used_for: "logs: find a function's pods and follow new ones",
    },
    ApiAccess {
        group: "",
        resource: "pods/log",
        verbs: &["get"],
        used_for: "logs",
    },
    ApiAccess {
        group: "discovery.k8s.io",
        resource: "endpointslices",
        verbs: &["list", "watch"],
        used_for: "the ready-endpoint table invocations are routed with",
    },
];

/// Cluster-scoped access, needed only in multi-namespace mode (ClusterRole).
pub const CLUSTER_ACCESS: &[ApiAccess] = &[ApiAccess {
    group: "",
    resource: "namespaces",
    verbs: &["get", "list", "create", "update", "delete"],
    used_for: "namespace API; checking that a namespace is an OpenFaaS one",
}];

/// Whether `access` (function-namespace or cluster) grants `verb` on `group`/`resource`.
pub fn is_granted(access: &[ApiAccess], group: &str, resource: &str, verb: &str) -> bool {
    access
        .iter()
        .any(|a| a.group == group && a.resource == resource && a.verbs.contains(&verb))
}

/// The RBAC (group, resource, verb) a request to the API server needs, from its method, path
/// and query — e.g. `GET /apis/apps/v1/namespaces/fn/deployments?watch=true` is
/// `("apps", "deployments", "watch")`. `None` for non-resource paths such as `/version`.
pub fn required_access(method: &str, path: &str, query: &str) -> Option<(String, String, String)> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match segments.as_slice() {
        ["api", _version, rest @ ..] => ("", rest),
        ["apis", group, _version, rest @ ..] => (*group, rest),
        _ => return None,
    };
    // Namespaced: namespaces/<ns>/<resource>[/<name>[/<sub>]]; else <resource>[/<name>[/<sub>]].
    let rest = match rest {
        ["namespaces", _ns, tail @ ..] if !tail.is_empty() => tail,
        other => other,
    };
    let (resource, named, subresource) = match rest {
        [resource] => (*resource, false, None),
        [resource, _name] => (*resource, true, None),
        [resource, _name, sub] => (*resource, true, Some(*sub)),
        _ => return None,
    };
    let watching = query
        .split('&')
        .any(|kv| kv == "watch=true" || kv == "watch=1");
    let verb = match (method, named) {
        ("GET", _) if watching => "watch",
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return None,
    };
    let resource = match subresource {
        Some(sub) => format!("{resource}/{sub}"),
        None => resource.to_owned(),
    };
    Some((group.to_owned(), resource, verb.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(method: &str, path: &str, query: &str) -> (String, String, String) {
        required_access(method, path, query).unwrap()
    }

    #[test]
    fn requests_map_to_rbac_rules() {
        let t = |g: &str, r: &str, v: &str| (g.to_owned(), r.to_owned(), v.to_owned());
        assert_eq!(
            access(
                "GET",
                "/apis/apps/v1/namespaces/openfaas-fn/deployments",
                "watch=true&labelSelector=x"
            ),
            t("apps", "deployments", "watch")
        );
        assert_eq!(
            access(
                "PATCH",
                "/apis/apps/v1/namespaces/fn/deployments/echo/scale",
                ""
            ),
            t("apps", "deployments/scale", "patch")
        );
        assert_eq!(
            access(
                "GET",
                "/api/v1/namespaces/fn/pods/echo-1/log",
                "follow=true"
            ),
            t("", "pods/log", "get")
        );
        assert_eq!(
            access("GET", "/api/v1/namespaces/dev", ""),
            t("", "namespaces", "get")
        );
        assert_eq!(
            access("GET", "/api/v1/namespaces", ""),
            t("", "namespaces", "list")
        );
        assert_eq!(
            access("GET", "/apis/apps/v1/deployments", "watch=1"),
            t("apps", "deployments", "watch")
        );
        assert_eq!(required_access("GET", "/version", ""), None);
    }

    #[test]
    fn tables_have_no_duplicates() {
        let all: Vec<_> = FUNCTION_NAMESPACE_ACCESS
            .iter()
            .chain(CLUSTER_ACCESS)
            .map(|a| (a.group, a.resource))
            .collect();
        let mut dedup = all.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(all.len(), dedup.len());
        assert!(is_granted(FUNCTION_NAMESPACE_ACCESS, "", "pods/log", "get"));
        assert!(!is_granted(
            FUNCTION_NAMESPACE_ACCESS,
            "",
            "secrets",
            "watch"
        ));
    }
}

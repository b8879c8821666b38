//! Label and annotation keys the provider writes on Kubernetes objects and reads back
//! (`docs/kubernetes.md` §2, §8). Users and tools select on these, so they are a contract.

/// Label on a function's Deployment, pod template and Service selector: the function's name.
/// `kubectl get deploy -l faas_function` lists functions; logs select pods with it.
pub const FUNCTION_LABEL: &str = "faas_function";

/// Pod-template label set to a fresh value on every update, so that even an update with the
/// same image (`:latest`) rolls the pods. Hidden from the function's status.
pub const ROLLOUT_LABEL: &str = "uid";

/// Annotation added to every function unless the request sets it: functions are not scraped.
pub const PROMETHEUS_SCRAPE_ANNOTATION: &str = "prometheus.io.scrape";

/// Label on the Secrets this provider manages; `GET /system/secrets` lists only these.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";

/// Value of [`MANAGED_BY_LABEL`] on the provider's Secrets.
pub const MANAGED_BY_VALUE: &str = "openfaas";

/// Label and annotation that mark a Namespace as an OpenFaaS one (value `"1"`); only the
/// annotation's presence is checked when reading, as upstream does.
pub const NAMESPACE_MARKER: &str = faas_core::namespace::OPENFAAS_NAMESPACE_MARKER;

/// Label EndpointSlices carry with the name of the Service they belong to.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// The namespace a function may never be deployed in or invoked from.
pub const FORBIDDEN_NAMESPACE: &str = "kube-system";

/// The port the watchdog listens on in every function container.
pub const WATCHDOG_PORT: i32 = 8080;

/// Where a function's secrets appear in its container, one file per key.
pub const SECRETS_MOUNT_PATH: &str = "/var/openfaas/secrets";

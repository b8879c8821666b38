//! Pure mapping from a function's Deployment to what the API reports (`docs/kubernetes.md`
//! §5): the [`FunctionStatus`] of list and get, and the replica counts and timeout that
//! [`Provider::resolve`](faas_core::Provider::resolve) needs.

use std::collections::BTreeMap;
use std::time::Duration;

use faas_core::function::{label_u32, LABEL_SCALE_MIN};
use faas_core::timeout::function_timeout;
use faas_core::{FunctionResources, FunctionStatus};
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::labels::{FUNCTION_LABEL, ROLLOUT_LABEL};

/// Whether the Deployment carries the `faas_function` label, i.e. is a function.
pub fn is_function(dep: &Deployment) -> bool {
    dep.metadata
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key(FUNCTION_LABEL))
}

/// The status of the function this Deployment runs. Labels and annotations come from the pod
/// template (without the provider's own `faas_function` and `uid`), `replicas` is the desired
/// count and `availableReplicas` the count that passed the readiness probe.
pub fn function_status(dep: &Deployment) -> FunctionStatus {
    let spec = dep.spec.clone().unwrap_or_default();
    let template_meta = spec.template.metadata.unwrap_or_default();
    let pod = spec.template.spec.unwrap_or_default();
    let container = pod.containers.first().cloned().unwrap_or_default();

    let mut labels = template_meta.labels.unwrap_or_default();
    labels.remove(FUNCTION_LABEL);
    labels.remove(ROLLOUT_LABEL);
    let (env_process, env_vars) = split_env(&container);
    let (limits, requests) = resources(&container);

    FunctionStatus {
        name: dep.metadata.name.clone().unwrap_or_default(),
        image: container.image.clone().unwrap_or_default(),
        namespace: dep.metadata.namespace.clone().unwrap_or_default(),
        env_process,
        env_vars,
        constraints: constraints(&pod),
        secrets: secret_names(&pod),
        labels,
        annotations: template_meta.annotations.unwrap_or_default(),
        limits,
        requests,
        read_only_root_filesystem: container
            .security_context
            .as_ref()
            .and_then(|s| s.read_only_root_filesystem)
            .unwrap_or(false),
        invocation_count: 0,
        replicas: desired_replicas(dep),
        available_replicas: available_replicas(dep),
        created_at: dep
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0)
            .unwrap_or(Timestamp::UNIX_EPOCH),
        usage: None,
    }
}

/// `spec.replicas` (Kubernetes defaults an absent value to 1).
pub fn desired_replicas(dep: &Deployment) -> u64 {
    let replicas = dep.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    u64::try_from(replicas).unwrap_or(0)
}

/// `status.availableReplicas`: replicas ready for at least `minReadySeconds`.
pub fn available_replicas(dep: &Deployment) -> u64 {
    let available = dep
        .status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0);
    u64::try_from(available).unwrap_or(0)
}

/// Replicas to start when scaling from zero: the template's `com.openfaas.scale.min`, at
/// least 1.
pub fn min_replicas(dep: &Deployment) -> u64 {
    let labels = template_labels(dep);
    let min = label_u32(&labels, LABEL_SCALE_MIN)
        .ok()
        .flatten()
        .unwrap_or(1);
    u64::from(min.max(1))
}

/// The function's own deadline, from the `exec_timeout`/`write_timeout` in its container env.
pub fn timeout(dep: &Deployment) -> Option<Duration> {
    let container = dep
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers.first())?;
    let env: BTreeMap<String, String> = container
        .env
        .iter()
        .flatten()
        .filter_map(|e| Some((e.name.clone(), e.value.clone()?)))
        .collect();
    function_timeout(&env)
}

/// The pod template's labels (where the function's `com.openfaas.scale.*` labels live).
pub fn template_labels(dep: &Deployment) -> BTreeMap<String, String> {
    dep.spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default()
}

/// `fprocess` apart from the other variables.
fn split_env(container: &Container) -> (Option<String>, BTreeMap<String, String>) {
    let mut env: BTreeMap<String, String> = container
        .env
        .iter()
        .flatten()
        .filter_map(|e| Some((e.name.clone(), e.value.clone()?)))
        .collect();
    (env.remove("fprocess"), env)
}

/// Limits and requests; each omitted when it holds nothing.
fn resources(container: &Container) -> (Option<FunctionResources>, Option<FunctionResources>) {
    let Some(r) = &container.resources else {
        return (None, None);
    };
    (
        r.limits.as_ref().and_then(to_function_resources),
        r.requests.as_ref().and_then(to_function_resources),
    )
}

fn to_function_resources(q: &BTreeMap<String, Quantity>) -> Option<FunctionResources> {
    let mut other: BTreeMap<String, String> =
        q.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect();
    let res = FunctionResources {
        memory: other.remove("memory"),
        cpu: other.remove("cpu"),
        other,
    };
    (res != FunctionResources::default()).then_some(res)
}

/// The node selector back as `k=v` constraints.
fn constraints(pod: &PodSpec) -> Vec<String> {
    pod.node_selector
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

/// Image-pull secrets and projected secrets, sorted.
fn secret_names(pod: &PodSpec) -> Vec<String> {
    let pull = pod
        .image_pull_secrets
        .iter()
        .flatten()
        .map(|s| s.name.clone());
    let projected = pod
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| v.projected.as_ref())
        .flat_map(|p| p.sources.iter().flatten())
        .filter_map(|s| s.secret.as_ref())
        .map(|s| s.name.clone());
    let mut names: Vec<String> = pull.chain(projected).collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::DeploymentStatus;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;
    use crate::config::ProviderConfig;
    use crate::objects::{function_deployment, updated_deployment};
    use crate::secrets::SecretMount;

    fn deployed(json: &str) -> (faas_core::FunctionDeployment, Deployment) {
        let d: faas_core::FunctionDeployment = serde_json::from_str(json).unwrap();
        let secrets: Vec<SecretMount> = d
            .secrets
            .iter()
            .map(|s| SecretMount {
                name: s.clone(),
                keys: vec![s.clone()],
                image_pull: false,
            })
            .collect();
        let dep = function_deployment(&d, &secrets, &ProviderConfig::default()).unwrap();
        (d, dep)
    }

    #[test]
    fn status_reports_what_was_deployed() {
        let (d, mut dep) = deployed(
            r#"{"service":"echo","image":"alpine:3","namespace":"dev","envProcess":"cat",
            "envVars":{"write_timeout":"10s"},"constraints":["disktype=ssd"],"secrets":["b","a"],
            "labels":{"com.openfaas.scale.min":"2"},"annotations":{"topic":"t"},
            "limits":{"memory":"128Mi"},"readOnlyRootFilesystem":true}"#,
        );
        dep.metadata.creation_timestamp = Some(Time("2026-01-02T03:04:05Z".parse().unwrap()));
        dep.status = Some(DeploymentStatus {
            available_replicas: Some(1),
            ..Default::default()
        });
        let s = function_status(&dep);
        assert_eq!(s.name, "echo");
        assert_eq!(s.namespace, "dev");
        assert_eq!(s.image, "alpine:3");
        assert_eq!(s.env_process.as_deref(), Some("cat"));
        assert_eq!(s.env_vars, d.env_vars);
        assert_eq!(s.constraints, ["disktype=ssd"]);
        assert_eq!(s.secrets, ["a", "b"]);
        assert_eq!(s.labels, d.labels);
        assert_eq!(s.annotations["topic"], "t");
        assert_eq!(s.annotations["prometheus.io.scrape"], "false");
        assert_eq!(s.limits.unwrap().memory.as_deref(), Some("128Mi"));
        assert_eq!(s.requests, None);
        assert!(s.read_only_root_filesystem);
        assert_eq!(s.replicas, 2);
        assert_eq!(s.available_replicas, 1);
        assert_eq!(s.created_at.to_string(), "2026-01-02T03:04:05Z");
        assert_eq!(timeout(&dep), Some(Duration::from_secs(10)));
        assert_eq!(min_replicas(&dep), 2);
        assert!(is_function(&dep));
    }

    #[test]
    fn available_replicas_come_from_the_status_only() {
        let (_, mut dep) = deployed(r#"{"service":"echo","image":"alpine:3"}"#);
        assert_eq!(available_replicas(&dep), 0);
        assert_eq!(desired_replicas(&dep), 1);
        dep.status = Some(DeploymentStatus {
            replicas: Some(3),
            ready_replicas: Some(3),
            available_replicas: Some(2),
            ..Default::default()
        });
        assert_eq!(available_replicas(&dep), 2);
        dep.spec.as_mut().unwrap().replicas = Some(0);
        assert_eq!(desired_replicas(&dep), 0);
        assert_eq!(min_replicas(&dep), 1);
    }

    #[test]
    fn rollout_label_is_hidden() {
        let (d, dep) = deployed(r#"{"service":"echo","image":"alpine:3","labels":{"team":"a"}}"#);
        let updated = updated_deployment(&dep, dep.clone(), &d, "99");
        assert_eq!(template_labels(&updated)["uid"], "99");
        let s = function_status(&updated);
        assert_eq!(s.labels, d.labels);
        assert_eq!(s.created_at, Timestamp::UNIX_EPOCH);
    }
}

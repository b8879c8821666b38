//! Pure builders of the Kubernetes objects a function is made of: its Deployment and Service
//! from a [`FunctionDeployment`] (`docs/kubernetes.md` §2), and the update of an existing
//! Deployment (§4). No I/O here: the provider fetches, these functions decide, the provider
//! sends.

use std::collections::BTreeMap;
use std::time::Duration;

use faas_core::timeout::function_timeout;
use faas_core::FunctionDeployment;
use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EmptyDirVolumeSource, EnvVar, HTTPGetAction, KeyToPath,
    LocalObjectReference, PodSpec, PodTemplateSpec, Probe, ProjectedVolumeSource,
    ResourceRequirements, SecretProjection, SecurityContext, Service, ServicePort, ServiceSpec,
    Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::config::ProviderConfig;
use crate::error::Error;
use crate::labels::{
    FUNCTION_LABEL, PROMETHEUS_SCRAPE_ANNOTATION, ROLLOUT_LABEL, SECRETS_MOUNT_PATH, WATCHDOG_PORT,
};
use crate::secrets::SecretMount;

/// Path both probes ask the watchdog (classic and of-watchdog both serve it; `/_/ready` exists
/// only in of-watchdog, so probing it would never pass on classic images).
pub const HEALTH_PATH: &str = "/_/health";

/// User id function containers run as with [`ProviderConfig::run_as_non_root`].
pub const NON_ROOT_USER: i64 = 12000;

/// Grace period when the function sets no timeout: the watchdog's 30 s default plus 2 s.
const DEFAULT_GRACE_SECONDS: i64 = 32;

/// Name of the `emptyDir` volume mounted at `/tmp` on read-only root filesystems.
const TEMP_VOLUME: &str = "temp";

/// The Deployment for a new function (§2.1). `secrets` are the function's secrets as fetched
/// from the namespace, in request order; image-pull secrets among them go to
/// `imagePullSecrets`, the rest are projected at `/var/openfaas/secrets`.
pub fn function_deployment(
    d: &FunctionDeployment,
    secrets: &[SecretMount],
    config: &ProviderConfig,
) -> Result<Deployment, Error> {
    let name = d.service.clone();
    let selector = function_selector(&name);
    let annotations = function_annotations(d);
    let mut template_labels = selector.clone();
    template_labels.extend(d.labels.clone());
    template_labels.insert(FUNCTION_LABEL.to_owned(), name.clone());

    Ok(Deployment {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(d.namespace_or_default().to_owned()),
            labels: Some(selector.clone()),
            annotations: Some(annotations.clone()),
            ..Default::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(initial_replicas(d)),
            selector: LabelSelector {
                match_labels: Some(selector),
                ..Default::default()
            },
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_unavailable: Some(IntOrString::Int(0)),
                    max_surge: Some(IntOrString::Int(1)),
                }),
            }),
            revision_history_limit: Some(10),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    name: Some(name),
                    labels: Some(template_labels),
                    annotations: Some(annotations),
                    ..Default::default()
                }),
                spec: Some(pod_spec(d, secrets, config)?),
            },
            ..Default::default()
        }),
        status: None,
    })
}

/// The Service in front of a function (§2.2): ClusterIP, port 8080, selecting its pods.
pub fn function_service(d: &FunctionDeployment) -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some(d.service.clone()),
            namespace: Some(d.namespace_or_default().to_owned()),
            annotations: Some(function_annotations(d)),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(function_selector(&d.service)),
            ports: Some(vec![ServicePort {
                name: Some("http".to_owned()),
                protocol: Some("TCP".to_owned()),
                port: WATCHDOG_PORT,
                target_port: Some(IntOrString::Int(WATCHDOG_PORT)),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    }
}

/// The Deployment to `replace` `existing` with for an update (§4): `desired` (built by
/// [`function_deployment`]) carried onto the existing object's metadata — its own labels and
/// `resourceVersion` kept, annotations replaced — with the existing selector (immutable),
/// replicas kept unless the request sets `com.openfaas.scale.min`, and the pod template
/// labelled with `rollout_id` so the pods roll even when nothing else changed.
pub fn updated_deployment(
    existing: &Deployment,
    desired: Deployment,
    d: &FunctionDeployment,
    rollout_id: &str,
) -> Deployment {
    let mut metadata = existing.metadata.clone();
    metadata.annotations = desired.metadata.annotations;
    metadata.managed_fields = None;
    let existing_spec = existing.spec.clone().unwrap_or_default();
    let mut spec = desired.spec.unwrap_or_default();
    spec.selector = existing_spec.selector;
    if !d.labels.contains_key(faas_core::function::LABEL_SCALE_MIN) {
        spec.replicas = existing_spec.replicas;
    }
    if let Some(meta) = spec.template.metadata.as_mut() {
        meta.labels
            .get_or_insert_with(BTreeMap::new)
            .insert(ROLLOUT_LABEL.to_owned(), rollout_id.to_owned());
    }
    Deployment {
        metadata,
        spec: Some(spec),
        status: None,
    }
}

/// `{faas_function: <name>}`: the Deployment's labels and selector, and the Service's selector.
pub fn function_selector(name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(FUNCTION_LABEL.to_owned(), name.to_owned())])
}

/// Request annotations plus `prometheus.io.scrape: "false"` unless the request sets it.
fn function_annotations(d: &FunctionDeployment) -> BTreeMap<String, String> {
    let mut annotations = d.annotations.clone();
    annotations
        .entry(PROMETHEUS_SCRAPE_ANNOTATION.to_owned())
        .or_insert_with(|| "false".to_owned());
    annotations
}

/// `com.openfaas.scale.min` when it is a whole number (0 allowed: deployed scaled to zero),
/// else 1.
fn initial_replicas(d: &FunctionDeployment) -> i32 {
    d.min_replicas()
        .ok()
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(1)
}

fn pod_spec(
    d: &FunctionDeployment,
    secrets: &[SecretMount],
    config: &ProviderConfig,
) -> Result<PodSpec, Error> {
    let mut volumes = Vec::new();
    let mut mounts = Vec::new();
    if d.read_only_root_filesystem {
        volumes.push(Volume {
            name: TEMP_VOLUME.to_owned(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
        mounts.push(VolumeMount {
            name: TEMP_VOLUME.to_owned(),
            mount_path: "/tmp".to_owned(),
            ..Default::default()
        });
    }
    let (pull_secrets, projected): (Vec<&SecretMount>, Vec<&SecretMount>) =
        secrets.iter().partition(|s| s.image_pull);
    if !projected.is_empty() {
        let volume_name = format!("{}-projected-secrets", d.service);
        volumes.push(Volume {
            name: volume_name.clone(),
            projected: Some(ProjectedVolumeSource {
                sources: Some(projected.iter().map(|s| secret_projection(s)).collect()),
                ..Default::default()
            }),
            ..Default::default()
        });
        mounts.push(VolumeMount {
            name: volume_name,
            mount_path: SECRETS_MOUNT_PATH.to_owned(),
            read_only: Some(true),
            ..Default::default()
        });
    }
    let node_selector = node_selector(&d.constraints)?;

    Ok(PodSpec {
        containers: vec![function_container(d, mounts, config)],
        volumes: (!volumes.is_empty()).then_some(volumes),
        image_pull_secrets: (!pull_secrets.is_empty()).then(|| {
            pull_secrets
                .iter()
                .map(|s| LocalObjectReference {
                    name: s.name.clone(),
                })
                .collect()
        }),
        node_selector: (!node_selector.is_empty()).then_some(node_selector),
        restart_policy: Some("Always".to_owned()),
        dns_policy: Some("ClusterFirst".to_owned()),
        enable_service_links: Some(false),
        termination_grace_period_seconds: Some(grace_period_seconds(d)),
        ..Default::default()
    })
}

fn function_container(
    d: &FunctionDeployment,
    mounts: Vec<VolumeMount>,
    config: &ProviderConfig,
) -> Container {
    let env: Vec<EnvVar> = d
        .effective_env()
        .into_iter()
        .map(|(name, value)| EnvVar {
            name,
            value: Some(value),
            value_from: None,
        })
        .collect();
    let limits = resource_quantities(d.limits.as_ref());
    let requests = resource_quantities(d.requests.as_ref());
    let resources = (!limits.is_empty() || !requests.is_empty()).then(|| ResourceRequirements {
        limits: (!limits.is_empty()).then_some(limits),
        requests: (!requests.is_empty()).then_some(requests),
        ..Default::default()
    });
    Container {
        name: d.service.clone(),
        image: Some(d.image.clone()),
        ports: Some(vec![ContainerPort {
            name: Some("http".to_owned()),
            container_port: WATCHDOG_PORT,
            protocol: Some("TCP".to_owned()),
            ..Default::default()
        }]),
        env: (!env.is_empty()).then_some(env),
        resources,
        image_pull_policy: config.image_pull_policy.map(|p| p.as_str().to_owned()),
        liveness_probe: Some(health_probe()),
        readiness_probe: Some(health_probe()),
        security_context: Some(SecurityContext {
            read_only_root_filesystem: Some(d.read_only_root_filesystem),
            allow_privilege_escalation: Some(false),
            run_as_user: config.run_as_non_root.then_some(NON_ROOT_USER),
            ..Default::default()
        }),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        ..Default::default()
    }
}

/// `httpGet /_/health:8080`, every 2 s after 2 s, 1 s timeout, 3 failures (§3).
fn health_probe() -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(HEALTH_PATH.to_owned()),
            port: IntOrString::Int(WATCHDOG_PORT),
            ..Default::default()
        }),
        initial_delay_seconds: Some(2),
        timeout_seconds: Some(1),
        period_seconds: Some(2),
        success_threshold: Some(1),
        failure_threshold: Some(3),
        ..Default::default()
    }
}

/// `memory`, `cpu` and any extended resource (`nvidia.com/gpu`) as Kubernetes quantities.
fn resource_quantities(res: Option<&faas_core::FunctionResources>) -> BTreeMap<String, Quantity> {
    let Some(res) = res else {
        return BTreeMap::new();
    };
    let mut out: BTreeMap<String, Quantity> = res
        .other
        .iter()
        .map(|(k, v)| (k.clone(), Quantity(v.clone())))
        .collect();
    if let Some(m) = res.memory.as_ref().filter(|m| !m.is_empty()) {
        out.insert("memory".to_owned(), Quantity(m.clone()));
    }
    if let Some(c) = res.cpu.as_ref().filter(|c| !c.is_empty()) {
        out.insert("cpu".to_owned(), Quantity(c.clone()));
    }
    out
}

/// One projection per secret, each data key a file of the same name.
fn secret_projection(secret: &SecretMount) -> VolumeProjection {
    VolumeProjection {
        secret: Some(SecretProjection {
            name: secret.name.clone(),
            items: Some(
                secret
                    .keys
                    .iter()
                    .map(|k| KeyToPath {
                        key: k.clone(),
                        path: k.clone(),
                        mode: None,
                    })
                    .collect(),
            ),
            optional: None,
        }),
        ..Default::default()
    }
}

/// Placement constraints as a `nodeSelector`: `k=v` or `k == v`, spaces trimmed; the Swarm-era
/// `node.platform.os`/`node.platform.arch` become `kubernetes.io/os`/`kubernetes.io/arch`.
/// Anything else is rejected (upstream dropped it silently).
pub fn node_selector(constraints: &[String]) -> Result<BTreeMap<String, String>, Error> {
    let mut selector = BTreeMap::new();
    for c in constraints {
        let (key, value) = c
            .split_once("==")
            .or_else(|| c.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim()))
            .filter(|(k, v)| !k.is_empty() && !v.is_empty() && !v.contains('='))
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "invalid constraint {c:?}: use key=value or key == value"
                ))
            })?;
        let key = match key {
            "node.platform.os" => "kubernetes.io/os",
            "node.platform.arch" => "kubernetes.io/arch",
            other => other,
        };
        selector.insert(key.to_owned(), value.to_owned());
    }
    Ok(selector)
}

/// The function's timeout plus 2 s, so the watchdog can finish in-flight requests when its
/// pod stops; 32 s when the function sets none.
fn grace_period_seconds(d: &FunctionDeployment) -> i64 {
    function_timeout(&d.env_vars)
        .map(|t| {
            let whole = (t + Duration::from_secs(2)).as_secs_f64().ceil();
            whole.min(i64::MAX as f64) as i64
        })
        .unwrap_or(DEFAULT_GRACE_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodeinfo() -> FunctionDeployment {
        serde_json::from_str(
            r#"{"service":"nodeinfo","image":"ghcr.io/openfaas/nodeinfo:latest","envProcess":"node index.js",
            "envVars":{"write_debug":"true"},"labels":{"com.openfaas.scale.min":"2","team":"a"},
            "annotations":{"topic":"cron-function"},"secrets":["api-key"],"limits":{"memory":"128Mi","cpu":"200m"},
            "requests":{"memory":"64Mi","cpu":"50m"},"readOnlyRootFilesystem":true}"#,
        )
        .unwrap()
    }

    fn api_key() -> Vec<SecretMount> {
        vec![SecretMount {
            name: "api-key".into(),
            keys: vec!["api-key".into()],
            image_pull: false,
        }]
    }

    #[test]
    fn deployment_follows_the_contract() {
        let dep = function_deployment(&nodeinfo(), &api_key(), &ProviderConfig::default()).unwrap();
        assert_eq!(dep.metadata.name.as_deref(), Some("nodeinfo"));
        assert_eq!(dep.metadata.labels, Some(function_selector("nodeinfo")));
        let spec = dep.spec.unwrap();
        assert_eq!(spec.replicas, Some(2));
        let template_labels = spec.template.metadata.unwrap().labels.unwrap();
        assert_eq!(template_labels["team"], "a");
        assert_eq!(template_labels["faas_function"], "nodeinfo");
        let pod = spec.template.spec.unwrap();
        let c = &pod.containers[0];
        assert_eq!(c.name, "nodeinfo");
        let env: Vec<_> = c
            .env
            .as_ref()
            .unwrap()
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(env, ["fprocess", "write_debug"]);
        let mounts = c.volume_mounts.as_ref().unwrap();
        assert_eq!(mounts[0].mount_path, "/tmp");
        assert_eq!(mounts[1].mount_path, "/var/openfaas/secrets");
        assert_eq!(mounts[1].read_only, Some(true));
        assert_eq!(c.image_pull_policy, None);
        assert_eq!(pod.node_selector, None);
        assert_eq!(pod.termination_grace_period_seconds, Some(32));
    }

    #[test]
    fn pull_secrets_are_not_projected() {
        let mut d = nodeinfo();
        d.read_only_root_filesystem = false;
        let pull = vec![SecretMount {
            name: "registry".into(),
            keys: vec![".dockerconfigjson".into()],
            image_pull: true,
        }];
        let pod = function_deployment(&d, &pull, &ProviderConfig::default())
            .unwrap()
            .spec
            .unwrap()
            .template
            .spec
            .unwrap();
        assert_eq!(pod.volumes, None);
        assert_eq!(pod.containers[0].volume_mounts, None);
        assert_eq!(pod.image_pull_secrets.unwrap()[0].name, "registry");
    }

    #[test]
    fn replicas_default_to_one_and_allow_zero() {
        let mut d = nodeinfo();
        d.labels.clear();
        let replicas = |d: &FunctionDeployment| {
            function_deployment(d, &[], &ProviderConfig::default())
                .unwrap()
                .spec
                .unwrap()
                .replicas
        };
        assert_eq!(replicas(&d), Some(1));
        d.labels.insert("com.openfaas.scale.min".into(), "0".into());
        assert_eq!(replicas(&d), Some(0));
        d.labels
            .insert("com.openfaas.scale.min".into(), "many".into());
        assert_eq!(replicas(&d), Some(1));
    }

    #[test]
    fn constraints_become_a_node_selector() {
        let got = node_selector(&[
            "node.platform.os == linux".into(),
            "disktype=ssd".into(),
            " zone = a ".into(),
        ])
        .unwrap();
        let want: BTreeMap<String, String> = [
            ("kubernetes.io/os", "linux"),
            ("disktype", "ssd"),
            ("zone", "a"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(got, want);
        for bad in ["linux", "=x", "k=", "a=b=c"] {
            assert!(node_selector(&[bad.into()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn grace_period_follows_the_timeout() {
        let mut d = nodeinfo();
        d.env_vars.insert("write_timeout".into(), "1m".into());
        assert_eq!(grace_period_seconds(&d), 62);
    }

    #[test]
    fn update_keeps_identity_and_replicas_and_rolls() {
        let config = ProviderConfig::default();
        let mut existing = function_deployment(&nodeinfo(), &api_key(), &config).unwrap();
        existing.metadata.resource_version = Some("41".into());
        existing
            .metadata
            .labels
            .as_mut()
            .unwrap()
            .insert("owner".into(), "ops".into());
        existing.spec.as_mut().unwrap().replicas = Some(5);
        let mut d = nodeinfo();
        d.labels.remove("com.openfaas.scale.min");
        d.image = "ghcr.io/openfaas/nodeinfo:2".into();
        let desired = function_deployment(&d, &[], &config).unwrap();
        let updated = updated_deployment(&existing, desired, &d, "12345");
        assert_eq!(updated.metadata.resource_version.as_deref(), Some("41"));
        assert_eq!(updated.metadata.labels.as_ref().unwrap()["owner"], "ops");
        let spec = updated.spec.unwrap();
        assert_eq!(spec.replicas, Some(5));
        let template = spec.template;
        assert_eq!(template.metadata.unwrap().labels.unwrap()["uid"], "12345");
        let c = &template.spec.unwrap().containers[0];
        assert_eq!(c.image.as_deref(), Some("ghcr.io/openfaas/nodeinfo:2"));
    }

    #[test]
    fn service_selects_the_function() {
        let svc = function_service(&nodeinfo());
        assert_eq!(svc.metadata.labels, None);
        let spec = svc.spec.unwrap();
        assert_eq!(spec.selector, Some(function_selector("nodeinfo")));
        assert_eq!(spec.ports.unwrap()[0].port, 8080);
    }
}

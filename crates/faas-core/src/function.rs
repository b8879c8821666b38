//! Functions: the deploy/update document, the status document and the scale and delete
//! requests (docs/api.md §5).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::ProviderError;
use crate::name::{namespace_or_default, validate_function_name, validate_namespace, FunctionRef};
use crate::quantity::{parse_cpu_millis, parse_memory_bytes};

/// Label: initial and minimum replicas (default 1).
pub const LABEL_SCALE_MIN: &str = "com.openfaas.scale.min";
/// Label: maximum replicas (no maximum when absent).
pub const LABEL_SCALE_MAX: &str = "com.openfaas.scale.max";
/// Label: `true` lets the platform scale an idle function to zero.
pub const LABEL_SCALE_ZERO: &str = "com.openfaas.scale.zero";
/// Label: how long a function must be idle before it is scaled to zero (Go duration).
pub const LABEL_SCALE_ZERO_DURATION: &str = "com.openfaas.scale.zero-duration";
/// Prefix reserved for the platform's own bookkeeping labels; users may not set these.
pub const INTERNAL_LABEL_PREFIX: &str = "com.openfaas.internal.";

/// The body of `POST` and `PUT /system/functions`: everything needed to run a function
/// (docs/api.md §5.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionDeployment {
    /// The function's name (a DNS-1123 label).
    pub service: String,
    /// The OCI image reference to run.
    pub image: String,
    /// The namespace; `None` means `openfaas-fn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The process the watchdog runs, set as env `fprocess`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_process: Option<String>,
    /// Environment variables for the function's container.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub env_vars: BTreeMap<String, String>,
    /// Placement hints (`k == v`); ignored by a single node.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub constraints: Vec<String>,
    /// Names of secrets mounted at `/var/openfaas/secrets/<name>`.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub secrets: Vec<String>,
    /// Function labels, including the `com.openfaas.scale.*` ones.
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// Function annotations.
    #[serde(default, deserialize_with = "null_as_default")]
    pub annotations: BTreeMap<String, String>,
    /// Resource limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<FunctionResources>,
    /// Resource requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<FunctionResources>,
    /// Whether the root filesystem is read-only (a writable `/tmp` is provided).
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only_root_filesystem: bool,
}

/// Memory and CPU quantities (`128Mi`, `500m`); other keys (`nvidia.com/gpu`) are kept as given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionResources {
    /// Memory quantity, e.g. `128Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// CPU quantity, e.g. `500m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Any other resource a newer client sends; accepted and kept, not enforced.
    #[serde(flatten)]
    pub other: BTreeMap<String, String>,
}

impl FunctionDeployment {
    /// The function's address.
    pub fn function_ref(&self) -> FunctionRef {
        FunctionRef::new(self.service.clone(), self.namespace.as_deref())
    }

    /// The namespace, defaulted.
    pub fn namespace_or_default(&self) -> &str {
        namespace_or_default(self.namespace.as_deref())
    }

    /// Checks everything that can be checked without a backend: names, image, quantities,
    /// scale labels and reserved label prefixes. The error says what to fix.
    pub fn validate(&self) -> Result<(), ProviderError> {
        validate_function_name(&self.service)?;
        validate_namespace(self.namespace_or_default())?;
        if self.image.trim().is_empty() {
            return Err(ProviderError::invalid(format!(
                "function {:?} has no image: set \"image\"",
                self.service
            )));
        }
        for res in [&self.limits, &self.requests].into_iter().flatten() {
            if let Some(m) = &res.memory {
                parse_memory_bytes(m)?;
            }
            if let Some(c) = &res.cpu {
                parse_cpu_millis(c)?;
            }
        }
        let min = self.min_replicas()?;
        if let Some(max) = self.max_replicas()? {
            if max < min {
                return Err(ProviderError::invalid(format!(
                    "label {LABEL_SCALE_MAX}={max} is below {LABEL_SCALE_MIN}={min}"
                )));
            }
        }
        idle_timeout(&self.labels)?;
        for key in self.labels.keys().chain(self.annotations.keys()) {
            if key.starts_with(INTERNAL_LABEL_PREFIX) {
                return Err(ProviderError::invalid(format!(
                    "label or annotation {key:?} uses the reserved prefix {INTERNAL_LABEL_PREFIX:?}"
                )));
            }
        }
        Ok(())
    }

    /// The container environment: `envVars` plus `fprocess` from `envProcess`, where an
    /// `envVars.fprocess` wins.
    pub fn effective_env(&self) -> BTreeMap<String, String> {
        let mut env = self.env_vars.clone();
        if let Some(p) = &self.env_process {
            if !p.is_empty() {
                env.entry("fprocess".to_owned())
                    .or_insert_with(|| p.clone());
            }
        }
        env
    }

    /// Replicas to start with and keep at least: label `com.openfaas.scale.min`, default 1.
    pub fn min_replicas(&self) -> Result<u32, ProviderError> {
        Ok(label_u32(&self.labels, LABEL_SCALE_MIN)?.unwrap_or(1))
    }

    /// The most replicas allowed: label `com.openfaas.scale.max`, if set.
    pub fn max_replicas(&self) -> Result<Option<u32>, ProviderError> {
        label_u32(&self.labels, LABEL_SCALE_MAX)
    }
}

/// How long a function idles before it is scaled to zero when its labels ask for that
/// (`com.openfaas.scale.zero=true`; `com.openfaas.scale.zero-duration`, a Go duration, default
/// [`DEFAULT_IDLE_TIMEOUT`]); `None` when they do not.
pub fn idle_timeout(
    labels: &BTreeMap<String, String>,
) -> Result<Option<std::time::Duration>, ProviderError> {
    let enabled = match labels.get(LABEL_SCALE_ZERO).map(|v| v.trim()) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(ProviderError::invalid(format!(
                "label {LABEL_SCALE_ZERO}={v:?} must be true or false"
            )))
        }
    };
    let duration = match labels.get(LABEL_SCALE_ZERO_DURATION) {
        Some(v) => crate::timeout::parse_duration(v).map_err(|e| {
            ProviderError::invalid(format!("label {LABEL_SCALE_ZERO_DURATION}: {e}"))
        })?,
        None => DEFAULT_IDLE_TIMEOUT,
    };
    if enabled && duration.is_zero() {
        return Err(ProviderError::invalid(format!(
            "label {LABEL_SCALE_ZERO_DURATION} must be longer than 0"
        )));
    }
    Ok(enabled.then_some(duration))
}

/// The idle time before scale to zero when `com.openfaas.scale.zero-duration` is not set
/// (upstream's default, 15 minutes).
pub const DEFAULT_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Reads an unsigned integer label, with an error naming the label when it does not parse.
pub fn label_u32(
    labels: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<u32>, ProviderError> {
    labels
        .get(key)
        .map(|v| {
            v.trim().parse::<u32>().map_err(|_| {
                ProviderError::invalid(format!(
                    "label {key}={v:?} must be a whole number of replicas"
                ))
            })
        })
        .transpose()
}

/// One item of `GET /system/functions`, and the body of `GET /system/function/{name}`
/// (docs/api.md §5.3). One shape for both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionStatus {
    /// The function's name.
    pub name: String,
    /// The image it runs.
    pub image: String,
    /// Its namespace.
    #[serde(default)]
    pub namespace: String,
    /// The `envProcess` it was deployed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_process: Option<String>,
    /// The `envVars` it was deployed with.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub env_vars: BTreeMap<String, String>,
    /// Its placement constraints.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub constraints: Vec<String>,
    /// Secrets it mounts.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub secrets: Vec<String>,
    /// Its labels.
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: BTreeMap<String, String>,
    /// Its annotations.
    #[serde(default, deserialize_with = "null_as_default")]
    pub annotations: BTreeMap<String, String>,
    /// Its limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<FunctionResources>,
    /// Its requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<FunctionResources>,
    /// Whether its root filesystem is read-only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only_root_filesystem: bool,
    /// Synchronous invocations seen by the gateway (all status codes). Providers leave it 0;
    /// the gateway fills it from its counters.
    #[serde(default, with = "go_count")]
    pub invocation_count: u64,
    /// Desired replicas.
    #[serde(default)]
    pub replicas: u64,
    /// Replicas that passed a readiness check.
    #[serde(default)]
    pub available_replicas: u64,
    /// When the function was first deployed.
    pub created_at: Timestamp,
    /// Resource usage, when the provider measures it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<FunctionUsage>,
}

impl FunctionStatus {
    /// The status of a freshly deployed function: the deployment's fields, no replicas yet.
    pub fn from_deployment(d: &FunctionDeployment, created_at: Timestamp) -> Self {
        Self {
            name: d.service.clone(),
            image: d.image.clone(),
            namespace: d.namespace_or_default().to_owned(),
            env_process: d.env_process.clone(),
            env_vars: d.env_vars.clone(),
            constraints: d.constraints.clone(),
            secrets: d.secrets.clone(),
            labels: d.labels.clone(),
            annotations: d.annotations.clone(),
            limits: d.limits.clone(),
            requests: d.requests.clone(),
            read_only_root_filesystem: d.read_only_root_filesystem,
            invocation_count: 0,
            replicas: 0,
            available_replicas: 0,
            created_at,
            usage: None,
        }
    }

    /// The function's address.
    pub fn function_ref(&self) -> FunctionRef {
        FunctionRef::new(self.name.clone(), Some(&self.namespace))
    }
}

/// Measured resource usage of a function's replicas (`usage` in docs/api.md §5.3). Upstream omits
/// a field that is 0, so both default to 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionUsage {
    /// CPU used by all replicas since the provider's previous measurement, in millicores
    /// (thousandths of a core, as Kubernetes counts them and as `faas-cli describe` prints them).
    #[serde(default, with = "go_float")]
    pub cpu: f64,
    /// Memory used by all replicas, in bytes.
    #[serde(default, with = "go_float")]
    pub total_memory_bytes: f64,
}

/// The body of `POST /system/scale-function/{name}` (docs/api.md §5.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleServiceRequest {
    /// The function's name; when present it must match the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// The desired number of replicas (0 allowed).
    pub replicas: u64,
    /// The namespace; `None` means `openfaas-fn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// The body of `DELETE /system/functions` (docs/api.md §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteFunctionRequest {
    /// The function to delete.
    #[serde(default)]
    pub function_name: String,
    /// Its namespace; `None` means `openfaas-fn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Deserializes `null` as the type's default (Go clients send `null` for empty slices and maps).
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A count that Go clients encode as a JSON float: written as an integer, read from either.
mod go_count {
    use super::*;

    pub(super) fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let v = Option::<f64>::deserialize(d)?.unwrap_or(0.0);
        Ok(if v.is_finite() && v > 0.0 {
            v as u64
        } else {
            0
        })
    }
}

/// A float written the way Go's encoder writes it: integral values without a fraction.
mod go_float {
    use super::*;

    pub(super) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            s.serialize_i64(*v as i64)
        } else {
            s.serialize_f64(*v)
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        f64::deserialize(d)
    }
}

#[cfg(test)]
mod tests;

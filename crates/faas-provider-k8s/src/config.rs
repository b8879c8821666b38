//! [`ProviderConfig`]: how the Kubernetes provider is told to behave at start-up.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use faas_core::DEFAULT_NAMESPACE;

/// How function containers pull their image (`imagePullPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImagePullPolicy {
    /// Pull on every pod start.
    Always,
    /// Pull only when the node does not have the image (good for images imported into k3s).
    IfNotPresent,
    /// Never pull; the image must be on the node.
    Never,
}

impl ImagePullPolicy {
    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "Always",
            Self::IfNotPresent => "IfNotPresent",
            Self::Never => "Never",
        }
    }
}

impl fmt::Display for ImagePullPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImagePullPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "Always" => Ok(Self::Always),
            "IfNotPresent" => Ok(Self::IfNotPresent),
            "Never" => Ok(Self::Never),
            other => Err(format!(
                "unknown image pull policy {other:?}: use Always, IfNotPresent or Never"
            )),
        }
    }
}

/// What the provider is told at start-up. Build it with struct-update syntax over
/// [`Default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// The default namespace for functions and secrets (default `openfaas-fn`).
    pub function_namespace: String,
    /// Serve every Namespace annotated `openfaas` as well as the function namespace, watch
    /// all namespaces, and allow the namespace API. Needs the ClusterRole from
    /// `deploy/k8s/multi-namespace/`; off, the provider needs only a Role in the function
    /// namespace.
    pub multi_namespace: bool,
    /// `imagePullPolicy` of function containers; `None` leaves Kubernetes' default (pull
    /// `:latest` always, tagged images when absent).
    pub image_pull_policy: Option<ImagePullPolicy>,
    /// Run function containers as user 12000 instead of the image's user.
    pub run_as_non_root: bool,
    /// How long `list` and `get` wait for the first sync of the Deployment cache before
    /// answering `Unavailable` (default 10 s).
    pub cache_sync_timeout: Duration,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            function_namespace: DEFAULT_NAMESPACE.to_owned(),
            multi_namespace: false,
            image_pull_policy: None,
            run_as_non_root: false,
            cache_sync_timeout: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_round_trips() {
        for p in [
            ImagePullPolicy::Always,
            ImagePullPolicy::IfNotPresent,
            ImagePullPolicy::Never,
        ] {
            assert_eq!(p.as_str().parse::<ImagePullPolicy>(), Ok(p));
        }
        assert!("always".parse::<ImagePullPolicy>().is_err());
        assert_eq!(ProviderConfig::default().function_namespace, "openfaas-fn");
    }
}

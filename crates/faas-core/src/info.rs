//! `GET /system/info`: gateway and provider versions (docs/api.md §8). Every field faas-cli reads is
//! always present, so `faas-cli version` never crashes.

use serde::{Deserialize, Serialize};

/// A component's version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Optional one-line description of the build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_message: Option<String>,
    /// The source revision.
    #[serde(default)]
    pub sha: String,
    /// The release number.
    #[serde(default)]
    pub release: String,
}

/// What a provider says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderInfo {
    /// The provider's name, e.g. `faasd`.
    pub provider: String,
    /// `containerd` or `kubernetes` (or a downstream provider's own word).
    pub orchestration: String,
    /// The provider's version.
    pub version: VersionInfo,
}

/// The body of `GET /system/info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayInfo {
    /// The provider behind the gateway.
    pub provider: ProviderInfo,
    /// The gateway's own version.
    pub version: VersionInfo,
    /// The machine architecture, e.g. `x86_64`.
    #[serde(default)]
    pub arch: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_round_trips() {
        let json = r#"{"provider":{"provider":"faasd","orchestration":"containerd","version":{"sha":"ffac4063b6c59e618f744dfdec204773d07f22a7","release":"0.18.7"}},"version":{"commit_message":"See GitHub for latest changes","sha":"4679f278","release":"0.27.5"},"arch":"x86_64"}"#;
        let info: GatewayInfo = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&info).unwrap(), json);
    }
}

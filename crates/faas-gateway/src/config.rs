//! [`GatewayConfig`]: everything the gateway is told at start-up.

use std::sync::Arc;
use std::time::Duration;

use faas_core::{InvocationQueue, VersionInfo};

use crate::auth::BasicAuth;

/// How the gateway behaves. Build it with struct-update syntax over [`Default`]:
/// `GatewayConfig { auth: Some(..), ..Default::default() }`.
#[derive(Clone)]
pub struct GatewayConfig {
    /// Credentials required on every `/system/*` route. `None` turns auth off; binaries should
    /// always set it (docs/api.md §4: auth is on by default).
    pub auth: Option<BasicAuth>,
    /// Invocation deadline of a function that sets no `exec_timeout`/`write_timeout`
    /// (default 60 s).
    pub default_timeout: Duration,
    /// The longest invocation deadline any function gets (default 5 min).
    pub max_timeout: Duration,
    /// Added to a function's own timeout, so its watchdog answers before the gateway gives up
    /// (default 500 ms).
    pub timeout_margin: Duration,
    /// The most replicas `/system/scale-function` accepts (default 100); above it → 400.
    pub max_replicas: u64,
    /// Whether an invocation of a function scaled to zero scales it up and waits (default true).
    /// When off, such a call gets 503 at once.
    pub scale_from_zero: bool,
    /// How long an invocation waits for a replica to become ready; `None` (the default) waits
    /// up to the function's own deadline.
    pub scale_from_zero_wait: Option<Duration>,
    /// Where `/async-function` calls go. `None`: that route answers 404.
    pub queue: Option<Arc<dyn InvocationQueue>>,
    /// Largest `/async-function` body (default 8 MiB); larger → 413.
    pub async_body_limit: usize,
    /// Largest JSON body of a `/system/*` request (default 8 MiB); larger → 413.
    pub system_body_limit: usize,
    /// The gateway's version, for `/system/info` and `X-Served-By`.
    pub version: VersionInfo,
    /// The machine architecture for `/system/info` (default: this build's target arch).
    pub arch: String,
    /// After shutdown is signalled, how long in-flight requests (and followed log streams) may
    /// run before their connections are dropped (default 30 s).
    pub drain_timeout: Duration,
    /// The namespace of a request that names none (default `openfaas-fn`; upstream's
    /// `function_namespace`, docs/api.md §14). A faasd or faas-k8s on another function namespace sets it.
    pub default_namespace: String,
    /// How often functions labelled `com.openfaas.scale.zero=true` are checked for idleness
    /// and scaled to zero once idle for their `com.openfaas.scale.zero-duration` (see
    /// [`Gateway::idle_scaler`](crate::Gateway::idle_scaler)); `None` turns idle scale-to-zero
    /// off. Default 10 s.
    pub idle_check_interval: Option<Duration>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            auth: None,
            default_timeout: Duration::from_secs(60),
            max_timeout: Duration::from_secs(5 * 60),
            timeout_margin: Duration::from_millis(500),
            max_replicas: 100,
            scale_from_zero: true,
            scale_from_zero_wait: None,
            queue: None,
            async_body_limit: 8 << 20,
            system_body_limit: 8 << 20,
            default_namespace: faas_core::DEFAULT_NAMESPACE.to_owned(),
            version: VersionInfo {
                commit_message: None,
                sha: "unknown".to_owned(),
                release: env!("CARGO_PKG_VERSION").to_owned(),
            },
            arch: std::env::consts::ARCH.to_owned(),
            drain_timeout: Duration::from_secs(30),
            idle_check_interval: Some(Duration::from_secs(10)),
        }
    }
}

impl std::fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("auth", &self.auth)
            .field("default_timeout", &self.default_timeout)
            .field("max_timeout", &self.max_timeout)
            .field("timeout_margin", &self.timeout_margin)
            .field("max_replicas", &self.max_replicas)
            .field("scale_from_zero", &self.scale_from_zero)
            .field("scale_from_zero_wait", &self.scale_from_zero_wait)
            .field("queue", &self.queue.as_ref().map(|_| "configured"))
            .field("async_body_limit", &self.async_body_limit)
            .field("system_body_limit", &self.system_body_limit)
            .field("version", &self.version)
            .field("arch", &self.arch)
            .field("drain_timeout", &self.drain_timeout)
            .field("default_namespace", &self.default_namespace)
            .field("idle_check_interval", &self.idle_check_interval)
            .finish()
    }
}

impl GatewayConfig {
    /// The invocation deadline of a function whose own timeout is `function_timeout`: that plus
    /// the margin, else the default; never above the maximum.
    pub fn deadline_for(&self, function_timeout: Option<Duration>) -> Duration {
        function_timeout
            .map_or(self.default_timeout, |t| t + self.timeout_margin)
            .min(self.max_timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_takes_function_timeout_plus_margin_capped() {
        let c = GatewayConfig::default();
        assert_eq!(c.deadline_for(None), Duration::from_secs(60));
        assert_eq!(
            c.deadline_for(Some(Duration::from_secs(1))),
            Duration::from_millis(1500)
        );
        assert_eq!(
            c.deadline_for(Some(Duration::from_secs(3600))),
            Duration::from_secs(300)
        );
        assert!(format!("{c:?}").contains("scale_from_zero: true"));
    }
}

//! The end-to-end test harness of faasd mode: shared services, one isolated world per test, the
//! real `faasd up` binary, and a gateway client with basic auth.
//!
//! A test reads:
//!
//! ```ignore
//! let Some(env) = TestEnv::new().await else { return }; // skip line printed when no services
//! let faasd = env.start_faasd(&[]).await;               // `faasd up` on 127.0.0.1:0
//! let gw = faasd.gateway();
//! gw.deploy(&env.deployment("echo", &image)).await;
//! gw.wait_available("echo", 1).await;
//! assert_eq!(gw.invoke("echo", "/").await.status, 200);
//! env.finish(faasd).await;                              // kill faasd, purge namespace and bridge
//! ```
//!
//! # Layout
//! - [`services`]: containerd, the registry and nats-server, started once with
//!   `scripts/services/*.sh` under `target/tmp/e2e` or reused (`FAAS_CONTAINERD_SOCK`,
//!   `FAAS_REGISTRY_ADDR`, `FAAS_NATS_URL`); the skip rule (`FAAS_REQUIRE_SERVICES=1`).
//! - [`env`]: [`TestEnv`], a test's namespace, bridge, subnet and state dir, and its cleanup.
//! - [`faasd`]: [`Faasd`], a running `faasd up` child process.
//! - [`gateway`]: [`GatewayClient`], plain hyper requests to the gateway with basic auth.
//! - [`inspect`]: what a namespace holds in containerd, IPAM files and iptables, for leak checks.
//! - [`images`]: the test server script and image helpers over
//!   [`faas_provider_containerd::test_image`].

#![allow(clippy::print_stderr)] // the one `skip:` line and faasd log tails on failure
#![allow(clippy::missing_panics_doc)] // a harness panics: that is how a test fails

pub mod env;
pub mod faas_cli;
pub mod faasd;
pub mod gateway;
pub mod images;
pub mod inspect;
pub mod services;

pub use env::TestEnv;
pub use faas_provider_containerd::test_image;
pub use faasd::Faasd;
pub use gateway::{GatewayClient, Response};
pub use services::{services, Services};

/// Polls `check` every 100 ms until it returns `Some`, for up to `timeout`; `None` if it never did.
pub async fn poll<T, F, Fut>(timeout: std::time::Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

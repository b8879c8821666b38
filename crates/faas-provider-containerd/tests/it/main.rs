//! Integration tests against a real containerd, CNI plugins and a local registry, started by
//! `scripts/services/*.sh` when `FAAS_CONTAINERD_SOCK` / `FAAS_REGISTRY_ADDR` are not given.
//! Without root or containerd each test prints one `skip:` line, unless
//! `FAAS_REQUIRE_SERVICES=1`.

mod churn;
mod image_tags;
mod images;
mod lifecycle;
mod ops;
mod registry;
mod restart;
mod standby;
mod support;

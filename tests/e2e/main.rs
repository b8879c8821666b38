//! End-to-end tests of faasd mode: the real `faasd up` binary on a real containerd (started by
//! the harness with `scripts/services/containerd.sh`), images built by the tests and served from
//! a local registry or an archive, everything driven through the gateway's HTTP API. Each test
//! has its own containerd namespace, bridge, subnet and state dir ([`faas_e2e::TestEnv`]).
//!
//! Without root, containerd or busybox-static each test prints one `skip:` line, unless
//! `FAAS_REQUIRE_SERVICES=1`.

mod archive;
mod async_queue;
mod cli;
mod faults;
mod image_tags;
mod installed;
mod lifecycle;
mod ops;
mod secrets_nonroot;
mod seed_printr;
mod seed_python;
mod seed_stack;
mod seed_stand_ins;
mod seed_support;
mod seed_verbatim;
mod ui;

//! The benchmark's function image, built in Rust without a Docker engine and pushed to the
//! local registry over plain HTTP.
//!
//! One uncompressed layer: the static `fwatchdog` (from `scripts/build-fwatchdog.sh`) in
//! `static` mode serving `/public/index.html`, so a request costs no fork and the figures show
//! the platform's cost rather than the function's. The provider crate's
//! [`test_image`](faas_provider_containerd::test_image) builds busybox images; its
//! [`TestImage`] and registry push are reused here with a layer of our own.

use std::path::Path;

use anyhow::Context;
use faas_provider_containerd::test_image::TestImage;

pub(crate) use faas_provider_containerd::test_image::push;

/// What the function answers to `GET /`.
pub(crate) const INDEX_HTML: &str = "hello from faas-bench\n";

/// Builds the image around the fwatchdog binary at `fwatchdog` (a static build).
pub(crate) fn build(fwatchdog: &Path) -> anyhow::Result<TestImage> {
    let binary = std::fs::read(fwatchdog).with_context(|| {
        format!(
            "reading {} (build it with scripts/build-fwatchdog.sh)",
            fwatchdog.display()
        )
    })?;
    // Drain 1 s after SIGTERM (its default is 30 s, cut to 10 s by the provider's SIGKILL), as
    // in the upstream delete figures of docs/performance.md §4.
    let env = [
        "mode=static",
        "static_path=/public",
        "port=8080",
        "healthcheck_interval=1s",
    ]
    .map(str::to_owned);
    Ok(TestImage::from_layer(
        layer(&binary)?,
        &env,
        &["/fwatchdog"],
    )?)
}

fn layer(fwatchdog: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for dir in ["public", "tmp", "etc", "var", "proc", "dev", "sys", "run"] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(if dir == "tmp" { 0o1777 } else { 0o755 });
        h.set_size(0);
        b.append_data(&mut h, format!("{dir}/"), std::io::empty())?;
    }
    let mut file = |path: &str, mode: u32, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(mode);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, path, data)
    };
    file("fwatchdog", 0o755, fwatchdog)?;
    file("public/index.html", 0o644, INDEX_HTML.as_bytes())?;
    Ok(b.into_inner()?)
}

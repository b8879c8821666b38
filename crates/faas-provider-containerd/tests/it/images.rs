//! The test images of [`faas_provider_containerd::test_image`], with panics instead of errors,
//! and the server script these tests run.

use std::path::Path;

use faas_provider_containerd::test_image;
pub(crate) use faas_provider_containerd::test_image::TestImage;

/// The server every test function runs: writes what identifies it (and what it can do with
/// its secrets) to `/tmp/www/index.html` (writable with a read-only root too), then serves it with busybox httpd on :8080.
pub(crate) const SERVER_SCRIPT: &str = r#"mkdir -p /tmp/www
{
  echo "msg=$MSG host=$(hostname)"
  for s in /var/openfaas/secrets/*; do [ -f "$s" ] && echo "secret $(basename $s)=$(cat $s)"; done
  if [ -f /var/openfaas/secrets/api-key ]; then
    if echo x >> /var/openfaas/secrets/api-key 2>/dev/null; then echo "secret-writable"; else echo "secret-readonly"; fi
  fi
} > /tmp/www/index.html
exec httpd -f -p 8080 -h /tmp/www"#;

/// An image whose process runs `script` with env `MSG=msg`.
pub(crate) fn build(msg: &str, script: &str) -> TestImage {
    test_image::build(msg, script).expect("building a test image")
}

/// Writes `image` as an OCI image layout tar at `path`.
pub(crate) fn write_oci_archive(image: &TestImage, path: &Path) {
    test_image::write_oci_archive(image, path).expect("writing an image archive");
}

/// Pushes `image` to the registry at `addr` (plain HTTP) as `repository:tag`.
pub(crate) fn push(image: &TestImage, addr: &str, repository: &str, tag: &str) {
    test_image::push(image, addr, repository, tag).expect("pushing a test image");
}

/// One HTTP/1.0 exchange: status, header block, body.
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let r = test_image::request(addr, method, path, content_type, body).expect("an HTTP exchange");
    (r.status, r.headers, r.body)
}

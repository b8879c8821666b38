//! Test images built in Rust, without a Docker engine: one uncompressed layer holding the
//! static `/bin/busybox` of busybox-static and applet links, written as an OCI image layout tar
//! or pushed to the local registry over plain HTTP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use faas_provider_containerd::image::manifest::{
    sha256_digest, OCI_CONFIG, OCI_LAYER_TAR, OCI_MANIFEST,
};
use serde_json::json;

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

/// A built image: blobs and the manifest.
pub(crate) struct TestImage {
    /// The layer tar.
    pub(crate) layer: Vec<u8>,
    /// The config JSON.
    pub(crate) config: Vec<u8>,
    /// The manifest JSON.
    pub(crate) manifest: Vec<u8>,
}

/// An image whose process runs `script` with env `MSG=msg`.
pub(crate) fn build(msg: &str, script: &str) -> TestImage {
    let layer = busybox_layer();
    let config = serde_json::to_vec(&json!({
        "architecture": faas_provider_containerd::image::manifest::node_architecture(),
        "os": "linux",
        "config": {
            "Env": ["PATH=/bin", format!("MSG={msg}")],
            "Entrypoint": ["/bin/sh", "-c", script],
            "WorkingDir": "/",
        },
        "rootfs": { "type": "layers", "diff_ids": [sha256_digest(&layer)] },
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": sha256_digest(&config), "size": config.len() },
        "layers": [{ "mediaType": OCI_LAYER_TAR, "digest": sha256_digest(&layer), "size": layer.len() }],
    }))
    .unwrap();
    TestImage {
        layer,
        config,
        manifest,
    }
}

fn busybox_layer() -> Vec<u8> {
    let busybox = std::fs::read("/bin/busybox").expect("busybox-static at /bin/busybox");
    let mut b = tar::Builder::new(Vec::new());
    for dir in [
        "bin", "www", "tmp", "etc", "var", "proc", "dev", "sys", "run",
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(if dir == "tmp" { 0o1777 } else { 0o755 });
        h.set_size(0);
        b.append_data(&mut h, format!("{dir}/"), std::io::empty())
            .unwrap();
    }
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o755);
    h.set_size(busybox.len() as u64);
    b.append_data(&mut h, "bin/busybox", busybox.as_slice())
        .unwrap();
    for applet in [
        "sh", "httpd", "mkdir", "cat", "echo", "hostname", "basename", "sleep", "ls",
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, format!("bin/{applet}"), "busybox")
            .unwrap();
    }
    b.into_inner().unwrap()
}

/// Writes `image` as an OCI image layout tar at `path`.
pub(crate) fn write_oci_archive(image: &TestImage, path: &Path) {
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": OCI_MANIFEST,
            "digest": sha256_digest(&image.manifest),
            "size": image.manifest.len(),
        }],
    }))
    .unwrap();
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    let mut add = |name: String, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data).unwrap();
    };
    add("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#);
    add("index.json".into(), &index);
    for blob in [&image.layer, &image.config, &image.manifest] {
        add(
            format!("blobs/{}", sha256_digest(blob).replacen(':', "/", 1)),
            blob,
        );
    }
    b.finish().unwrap();
}

/// Pushes `image` to the registry at `addr` (plain HTTP) as `repository:tag`.
pub(crate) fn push(image: &TestImage, addr: &str, repository: &str, tag: &str) {
    for blob in [&image.layer, &image.config] {
        let (status, headers, _) = request(
            addr,
            "POST",
            &format!("/v2/{repository}/blobs/uploads/"),
            None,
            &[],
        );
        assert_eq!(status, 202, "starting an upload");
        let location = header(&headers, "location").expect("upload location");
        let path = location
            .strip_prefix(&format!("http://{addr}"))
            .unwrap_or(&location)
            .to_owned();
        let sep = if path.contains('?') { '&' } else { '?' };
        let put = format!(
            "{path}{sep}digest={}",
            sha256_digest(blob).replace(':', "%3A")
        );
        let (status, _, body) = request(addr, "PUT", &put, Some("application/octet-stream"), blob);
        assert_eq!(
            status,
            201,
            "uploading a blob: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let (status, _, body) = request(
        addr,
        "PUT",
        &format!("/v2/{repository}/manifests/{tag}"),
        Some(OCI_MANIFEST),
        &image.manifest,
    );
    assert_eq!(
        status,
        201,
        "pushing the manifest: {}",
        String::from_utf8_lossy(&body)
    );
}

fn header(headers: &str, name: &str) -> Option<String> {
    headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// One HTTP/1.0 exchange: status, header block, body.
pub(crate) fn request(
    addr: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(resp.len());
    let headers = String::from_utf8_lossy(&resp[..split]).into_owned();
    let status = headers
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = resp.get(split + 4..).unwrap_or_default().to_vec();
    (status, headers, body)
}

//! Test and demo images built in Rust, without a Docker engine or the internet: one uncompressed
//! layer (`FROM scratch`) holding the static `/bin/busybox` of busybox-static and applet links,
//! written as an OCI image layout tar or pushed to a registry over plain HTTP.
//!
//! Shared by this crate's integration tests and the end-to-end tests (`tests/`); nothing in the
//! provider uses it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::image::manifest::{
    node_architecture, sha256_digest, OCI_CONFIG, OCI_LAYER_TAR, OCI_MANIFEST,
};

/// Where busybox-static installs its binary.
pub const BUSYBOX: &str = "/bin/busybox";

/// The busybox applets linked into `/bin`.
const APPLETS: &[&str] = &[
    "sh", "httpd", "mkdir", "cat", "echo", "hostname", "basename", "sleep", "ls", "head", "tail",
    "tr", "dd", "kill", "rm", "env", "chmod", "wc", "true", "false", "sed", "grep", "printf",
];

/// A built image: its blobs and manifest.
#[derive(Debug, Clone)]
pub struct TestImage {
    /// The layer tar (uncompressed).
    pub layer: Vec<u8>,
    /// The config JSON.
    pub config: Vec<u8>,
    /// The manifest JSON.
    pub manifest: Vec<u8>,
}

/// An image whose process is `/bin/sh -c script` with env `PATH=/bin` and `MSG=msg`.
pub fn build(msg: &str, script: &str) -> std::io::Result<TestImage> {
    let env = ["PATH=/bin".to_owned(), format!("MSG={msg}")];
    TestImage::from_layer(busybox_layer()?, &env, &["/bin/sh", "-c", script])
}

/// The users of every test image's `/etc/passwd`: `root` (0) and `app` (uid 1000, gid 1000,
/// group `app`), for images run as a named user.
pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/tmp:/bin/sh\n";

/// [`build`] with the image config's `User` set to `user` (`1000`, `app`, `app:app`…), as a
/// Dockerfile's `USER` does.
pub fn build_as(msg: &str, script: &str, user: &str) -> std::io::Result<TestImage> {
    let env = ["PATH=/bin".to_owned(), format!("MSG={msg}")];
    TestImage::with_config(
        busybox_layer()?,
        &env,
        &["/bin/sh", "-c", script],
        Some(user),
    )
}

impl TestImage {
    /// A one-layer image around `layer` (an uncompressed tar) running `entrypoint` with `env`
    /// (`KEY=VALUE` entries), for the node's architecture.
    pub fn from_layer(
        layer: Vec<u8>,
        env: &[String],
        entrypoint: &[&str],
    ) -> std::io::Result<TestImage> {
        Self::with_config(layer, env, entrypoint, None)
    }

    /// [`TestImage::from_layer`] run as `user` when given.
    pub fn with_config(
        layer: Vec<u8>,
        env: &[String],
        entrypoint: &[&str],
        user: Option<&str>,
    ) -> std::io::Result<TestImage> {
        let mut process = json!({ "Env": env, "Entrypoint": entrypoint, "WorkingDir": "/" });
        if let Some(u) = user {
            process["User"] = json!(u);
        }
        let config = serde_json::to_vec(&json!({
            "architecture": node_architecture(),
            "os": "linux",
            "config": process,
            "rootfs": { "type": "layers", "diff_ids": [sha256_digest(&layer)] },
        }))?;
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": { "mediaType": OCI_CONFIG, "digest": sha256_digest(&config), "size": config.len() },
            "layers": [{ "mediaType": OCI_LAYER_TAR, "digest": sha256_digest(&layer), "size": layer.len() }],
        }))?;
        Ok(TestImage {
            layer,
            config,
            manifest,
        })
    }
}

fn busybox_layer() -> std::io::Result<Vec<u8>> {
    let busybox = std::fs::read(BUSYBOX).map_err(|e| {
        std::io::Error::new(e.kind(), format!("reading {BUSYBOX} (busybox-static): {e}"))
    })?;
    let mut b = tar::Builder::new(Vec::new());
    for dir in [
        "bin", "www", "tmp", "etc", "var", "proc", "dev", "sys", "run",
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(if dir == "tmp" { 0o1777 } else { 0o755 });
        h.set_size(0);
        b.append_data(&mut h, format!("{dir}/"), std::io::empty())?;
    }
    let group = "root:x:0:\napp:x:1000:\n";
    for (path, text) in [("etc/passwd", PASSWD), ("etc/group", group)] {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(text.len() as u64);
        b.append_data(&mut h, path, text.as_bytes())?;
    }
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o755);
    h.set_size(busybox.len() as u64);
    b.append_data(&mut h, "bin/busybox", busybox.as_slice())?;
    for applet in APPLETS {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, format!("bin/{applet}"), "busybox")?;
    }
    b.into_inner()
}

/// Writes `image` as an OCI image layout tar at `path`.
pub fn write_oci_archive(image: &TestImage, path: &Path) -> std::io::Result<()> {
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": OCI_MANIFEST,
            "digest": sha256_digest(&image.manifest),
            "size": image.manifest.len(),
        }],
    }))?;
    let mut b = tar::Builder::new(std::fs::File::create(path)?);
    let mut add = |name: String, data: &[u8]| -> std::io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data)
    };
    add("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    add("index.json".into(), &index)?;
    for blob in [&image.layer, &image.config, &image.manifest] {
        add(
            format!("blobs/{}", sha256_digest(blob).replacen(':', "/", 1)),
            blob,
        )?;
    }
    b.finish()
}

/// Pushes `image` to the registry at `addr` (`host:port`, plain HTTP) as `repository:tag`.
pub fn push(image: &TestImage, addr: &str, repository: &str, tag: &str) -> std::io::Result<()> {
    for blob in [&image.layer, &image.config] {
        let started = request(
            addr,
            "POST",
            &format!("/v2/{repository}/blobs/uploads/"),
            None,
            &[],
        )?;
        expect_status(&started, 202, "starting an upload")?;
        let location = started
            .header("location")
            .ok_or_else(|| other("the registry gave no upload location"))?;
        let path = location
            .strip_prefix(&format!("http://{addr}"))
            .unwrap_or(&location)
            .to_owned();
        let sep = if path.contains('?') { '&' } else { '?' };
        let put = format!(
            "{path}{sep}digest={}",
            sha256_digest(blob).replace(':', "%3A")
        );
        let uploaded = request(addr, "PUT", &put, Some("application/octet-stream"), blob)?;
        expect_status(&uploaded, 201, "uploading a blob")?;
    }
    let pushed = request(
        addr,
        "PUT",
        &format!("/v2/{repository}/manifests/{tag}"),
        Some(OCI_MANIFEST),
        &image.manifest,
    )?;
    expect_status(&pushed, 201, "pushing the manifest")
}

/// One HTTP/1.0 response.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status code (0 when the status line was unreadable).
    pub status: u16,
    /// The status line and headers, as received.
    pub headers: String,
    /// The body.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn expect_status(response: &RawResponse, want: u16, what: &str) -> std::io::Result<()> {
    if response.status == want {
        Ok(())
    } else {
        Err(other(format!(
            "{what}: status {}: {}",
            response.status,
            response.text()
        )))
    }
}

fn other(message: impl Into<String>) -> std::io::Error {
    std::io::Error::other(message.into())
}

/// One HTTP/1.0 exchange with `addr` (10 s read timeout).
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> std::io::Result<RawResponse> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
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
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

//! The OCI/Docker image documents this crate stores (manifest, config), the platform choice
//! in an index (`oci-client`'s index type) and layer chain IDs (docs/containerd.md §9.3). Pure: no I/O.

use std::collections::BTreeMap;

use oci_client::manifest::ImageIndexEntry;
use oci_spec::image::{Arch, Os};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// OCI uncompressed layer.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI gzip layer.
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image manifest v2 schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type.
    #[serde(default)]
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Size in bytes.
    pub size: i64,
    /// The platform, in an index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A platform of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// `amd64`, `arm64`, …
    pub architecture: String,
    /// `linux`.
    pub os: String,
    /// `v7` for arm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// An image manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// 2.
    pub schema_version: u32,
    /// The manifest's own media type, when written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers, base first.
    pub layers: Vec<Descriptor>,
}

/// The parts of an image config a container needs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImageConfig {
    /// The process defaults.
    #[serde(default)]
    pub config: Option<ContainerConfig>,
    /// Layer diff IDs.
    pub rootfs: RootFs,
}

/// The image's process defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// `KEY=value` entries.
    #[serde(default)]
    pub env: Option<Vec<String>>,
    /// Entrypoint.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// Cmd.
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    /// Working directory.
    #[serde(default)]
    pub working_dir: Option<String>,
    /// `uid[:gid]` or a user name.
    #[serde(default)]
    pub user: Option<String>,
}

/// The config's `rootfs`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RootFs {
    /// `layers`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The uncompressed digests of the layers, base first.
    pub diff_ids: Vec<String>,
}

/// Whether a manifest document is an index (by media type or by shape).
pub fn is_index(media_type: &str, body: &[u8]) -> bool {
    if media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST {
        return true;
    }
    if media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST {
        return false;
    }
    serde_json::from_slice::<serde_json::Value>(body)
        .map(|v| v.get("manifests").is_some())
        .unwrap_or(false)
}

/// The GOARCH name of this machine's architecture.
pub fn node_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// The index entry for this node (`linux` and its architecture), for registry pulls, archives
/// and images read back from containerd alike; an entry without a platform counts as a match
/// when it is the only one.
pub fn pick_platform(entries: &[ImageIndexEntry]) -> Result<&ImageIndexEntry> {
    let arch = Arch::default();
    let found = entries.iter().find(|e| {
        e.platform
            .as_ref()
            .is_some_and(|p| p.os == Os::Linux && p.architecture == arch)
    });
    match (found, entries) {
        (Some(e), _) => Ok(e),
        (None, [only]) if only.platform.is_none() => Ok(only),
        _ => Err(Error::BadImage(format!(
            "the image has no linux/{arch} variant"
        ))),
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Chain IDs of the layers: `chain(L0) = diff(L0)`, `chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln))`.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let next = match out.last() {
            None => d.clone(),
            Some(prev) => sha256_digest(format!("{prev} {d}").as_bytes()),
        };
        out.push(next);
    }
    out
}

/// Parses a JSON document, naming it in the error.
pub fn parse_json<T: for<'de> Deserialize<'de>>(what: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|source| Error::Json {
        what: what.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_client::manifest::OciImageIndex;

    #[test]
    fn chain_ids_follow_the_oci_rule() {
        let a = "sha256:aaaa".to_owned();
        let b = "sha256:bbbb".to_owned();
        let ids = chain_ids(&[a.clone(), b.clone()]);
        assert_eq!(ids[0], a);
        assert_eq!(ids[1], sha256_digest(b"sha256:aaaa sha256:bbbb"));
        assert!(chain_ids(&[]).is_empty());
    }

    #[test]
    fn picks_the_node_platform() {
        let json = r#"{"schemaVersion":2,"manifests":[
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:arm","size":1,"platform":{"architecture":"arm64","os":"linux"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:amd","size":1,"platform":{"architecture":"amd64","os":"linux"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:win","size":1,"platform":{"architecture":"amd64","os":"windows"}}]}"#;
        let index: OciImageIndex = serde_json::from_str(json).unwrap();
        let want = match node_architecture() {
            "amd64" => Ok("sha256:amd"),
            "arm64" => Ok("sha256:arm"),
            _ => Err(()),
        };
        assert_eq!(
            pick_platform(&index.manifests)
                .map(|e| e.digest.as_str())
                .map_err(|_| ()),
            want
        );
        assert!(is_index("", json.as_bytes()));
        assert!(!is_index(OCI_MANIFEST, json.as_bytes()));

        let only: OciImageIndex = serde_json::from_str(
            r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:one","size":1}]}"#,
        )
        .unwrap();
        assert_eq!(pick_platform(&only.manifests).unwrap().digest, "sha256:one");

        let other: OciImageIndex = serde_json::from_str(
            r#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:s","size":1,"platform":{"architecture":"s390x","os":"linux"}}]}"#,
        )
        .unwrap();
        if node_architecture() != "s390x" {
            let err = pick_platform(&other.manifests).unwrap_err();
            assert!(err.to_string().contains("no linux/"), "{err}");
        }
    }

    #[test]
    fn reads_image_config() {
        let json = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/home/app","User":"1000:1000"},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}"#;
        let c: ImageConfig = serde_json::from_str(json).unwrap();
        let cc = c.config.unwrap();
        assert_eq!(cc.cmd.unwrap(), vec!["/bin/sh"]);
        assert_eq!(cc.user.as_deref(), Some("1000:1000"));
        assert_eq!(c.rootfs.diff_ids, vec!["sha256:aa"]);
    }
}

//! Reading an image archive: an OCI image layout (`index.json`, `blobs/sha256/…`) or a
//! `docker save` archive (`manifest.json`), as a tar file. Pure apart from reading the file.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;
use oci_client::manifest::OciImageIndex;

use super::blob::Blob;
use super::manifest::{
    is_index, parse_json, pick_platform, sha256_digest, Descriptor, Manifest, OCI_CONFIG,
    OCI_LAYER_TAR, OCI_MANIFEST,
};
use super::store::StagedImage;
use crate::error::{Error, Result};

/// Reads the archive at `path` and stages its image (the node's platform) under `name`.
pub fn read_archive(path: &Path, name: &str) -> Result<StagedImage> {
    let file =
        std::fs::File::open(path).map_err(|e| Error::io("opening image archive", path, e))?;
    let files = read_tar(file).map_err(|e| Error::io("reading image archive", path, e))?;
    stage_from_files(&files, name)
}

/// The regular files of a tar stream, by path without a leading `./`.
pub fn read_tar(reader: impl Read) -> std::io::Result<HashMap<String, Vec<u8>>> {
    let mut archive = tar::Archive::new(reader);
    let mut files = HashMap::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry
            .path()?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_owned();
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data)?;
        files.insert(path, data);
    }
    Ok(files)
}

/// Stages the image found in an unpacked archive.
pub fn stage_from_files(files: &HashMap<String, Vec<u8>>, name: &str) -> Result<StagedImage> {
    if files.contains_key("index.json") {
        stage_oci_layout(files, name)
    } else if files.contains_key("manifest.json") {
        stage_docker_archive(files, name)
    } else {
        Err(Error::BadImage(
            "the archive has neither index.json (OCI layout) nor manifest.json (docker save)"
                .to_owned(),
        ))
    }
}

fn blob<'a>(files: &'a HashMap<String, Vec<u8>>, digest: &str) -> Result<&'a Vec<u8>> {
    let path = format!("blobs/{}", digest.replacen(':', "/", 1));
    let data = files
        .get(&path)
        .ok_or_else(|| Error::BadImage(format!("the archive lacks blob {digest}")))?;
    if sha256_digest(data) != digest {
        return Err(Error::BadImage(format!(
            "blob {digest} does not match its digest"
        )));
    }
    Ok(data)
}

fn stage_oci_layout(files: &HashMap<String, Vec<u8>>, name: &str) -> Result<StagedImage> {
    let index: OciImageIndex = parse_json("index.json", &files["index.json"])?;
    let mut chosen = index
        .manifests
        .first()
        .cloned()
        .ok_or_else(|| Error::BadImage("index.json lists no image".to_owned()))?;
    let mut body = blob(files, &chosen.digest)?.clone();
    if is_index(&chosen.media_type, &body) {
        let nested: OciImageIndex = parse_json("image index", &body)?;
        chosen = pick_platform(&nested.manifests)?.clone();
        body = blob(files, &chosen.digest)?.clone();
    }
    let manifest: Manifest = parse_json("image manifest", &body)?;
    let config = blob(files, &manifest.config.digest)?.clone();
    let layers = manifest
        .layers
        .iter()
        .map(|l| {
            let data = Bytes::copy_from_slice(blob(files, &l.digest)?);
            Ok((l.clone(), Blob::Memory(data)))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(StagedImage {
        name: name.to_owned(),
        manifest_descriptor: Descriptor {
            media_type: if chosen.media_type.is_empty() {
                OCI_MANIFEST.to_owned()
            } else {
                chosen.media_type
            },
            digest: sha256_digest(&body),
            size: body.len() as i64,
            platform: None,
            annotations: Default::default(),
        },
        manifest: body,
        config,
        layers,
    })
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerArchiveEntry {
    config: String,
    layers: Vec<String>,
}

/// `docker save` has no manifest blob: build an OCI manifest over its config and layers.
fn stage_docker_archive(files: &HashMap<String, Vec<u8>>, name: &str) -> Result<StagedImage> {
    let entries: Vec<DockerArchiveEntry> = parse_json("manifest.json", &files["manifest.json"])?;
    let entry = entries
        .first()
        .ok_or_else(|| Error::BadImage("manifest.json lists no image".to_owned()))?;
    let get = |p: &str| {
        files
            .get(p)
            .cloned()
            .ok_or_else(|| Error::BadImage(format!("the archive lacks {p}")))
    };
    let config = get(&entry.config)?;
    let mut layers = Vec::new();
    for path in &entry.layers {
        let data = get(path)?;
        let desc = Descriptor {
            media_type: OCI_LAYER_TAR.to_owned(),
            digest: sha256_digest(&data),
            size: data.len() as i64,
            platform: None,
            annotations: Default::default(),
        };
        layers.push((desc, Blob::Memory(Bytes::from(data))));
    }
    let manifest = Manifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.to_owned()),
        config: Descriptor {
            media_type: OCI_CONFIG.to_owned(),
            digest: sha256_digest(&config),
            size: config.len() as i64,
            platform: None,
            annotations: Default::default(),
        },
        layers: layers.iter().map(|(d, _)| d.clone()).collect(),
    };
    let body = serde_json::to_vec(&manifest).map_err(|source| Error::Json {
        what: "generated manifest".to_owned(),
        source,
    })?;
    Ok(StagedImage {
        name: name.to_owned(),
        manifest_descriptor: Descriptor {
            media_type: OCI_MANIFEST.to_owned(),
            digest: sha256_digest(&body),
            size: body.len() as i64,
            platform: None,
            annotations: Default::default(),
        },
        manifest: body,
        config,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_archive_gets_a_manifest() {
        let layer = b"layer-bytes".to_vec();
        let config = br#"{"rootfs":{"type":"layers","diff_ids":["sha256:x"]}}"#.to_vec();
        let files: HashMap<String, Vec<u8>> = [
            (
                "manifest.json".to_owned(),
                br#"[{"Config":"c.json","RepoTags":["x:1"],"Layers":["l/layer.tar"]}]"#.to_vec(),
            ),
            ("c.json".to_owned(), config.clone()),
            ("l/layer.tar".to_owned(), layer.clone()),
        ]
        .into();
        let staged = stage_from_files(&files, "docker.io/library/x:1").unwrap();
        let m: Manifest = serde_json::from_slice(&staged.manifest).unwrap();
        assert_eq!(m.config.digest, sha256_digest(&config));
        assert_eq!(m.layers[0].digest, sha256_digest(&layer));
        assert_eq!(
            staged.manifest_descriptor.digest,
            sha256_digest(&staged.manifest)
        );
    }

    #[test]
    fn oci_layout_checks_digests() {
        let files: HashMap<String, Vec<u8>> = [(
            "index.json".to_owned(),
            br#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:00","size":2}]}"#.to_vec(),
        )]
        .into();
        assert!(stage_from_files(&files, "x").is_err());
        assert!(stage_from_files(&HashMap::new(), "x").is_err());
    }
}

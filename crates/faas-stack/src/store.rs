//! The function store (v2) document behind `store list | describe | deploy` (docs/stack.md §11).
//!
//! Unlike faas-cli, the image is looked up with the same case-insensitive platform match that
//! lists a function, so `--platform X86_64` deploys the x86_64 image rather than `""`.

use std::collections::BTreeMap;

use faas_core::FunctionDeployment;
use serde::Deserialize;

use crate::error::{Error, Origin, Position};
use crate::merge::DeployOverrides;

/// The platform used when `--platform` is not given.
pub const DEFAULT_PLATFORM: &str = "x86_64";

/// The store document: `{"version": …, "functions": […]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct FunctionStore {
    /// `version`.
    pub version: String,
    /// `functions`.
    pub functions: Vec<StoreFunction>,
}

/// One function of the store.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct StoreFunction {
    /// `icon` URL.
    pub icon: String,
    /// `author`; listed as `unknown` when empty.
    pub author: String,
    /// `title`, shown in listings.
    pub title: String,
    /// `description`.
    pub description: String,
    /// `name`: the deployed service name.
    pub name: String,
    /// `fprocess` → `envProcess`.
    pub fprocess: String,
    /// `repo_url`.
    pub repo_url: String,
    /// `readOnlyRootFilesystem`.
    #[serde(rename = "readOnlyRootFilesystem")]
    pub read_only_root_filesystem: bool,
    /// `environment`.
    pub environment: BTreeMap<String, String>,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `images`: platform (`x86_64`, `armhf`, `arm64`) → image.
    pub images: BTreeMap<String, String>,
}

/// Parses a store document; `source` (a path or URL) names it in errors. The legacy
/// top-level array format is rejected.
pub fn parse_function_store(source: &str, json: &str) -> Result<FunctionStore, Error> {
    if json.trim_start().starts_with('[') {
        let at = Position::at_byte_offset(json, json.len() - json.trim_start().len());
        return Err(Error::syntax(
            Origin::new(source, Some(at), ""),
            "this is the legacy function store format (a top-level array, cannot unmarshal array into Go value of type v2.Store); use a v2 store: {\"version\": …, \"functions\": […]}",
        ));
    }
    serde_json::from_str(json).map_err(|e| json_error(source, &e))
}

/// A JSON error as ours, with line and column.
pub(crate) fn json_error(source: &str, err: &serde_json::Error) -> Error {
    let line = u32::try_from(err.line()).unwrap_or(u32::MAX);
    let column = u32::try_from(err.column()).unwrap_or(u32::MAX);
    let position = (line > 0).then(|| Position::new(line, column));
    let mut message = err.to_string();
    if let Some(cut) = message.find(" at line ") {
        message.truncate(cut);
    }
    Error::syntax(
        Origin::new(source, position, ""),
        format!("invalid JSON: {message}"),
    )
}

/// The store's platform name for a `--platform` value: lowercased, with the buildx names
/// `linux/amd64`, `linux/arm/v6` (and `linux/arm/v7`), `linux/arm64` mapped.
pub fn store_platform(platform: &str) -> String {
    let lower = platform.trim().to_lowercase();
    match lower.as_str() {
        "linux/amd64" => "x86_64".to_owned(),
        "linux/arm/v6" | "linux/arm/v7" => "armhf".to_owned(),
        "linux/arm64" => "arm64".to_owned(),
        _ => lower,
    }
}

impl StoreFunction {
    /// The image for `platform` (matched case-insensitively, buildx names mapped).
    pub fn image_for(&self, platform: &str) -> Option<&str> {
        let wanted = store_platform(platform);
        self.images
            .iter()
            .find(|(p, _)| p.to_lowercase() == wanted)
            .map(|(_, image)| image.as_str())
    }

    /// The author, or `unknown` when empty (as listings print it).
    pub fn author_or_unknown(&self) -> &str {
        if self.author.is_empty() {
            "unknown"
        } else {
            &self.author
        }
    }

    /// The deployment of this store function for `platform`: store environment merged under
    /// `-e`, store labels and annotations under the flags, `fprocess` → `envProcess`, read-only
    /// when the store or `--readonly` says so. The image is used as given (no `:latest`).
    pub fn deployment(
        &self,
        platform: &str,
        overrides: &DeployOverrides,
    ) -> Option<FunctionDeployment> {
        let image = self.image_for(platform)?;
        let merge = |base: &BTreeMap<String, String>, top: &BTreeMap<String, String>| {
            let mut merged = base.clone();
            merged.extend(top.iter().map(|(k, v)| (k.clone(), v.clone())));
            merged
        };
        Some(FunctionDeployment {
            service: self.name.clone(),
            image: image.to_owned(),
            namespace: overrides.namespace.clone().filter(|n| !n.is_empty()),
            env_process: (!self.fprocess.is_empty()).then(|| self.fprocess.clone()),
            env_vars: merge(&self.environment, &overrides.env),
            constraints: overrides.constraints.clone(),
            secrets: overrides.secrets.clone(),
            labels: merge(&self.labels, &overrides.labels),
            annotations: merge(&self.annotations, &overrides.annotations),
            limits: None,
            requests: None,
            read_only_root_filesystem: self.read_only_root_filesystem || overrides.readonly,
        })
    }
}

impl FunctionStore {
    /// The functions offering `platform`, in store order. When none does, the error lists the
    /// platforms the store has (sorted, lowercase).
    pub fn for_platform(&self, source: &str, platform: &str) -> Result<Vec<&StoreFunction>, Error> {
        let found: Vec<&StoreFunction> = self
            .functions
            .iter()
            .filter(|f| f.image_for(platform).is_some())
            .collect();
        if !found.is_empty() {
            return Ok(found);
        }
        let mut available: Vec<String> = self
            .functions
            .iter()
            .flat_map(|f| f.images.keys().map(|p| p.to_lowercase()))
            .collect();
        available.sort();
        available.dedup();
        Err(Error::invalid(
            Origin::new(source, None, "--platform"),
            format!(
                "no functions found in the store for platform '{platform}', try one of the following: {}",
                available.join(", ")
            ),
        ))
    }

    /// The function whose `name` or `title` is exactly `name`.
    pub fn find(&self, name: &str) -> Option<&StoreFunction> {
        self.functions
            .iter()
            .find(|f| f.name == name || f.title == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildx_platforms_are_mapped() {
        assert_eq!(store_platform("linux/amd64"), "x86_64");
        assert_eq!(store_platform("linux/arm/v6"), "armhf");
        assert_eq!(store_platform("linux/arm64"), "arm64");
        assert_eq!(store_platform("X86_64"), "x86_64");
    }

    #[test]
    fn json_errors_have_positions() {
        let err = parse_function_store("functions.json", "{\n  \"functions\": 3\n}").unwrap_err();
        assert!(err.to_string().starts_with("functions.json:2:"), "{err}");
    }
}

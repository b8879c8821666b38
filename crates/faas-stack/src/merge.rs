//! From a stack function plus command-line flags to a [`FunctionDeployment`] (docs/stack.md §3, §7).
//!
//! [`deployment`] is pure: environment files and the template's `fprocess` are read by the
//! caller ([`read_environment_files`], [`crate::template::template_fprocess`]) or all at once
//! by [`deployments`].

use std::collections::BTreeMap;
use std::path::Path;

use faas_core::FunctionDeployment;
use serde::Deserialize;

use crate::error::{Error, Origin};
use crate::load::parse_first_document;
use crate::raw::StringMap;
use crate::schema::{Function, StackFile};
use crate::template::template_fprocess;
use crate::validate::{check_namespace, check_secret, validate_for_deploy};

/// What `deploy` / `up` flags add to the stack (each flag repeatable).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployOverrides {
    /// `-e/--env K=V`: win over `environment` and `environment_file`.
    pub env: BTreeMap<String, String>,
    /// `--label K=V`: win over YAML labels.
    pub labels: BTreeMap<String, String>,
    /// `--annotation K=V`: win over YAML annotations.
    pub annotations: BTreeMap<String, String>,
    /// `--secret NAME`: listed before the YAML secrets.
    pub secrets: Vec<String>,
    /// `--constraint EXPR`: used only when the YAML has no `constraints` key.
    pub constraints: Vec<String>,
    /// `--readonly`: OR-ed with `readonly_root_filesystem`.
    pub readonly: bool,
    /// `-n/--namespace`: wins over YAML `namespace`.
    pub namespace: Option<String>,
}

/// Appends `:latest` when the last path segment of `image` has no tag (docs/stack.md §7).
pub fn image_with_default_tag(image: &str) -> String {
    let last_segment = image.rsplit('/').next().unwrap_or(image);
    if last_segment.contains(':') || last_segment.contains('@') {
        image.to_owned()
    } else {
        format!("{image}:latest")
    }
}

/// Builds the deployment for `function`.
///
/// `env_from_files` is the merge of its `environment_file`s ([`read_environment_files`]);
/// `template_fprocess` is the template's `fprocess`, used when the function sets none.
/// Fails when the image is missing or a flag gives an invalid namespace or secret name.
pub fn deployment(
    function: &Function,
    env_from_files: &BTreeMap<String, String>,
    overrides: &DeployOverrides,
    template_fprocess: Option<&str>,
) -> Result<FunctionDeployment, Error> {
    validate_for_deploy(function)?;
    let flag_origin = |flag: &str| Origin::new(function.source.file.clone(), None, flag);
    if let Some(namespace) = &overrides.namespace {
        check_namespace(namespace, flag_origin("--namespace"))?;
    }
    for secret in &overrides.secrets {
        check_secret(secret, flag_origin("--secret"))?;
    }

    let mut env_vars = function.environment.clone();
    env_vars.extend(env_from_files.iter().map(|(k, v)| (k.clone(), v.clone())));
    env_vars.extend(overrides.env.iter().map(|(k, v)| (k.clone(), v.clone())));

    let mut labels = function.labels.clone();
    labels.extend(overrides.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    let mut annotations = function.annotations.clone();
    annotations.extend(
        overrides
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );

    let mut secrets: Vec<String> = Vec::new();
    for secret in overrides.secrets.iter().chain(&function.secrets) {
        if !secrets.contains(secret) {
            secrets.push(secret.clone());
        }
    }

    Ok(FunctionDeployment {
        service: function.name.clone(),
        image: image_with_default_tag(function.image.as_deref().unwrap_or_default().trim()),
        namespace: overrides
            .namespace
            .clone()
            .or_else(|| function.namespace.clone())
            .filter(|n| !n.is_empty()),
        env_process: function
            .fprocess
            .clone()
            .or_else(|| template_fprocess.map(str::to_owned)),
        env_vars,
        constraints: function
            .constraints
            .clone()
            .unwrap_or_else(|| overrides.constraints.clone()),
        secrets,
        labels,
        annotations,
        limits: function.limits.clone(),
        requests: function.requests.clone(),
        read_only_root_filesystem: function.readonly_root_filesystem || overrides.readonly,
    })
}

/// The document of an `environment_file`.
#[derive(Debug, Default, Deserialize)]
struct EnvironmentFile {
    environment: Option<StringMap>,
}

/// Parses an environment file's text (`{environment: {K: v}}`); no `${VAR}` substitution.
pub fn parse_environment_file(file: &str, text: &str) -> Result<BTreeMap<String, String>, Error> {
    let mut ignored = Vec::new();
    let parsed: EnvironmentFile = parse_first_document(file, text, &mut ignored)?;
    Ok(parsed.environment.map(|m| m.0).unwrap_or_default())
}

/// Reads the function's `environment_file`s, relative to `base_dir`, and merges them in order
/// (later files win). A missing file is an error naming it and the stack line that lists it.
pub fn read_environment_files(
    function: &Function,
    base_dir: &Path,
) -> Result<BTreeMap<String, String>, Error> {
    let mut merged = BTreeMap::new();
    for (i, name) in function.environment_file.iter().enumerate() {
        let path = base_dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::io(
                function.origin(&format!("environment_file[{i}]")),
                "read",
                &path,
                e,
            )
        })?;
        merged.extend(parse_environment_file(name, &text)?);
    }
    Ok(merged)
}

/// Where [`deployments`] reads files from.
#[derive(Debug, Clone, Copy)]
pub struct DeployInputs<'a> {
    /// The directory `environment_file` paths are relative to (the working directory).
    pub base_dir: &'a Path,
    /// The `./template` directory, or `None` for `--read-template=false`.
    pub templates_dir: Option<&'a Path>,
}

/// The deployments of `functions` (usually [`crate::select_functions`] of `stack`): reads
/// each one's environment files and, when it sets no `fprocess`, its template's.
pub fn deployments(
    functions: &[&Function],
    inputs: DeployInputs<'_>,
    overrides: &DeployOverrides,
) -> Result<Vec<FunctionDeployment>, Error> {
    functions
        .iter()
        .map(|function| {
            let env_from_files = read_environment_files(function, inputs.base_dir)?;
            let fprocess = match (inputs.templates_dir, &function.fprocess) {
                (Some(dir), None) => template_fprocess(function, dir)?,
                _ => None,
            };
            deployment(function, &env_from_files, overrides, fprocess.as_deref())
        })
        .collect()
}

/// The deployments of every function of `stack`, in file order.
pub fn stack_deployments(
    stack: &StackFile,
    inputs: DeployInputs<'_>,
    overrides: &DeployOverrides,
) -> Result<Vec<FunctionDeployment>, Error> {
    let all: Vec<&Function> = stack.functions.iter().collect();
    deployments(&all, inputs, overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_is_added_only_without_a_tag() {
        assert_eq!(image_with_default_tag("user/fn"), "user/fn:latest");
        assert_eq!(image_with_default_tag("user/fn:0.1"), "user/fn:0.1");
        assert_eq!(
            image_with_default_tag("localhost:5000/fn"),
            "localhost:5000/fn:latest"
        );
        assert_eq!(
            image_with_default_tag("localhost:5000/fn:v2"),
            "localhost:5000/fn:v2"
        );
        assert_eq!(image_with_default_tag("fn@sha256:abc"), "fn@sha256:abc");
        assert_eq!(image_with_default_tag("fn"), "fn:latest");
    }

    #[test]
    fn environment_file_values_are_strings() {
        let env = parse_environment_file("env.yml", "environment:\n  a: 1\n  b: true\n").unwrap();
        assert_eq!(env["a"], "1");
        assert_eq!(env["b"], "true");
        assert!(parse_environment_file("env.yml", "other: 1\n")
            .unwrap()
            .is_empty());
        let err = parse_environment_file("env.yml", "environment: [a]\n").unwrap_err();
        assert!(err.to_string().starts_with("env.yml:1:"), "{err}");
    }
}

//! The local registry faasd installs (`faasd-registry`, default `127.0.0.1:5000`,
//! `FAAS_LOCAL_REGISTRY` to change it) as the CLI sees it:
//!
//! - image names with one path component and no host (`hello-python:latest`) are built,
//!   pushed and deployed as `<local registry>/<name>` ([`qualify`]);
//! - the base images a template's Dockerfile starts `FROM` ([`from_images`]: global `ARG`
//!   defaults substituted, `--build-arg` values applied, stage names skipped) are checked in
//!   that registry before the builder starts ([`check_images`]), so a missing registry or
//!   image is one line saying what to run, not a builder's retries;
//! - when `FAAS_LOCAL_REGISTRY` is not the default, the templates' `ARG` defaults that point
//!   at `127.0.0.1:5000/` are passed to the builder rewritten to it ([`rewritten_defaults`]).

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::Full;

use crate::builder::is_local_registry;
use crate::error::Error;
use crate::http_client::HttpClient;
use crate::settings::Env;

/// The registry `faasd install` runs when none is chosen.
pub const DEFAULT_LOCAL_REGISTRY: &str = "127.0.0.1:5000";

/// The variable naming the local registry.
pub const LOCAL_REGISTRY_VAR: &str = "FAAS_LOCAL_REGISTRY";

/// How long a registry has to answer the manifest check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// `FAAS_LOCAL_REGISTRY`, else [`DEFAULT_LOCAL_REGISTRY`] (`HOST:PORT`, no scheme or slash).
pub fn local_registry(env: &Env) -> String {
    env.get(LOCAL_REGISTRY_VAR)
        .map(|r| {
            r.trim()
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .to_owned()
        })
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| DEFAULT_LOCAL_REGISTRY.to_owned())
}

/// `image` with `<local>/` in front when it is a single path component without a host
/// (`hello-python:latest`); names with a user (`josanabr/hello-python`) or a host unchanged.
pub fn qualify(image: &str, local: &str) -> String {
    let name = image.split('@').next().unwrap_or(image);
    if image.is_empty() || name.contains('/') {
        image.to_owned()
    } else {
        format!("{local}/{image}")
    }
}

/// A Dockerfile's instructions: continuation lines joined, comments and blank lines dropped,
/// as `(KEYWORD in upper case, rest)`.
fn instructions(dockerfile: &str) -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        joined.push(std::mem::take(&mut current));
    }
    if !current.is_empty() {
        joined.push(current);
    }
    joined
        .into_iter()
        .map(|line| {
            let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
            (keyword.to_ascii_uppercase(), rest.trim().to_owned())
        })
        .collect()
}

/// The `ARG`s declared before the first `FROM`, with their defaults (quotes removed).
pub fn global_args(dockerfile: &str) -> Vec<(String, Option<String>)> {
    let mut args = Vec::new();
    for (keyword, rest) in instructions(dockerfile) {
        match keyword.as_str() {
            "FROM" => break,
            "ARG" => {
                for word in rest.split_whitespace() {
                    let (name, default) = match word.split_once('=') {
                        Some((n, d)) => {
                            (n, Some(d.trim_matches('"').trim_matches('\'').to_owned()))
                        }
                        None => (word, None),
                    };
                    args.push((name.to_owned(), default));
                }
            }
            _ => {}
        }
    }
    args
}

/// Expands `$NAME`, `${NAME}` and `${NAME:-default}` with `value` (unknown names: empty).
fn expand(text: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                out.push_str(&rest[at..]);
                return out;
            };
            let expr = &inner[..end];
            let (name, default) = match expr.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (expr, None),
            };
            let v = value(name).filter(|v| !v.is_empty());
            out.push_str(&v.unwrap_or_else(|| default.unwrap_or_default().to_owned()));
            rest = &inner[end + 1..];
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            out.push_str(&value(&after[..end]).unwrap_or_default());
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    out
}

/// The images a Dockerfile's `FROM` lines name, in order, without duplicates: variables
/// expanded from `build_args` (which win) and the global `ARG` defaults; earlier stages (`AS
/// name`) and `scratch` skipped.
pub fn from_images(dockerfile: &str, build_args: &[(String, String)]) -> Vec<String> {
    let defaults = global_args(dockerfile);
    let value = |name: &str| -> Option<String> {
        build_args
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| {
                defaults
                    .iter()
                    .find(|(k, _)| k == name)
                    .and_then(|(_, d)| d.clone())
            })
    };
    let mut stages = HashSet::new();
    let mut images = Vec::new();
    for (keyword, rest) in instructions(dockerfile) {
        if keyword != "FROM" {
            continue;
        }
        let words: Vec<&str> = rest
            .split_whitespace()
            .filter(|w| !w.starts_with("--"))
            .collect();
        let Some(image) = words.first().map(|w| expand(w, &value)) else {
            continue;
        };
        // An earlier stage's name (this line's own `AS` name is added after the check).
        let is_stage = stages.contains(&image.to_ascii_lowercase());
        if let [_, as_, stage, ..] = words.as_slice() {
            if as_.eq_ignore_ascii_case("as") {
                stages.insert(stage.to_ascii_lowercase());
            }
        }
        if image.is_empty() || image == "scratch" || is_stage || images.contains(&image) {
            continue;
        }
        images.push(image);
    }
    images
}

/// When `local` is not [`DEFAULT_LOCAL_REGISTRY`]: the global `ARG`s whose default starts with
/// `127.0.0.1:5000/`, pointed at `local`, except those in `build_args`.
pub fn rewritten_defaults(
    dockerfile: &str,
    local: &str,
    build_args: &[(String, String)],
) -> Vec<(String, String)> {
    if local == DEFAULT_LOCAL_REGISTRY {
        return Vec::new();
    }
    let prefix = format!("{DEFAULT_LOCAL_REGISTRY}/");
    global_args(dockerfile)
        .into_iter()
        .filter(|(name, _)| !build_args.iter().any(|(k, _)| k == name))
        .filter_map(|(name, default)| {
            let rest = default?.strip_prefix(&prefix)?.to_owned();
            Some((name, format!("{local}/{rest}")))
        })
        .collect()
}

/// `HOST/REPO[:TAG|@DIGEST]` split as `(host, repo, reference)`; the tag defaults to `latest`.
fn split_reference(image: &str) -> Option<(&str, &str, &str)> {
    let (host, path) = image.split_once('/')?;
    if let Some((repo, digest)) = path.split_once('@') {
        return Some((host, repo, digest));
    }
    match path.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => Some((host, repo, tag)),
        _ => Some((host, path, "latest")),
    }
}

/// For each image of `images` on a loopback registry: its manifest exists (`HEAD
/// /v2/<repo>/manifests/<tag>`), else one line naming what is missing and the command that fixes
/// it. Images of other registries are left to the builder.
pub async fn check_images(images: &[String], local: &str) -> Result<(), Error> {
    let client = HttpClient::new();
    for image in images.iter().filter(|i| is_local_registry(i)) {
        let Some((host, repo, reference)) = split_reference(image) else {
            continue;
        };
        let url = format!("http://{host}/v2/{repo}/manifests/{reference}");
        let request = Request::builder()
            .method(Method::HEAD)
            .uri(&url)
            .header(
                http::header::ACCEPT,
                "application/vnd.oci.image.index.v1+json, \
                 application/vnd.oci.image.manifest.v1+json, \
                 application/vnd.docker.distribution.manifest.list.v2+json, \
                 application/vnd.docker.distribution.manifest.v2+json",
            )
            .body(Full::new(Bytes::new()))
            .map_err(|e| Error::Builder(format!("checking {image}: {e}")))?;
        match client.send(request, CHECK_TIMEOUT).await {
            Ok(reply) if reply.status.is_success() => {
                tracing::debug!(%image, "base image present");
            }
            Ok(reply) if reply.status == StatusCode::NOT_FOUND => {
                return Err(Error::Builder(missing_image(image, host, repo, local)));
            }
            Ok(reply) => {
                tracing::warn!(%image, status = %reply.status, "could not check the image; building anyway");
            }
            Err(Error::Connect { .. } | Error::Timeout { .. }) => {
                return Err(Error::Builder(no_registry(host, local)));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn no_registry(host: &str, local: &str) -> String {
    if host == local {
        format!(
            "no registry answers at {host}: run 'sudo faasd install' (or 'systemctl start faasd-registry')"
        )
    } else {
        format!("no registry answers at {host}: start it, or pass another one with --build-arg")
    }
}

fn missing_image(image: &str, host: &str, repo: &str, local: &str) -> String {
    let fix = if repo.starts_with("faas/") && host == local {
        if host == DEFAULT_LOCAL_REGISTRY {
            "run 'sudo faasd base-images'".to_owned()
        } else {
            format!("run 'sudo faasd base-images --registry {host}'")
        }
    } else {
        "build and push it first (faas push)".to_owned()
    };
    format!("{image} is not in the registry: {fix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PYTHON: &str = include_str!("../../../templates/python/Dockerfile");

    fn args(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn images_without_a_host_go_to_the_local_registry() {
        let local = "127.0.0.1:5000";
        assert_eq!(
            qualify("printr:latest", local),
            "127.0.0.1:5000/printr:latest"
        );
        assert_eq!(
            qualify("hello-python", local),
            "127.0.0.1:5000/hello-python"
        );
        assert_eq!(
            qualify("josanabr/hello-python:latest", local),
            "josanabr/hello-python:latest"
        );
        assert_eq!(qualify("ghcr.io/o/f:1", local), "ghcr.io/o/f:1");
        assert_eq!(qualify("localhost:5001/f:1", local), "localhost:5001/f:1");
        let env = Env::new(
            [(LOCAL_REGISTRY_VAR.to_owned(), "127.0.0.1:5999/".to_owned())],
            "/".into(),
        );
        assert_eq!(local_registry(&env), "127.0.0.1:5999");
        assert_eq!(
            local_registry(&Env::new([], "/".into())),
            DEFAULT_LOCAL_REGISTRY
        );
    }

    #[test]
    fn from_lines_use_arg_defaults_and_build_args_and_skip_stages() {
        assert_eq!(
            from_images(PYTHON, &[]),
            [
                "127.0.0.1:5000/faas/fwatchdog:latest",
                "127.0.0.1:5000/faas/python:2.7"
            ]
        );
        let overridden = from_images(PYTHON, &args(&[("PYTHON2_IMAGE", "reg:1/py:2")]));
        assert_eq!(overridden[1], "reg:1/py:2");
        let multi =
            "ARG A=x/base:1 \\\n  B\n# comment\nFROM --platform=linux/amd64 ${A} AS build\n\
                     RUN make\nFROM build AS again\nFROM scratch\nCOPY --from=build / /\n\
                     FROM $B\nFROM ${C:-x/fallback}\n";
        assert_eq!(
            from_images(multi, &args(&[("B", "y/other")])),
            ["x/base:1", "y/other", "x/fallback"]
        );
    }

    #[test]
    fn defaults_are_rewritten_to_another_local_registry_unless_given() {
        assert!(rewritten_defaults(PYTHON, DEFAULT_LOCAL_REGISTRY, &[]).is_empty());
        assert_eq!(
            rewritten_defaults(PYTHON, "127.0.0.1:6000", &args(&[("WATCHDOG_IMAGE", "w")])),
            args(&[("PYTHON2_IMAGE", "127.0.0.1:6000/faas/python:2.7")])
        );
    }

    #[test]
    fn references_split_into_host_repo_and_tag() {
        assert_eq!(
            split_reference("127.0.0.1:5000/faas/python:2.7"),
            Some(("127.0.0.1:5000", "faas/python", "2.7"))
        );
        assert_eq!(
            split_reference("localhost:5000/a/b"),
            Some(("localhost:5000", "a/b", "latest"))
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/a@sha256:00"),
            Some(("127.0.0.1:5000", "a", "sha256:00"))
        );
    }

    #[tokio::test]
    async fn a_stopped_registry_is_one_line_with_the_fix() {
        // A port nothing listens on: bind, note it, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let local = format!("127.0.0.1:{port}");
        let image = format!("{local}/faas/python:2.7");
        let e = check_images(&[image], &local)
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!("no registry answers at {local}: run 'sudo faasd install' (or 'systemctl start faasd-registry')")
        );
        // Other registries are not checked.
        check_images(&["docker.io/library/alpine:3".to_owned()], &local)
            .await
            .unwrap();
    }

    #[test]
    fn a_missing_base_image_names_faasd_base_images() {
        assert_eq!(
            missing_image(
                "127.0.0.1:5000/faas/python:2.7",
                "127.0.0.1:5000",
                "faas/python",
                "127.0.0.1:5000"
            ),
            "127.0.0.1:5000/faas/python:2.7 is not in the registry: run 'sudo faasd base-images'"
        );
        assert!(
            missing_image("127.0.0.1:7/me/x:1", "127.0.0.1:7", "me/x", "127.0.0.1:7")
                .contains("faas push")
        );
    }
}

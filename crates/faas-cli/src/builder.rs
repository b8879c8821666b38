//! Image builders: buildah (preferred), docker or nerdctl, whichever is on `PATH` (or chosen
//! with `--builder`). Each build runs in `build/<fn>/` with faas-cli's arguments (docs/stack.md §9);
//! the builder's output is streamed line by line with a `[fn]` prefix.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

use crate::error::Error;
use crate::output;
use crate::settings::Env;

/// A kind of image builder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuilderKind {
    /// `buildah bud` / `buildah push` (no daemon needed).
    Buildah,
    /// `docker build` / `docker push`.
    Docker,
    /// `nerdctl build` / `nerdctl push` (needs buildkitd).
    Nerdctl,
}

impl BuilderKind {
    /// All kinds, in order of preference.
    pub const ALL: [BuilderKind; 3] = [
        BuilderKind::Buildah,
        BuilderKind::Docker,
        BuilderKind::Nerdctl,
    ];

    /// The program's name.
    pub fn program(self) -> &'static str {
        match self {
            BuilderKind::Buildah => "buildah",
            BuilderKind::Docker => "docker",
            BuilderKind::Nerdctl => "nerdctl",
        }
    }

    fn parse(name: &str) -> Option<BuilderKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.program() == name.trim().to_lowercase())
    }
}

/// The builder a command uses.
#[derive(Debug, Clone)]
pub struct Builder {
    /// Which one.
    pub kind: BuilderKind,
    /// Its executable.
    pub program: PathBuf,
    /// buildah's `--storage-driver`, when set.
    pub storage_driver: Option<String>,
}

/// What one image build needs.
#[derive(Debug, Clone)]
pub struct BuildRequest<'a> {
    /// `build/<fn>/`.
    pub context_dir: &'a Path,
    /// The image to tag.
    pub image: &'a str,
    /// `--build-arg` pairs, in order.
    pub build_args: &'a [(String, String)],
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--pull`.
    pub pull: bool,
    /// Whether base images or the target come from a plain-HTTP local registry.
    pub local_registry: bool,
}

fn find_on_path(env: &Env, program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    env.path_dirs()
        .into_iter()
        .map(|d| d.join(program))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The builder named by `choice`, else the first of buildah, docker, nerdctl on `PATH`.
pub fn find_builder(
    env: &Env,
    choice: Option<&str>,
    storage_driver: Option<String>,
) -> Result<Builder, Error> {
    let kinds: Vec<BuilderKind> = match choice.filter(|c| !c.trim().is_empty()) {
        Some(name) => vec![BuilderKind::parse(name).ok_or_else(|| {
            Error::usage(format!(
                "unknown builder {name:?}: use buildah, docker or nerdctl"
            ))
        })?],
        None => BuilderKind::ALL.to_vec(),
    };
    for kind in &kinds {
        if let Some(program) = find_on_path(env, kind.program()) {
            tracing::debug!(builder = kind.program(), path = %program.display(), "found builder");
            return Ok(Builder {
                kind: *kind,
                program,
                storage_driver: storage_driver.filter(|s| !s.is_empty()),
            });
        }
    }
    let wanted = match choice {
        Some(name) => format!("{name} is not installed (not found on PATH)"),
        None => "no image builder found on PATH".to_owned(),
    };
    Err(Error::Builder(format!(
        "{wanted}: install buildah (apt-get install buildah) or docker, or nerdctl with buildkit; \
         `faas build --shrinkwrap` writes build/<function>/ without building"
    )))
}

/// Whether `image` (or a base image reference) names a registry on this machine, reached over
/// plain HTTP: `localhost`, `127.0.0.1` or `[::1]`, with any port.
pub fn is_local_registry(image: &str) -> bool {
    let Some((host, _)) = image.split_once('/') else {
        return false;
    };
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

impl Builder {
    fn base_args(&self) -> Vec<String> {
        match (&self.kind, &self.storage_driver) {
            (BuilderKind::Buildah, Some(driver)) => vec![format!("--storage-driver={driver}")],
            _ => Vec::new(),
        }
    }

    /// The arguments of an image build (without the program).
    pub fn build_argv(&self, request: &BuildRequest<'_>) -> Vec<String> {
        let mut argv = self.base_args();
        match self.kind {
            BuilderKind::Buildah => {
                argv.push("bud".into());
                if !request.no_cache {
                    argv.push("--layers".into());
                }
                if request.local_registry {
                    argv.push("--tls-verify=false".into());
                }
            }
            BuilderKind::Docker | BuilderKind::Nerdctl => argv.push("build".into()),
        }
        if request.no_cache {
            argv.push("--no-cache".into());
        }
        if request.pull {
            argv.push("--pull".into());
        }
        for (k, v) in request.build_args {
            argv.push("--build-arg".into());
            argv.push(format!("{k}={v}"));
        }
        argv.push("--tag".into());
        argv.push(request.image.to_owned());
        argv.push(".".into());
        argv
    }

    /// The arguments of an image push.
    pub fn push_argv(&self, image: &str) -> Vec<String> {
        let mut argv = self.base_args();
        argv.push("push".into());
        let local = is_local_registry(image);
        match self.kind {
            BuilderKind::Buildah => {
                if local {
                    argv.push("--tls-verify=false".into());
                }
                argv.push(image.to_owned());
                argv.push(format!("docker://{image}"));
            }
            BuilderKind::Nerdctl => {
                if local {
                    argv.push("--insecure-registry".into());
                }
                argv.push(image.to_owned());
            }
            BuilderKind::Docker => argv.push(image.to_owned()),
        }
        argv
    }

    /// Runs the builder with `argv` in `dir`, printing its output with `[prefix]` (or keeping
    /// it for the error when `quiet`).
    pub async fn run(
        &self,
        prefix: &str,
        argv: &[String],
        dir: &Path,
        env: &Env,
        quiet: bool,
    ) -> Result<(), Error> {
        let command_line = format!("{} {}", self.kind.program(), argv.join(" "));
        tracing::info!(command = %command_line, dir = %dir.display(), "running builder");
        let mut child = Command::new(&self.program)
            .args(argv)
            .current_dir(dir)
            .env_clear()
            .envs(env.vars())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::Command {
                command: command_line.clone(),
                outcome: format!("could not be started: {e}"),
            })?;
        let stdout = child
            .stdout
            .take()
            .map(|s| relay(prefix.to_owned(), BufReader::new(s), quiet));
        let stderr = child
            .stderr
            .take()
            .map(|s| relay(prefix.to_owned(), BufReader::new(s), quiet));
        let status = child.wait().await.map_err(|e| Error::Command {
            command: command_line.clone(),
            outcome: format!("could not be waited for: {e}"),
        })?;
        let mut kept = Vec::new();
        for task in [stdout, stderr].into_iter().flatten() {
            kept.extend(task.await.unwrap_or_default());
        }
        if status.success() {
            return Ok(());
        }
        if quiet {
            for line in &kept {
                output::prefixed(prefix, line);
            }
        }
        Err(Error::Command {
            command: format!(
                "{} {}",
                self.kind.program(),
                argv.first().map_or("", String::as_str)
            ),
            outcome: format!("failed ({status}); its output is above"),
        })
    }
}

/// Copies lines to stderr with a prefix, or keeps the last ones when quiet.
fn relay<R>(
    prefix: String,
    reader: BufReader<R>,
    quiet: bool,
) -> tokio::task::JoinHandle<Vec<String>>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut kept = Vec::new();
        let mut lines = reader.lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if quiet {
                kept.push(line);
                if kept.len() > 40 {
                    kept.remove(0);
                }
            } else {
                output::prefixed(&prefix, &line);
            }
        }
        kept
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder(kind: BuilderKind) -> Builder {
        Builder {
            kind,
            program: PathBuf::from(kind.program()),
            storage_driver: None,
        }
    }

    #[test]
    fn local_registries_are_recognised() {
        assert!(is_local_registry("127.0.0.1:5000/faas/python:3"));
        assert!(is_local_registry("localhost/fn:latest"));
        assert!(!is_local_registry("docker.io/me/fn:latest"));
        assert!(!is_local_registry("hello-python:latest"));
    }

    #[test]
    fn build_and_push_arguments() {
        let args = vec![("ADDITIONAL_PACKAGE".to_owned(), "curl git".to_owned())];
        let request = BuildRequest {
            context_dir: Path::new("build/f"),
            image: "127.0.0.1:5000/me/f:latest",
            build_args: &args,
            no_cache: false,
            pull: false,
            local_registry: true,
        };
        assert_eq!(
            builder(BuilderKind::Buildah).build_argv(&request).join(" "),
            "bud --layers --tls-verify=false --build-arg ADDITIONAL_PACKAGE=curl git --tag 127.0.0.1:5000/me/f:latest ."
        );
        assert_eq!(
            builder(BuilderKind::Docker).build_argv(&request).join(" "),
            "build --build-arg ADDITIONAL_PACKAGE=curl git --tag 127.0.0.1:5000/me/f:latest ."
        );
        assert_eq!(
            builder(BuilderKind::Buildah).push_argv("127.0.0.1:5000/me/f:latest").join(" "),
            "push --tls-verify=false 127.0.0.1:5000/me/f:latest docker://127.0.0.1:5000/me/f:latest"
        );
    }

    #[test]
    fn missing_builder_names_what_to_install() {
        let env = Env::new(
            [("PATH".to_owned(), "/nonexistent".to_owned())],
            PathBuf::from("/"),
        );
        let err = find_builder(&env, None, None).unwrap_err().to_string();
        assert!(err.contains("install buildah"), "{err}");
    }
}

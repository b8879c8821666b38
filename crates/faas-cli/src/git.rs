//! What the CLI asks git: tags for `--tag sha|branch|describe` (docs/stack.md §7) and shallow clones
//! for `template pull URL`. Runs the `git` command; nothing is reimplemented.

use std::path::Path;
use std::time::Duration;

use tokio::process::Command;

use crate::cli::TagFormat;
use crate::error::Error;
use crate::settings::Env;

/// How long a clone may take.
pub const CLONE_TIMEOUT: Duration = Duration::from_secs(120);

async fn git_output(env: &Env, args: &[&str]) -> Result<String, Error> {
    let command = format!("git {}", args.join(" "));
    let output = Command::new("git")
        .args(args)
        .env_clear()
        .envs(env_for_git(env))
        .output()
        .await
        .map_err(|e| Error::Command {
            command: command.clone(),
            outcome: format!("could not be started: {e} (is git installed?)"),
        })?;
    if !output.status.success() {
        return Err(Error::Command {
            command,
            outcome: format!("failed: {}", String::from_utf8_lossy(&output.stderr).trim()),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn env_for_git(env: &Env) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = [
        "PATH",
        "HOME",
        "LANG",
        "GIT_SSH_COMMAND",
        "SSH_AUTH_SOCK",
        "XDG_CONFIG_HOME",
    ]
    .iter()
    .filter_map(|k| Some(((*k).to_owned(), env.get(k)?)))
    .collect();
    vars.push(("GIT_TERMINAL_PROMPT".to_owned(), "0".to_owned()));
    vars
}

/// The image with `--tag`'s suffix: `image:tag-<sha>`, `-<branch>-<sha>`, `-<describe>`.
pub async fn tagged_image(env: &Env, image: &str, format: TagFormat) -> Result<String, Error> {
    let suffix = match format {
        TagFormat::Latest => return Ok(image.to_owned()),
        TagFormat::Sha => git_output(env, &["rev-parse", "--short", "HEAD"]).await?,
        TagFormat::Branch => {
            let branch = git_output(env, &["rev-parse", "--abbrev-ref", "HEAD"]).await?;
            let sha = git_output(env, &["rev-parse", "--short", "HEAD"]).await?;
            format!("{branch}-{sha}")
        }
        TagFormat::Describe => git_output(env, &["describe", "--tags", "--always"]).await?,
    };
    Ok(format!("{image}-{}", suffix.replace('/', "-")))
}

/// Clones `url` (optionally `url#ref`) with depth 1 into `into`.
pub async fn shallow_clone(env: &Env, url: &str, into: &Path) -> Result<(), Error> {
    let (repo, reference) = match url.rsplit_once('#') {
        Some((repo, reference)) if !reference.is_empty() => (repo, Some(reference)),
        _ => (url, None),
    };
    let target = into.display().to_string();
    let mut args = vec!["clone", "--depth", "1", "--quiet"];
    if let Some(reference) = reference {
        args.extend(["--branch", reference]);
    }
    args.extend([repo, target.as_str()]);
    match tokio::time::timeout(CLONE_TIMEOUT, git_output(env, &args)).await {
        Ok(result) => result.map(|_| ()),
        Err(_) => Err(Error::Command {
            command: format!("git clone {repo}"),
            outcome: format!("did not finish within {}s", CLONE_TIMEOUT.as_secs()),
        }),
    }
}

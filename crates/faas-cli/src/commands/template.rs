//! `faas template pull [REPO|DIR]` and `faas template store list|pull` (docs/stack.md §8.2, §12).
//! Without a network the shipped templates stand in: `template pull` with no repository
//! writes them, and a store template we ship (bash-streaming) is used when its repository
//! cannot be reached.

use std::path::Path;

use super::ExitStatus;
use crate::cli::{TemplatePullArgs, TemplateStoreCommand};
use crate::error::{During as _, Error};
use crate::fetch::{fetch_text, is_url};
use crate::output;
use crate::settings::Context;
use crate::templates::{
    copy_from_repository, is_shipped, shipped_names, write_shipped, TEMPLATE_DIR,
};

/// The upstream template store (needs internet; pass `-u FILE` offline).
pub const DEFAULT_TEMPLATE_STORE_URL: &str =
    "https://raw.githubusercontent.com/openfaas/store/master/templates.json";

/// `template pull`.
pub async fn pull(ctx: &Context, args: &TemplatePullArgs) -> Result<ExitStatus, Error> {
    let repository = args.repository.clone().or_else(|| {
        ctx.env
            .get("OPENFAAS_TEMPLATE_URL")
            .filter(|u| !u.is_empty())
    });
    match repository {
        Some(repository) => pull_repository(ctx, &repository, args.overwrite)
            .await
            .during(|| format!("pulling templates from {repository}"))?,
        None => {
            let mut written = Vec::new();
            for name in shipped_names() {
                if write_shipped(Path::new(TEMPLATE_DIR), name, args.overwrite)? {
                    written.push(name);
                }
            }
            output::line(format!(
                "Wrote {} template(s) shipped with faas to ./{TEMPLATE_DIR}: {}",
                written.len(),
                written.join(", ")
            ));
        }
    }
    Ok(ExitStatus::Success)
}

/// Copies the templates of a local directory, or of a git repository cloned to a temporary
/// folder, into `./template`.
pub async fn pull_repository(
    ctx: &Context,
    repository: &str,
    overwrite: bool,
) -> Result<(), Error> {
    let local = Path::new(repository);
    let (written, skipped) = if !is_url(repository) && !repository.contains('@') && local.is_dir() {
        copy_from_repository(local, Path::new(TEMPLATE_DIR), overwrite)?
    } else {
        let scratch = scratch_dir()?;
        let clone_dir = scratch.join("repository");
        let result = async {
            crate::git::shallow_clone(&ctx.env, repository, &clone_dir).await?;
            copy_from_repository(&clone_dir, Path::new(TEMPLATE_DIR), overwrite)
        }
        .await;
        let _ = std::fs::remove_dir_all(&scratch);
        result?
    };
    if !written.is_empty() {
        output::line(format!(
            "Wrote {} template(s): {}",
            written.len(),
            written.join(", ")
        ));
    }
    if !skipped.is_empty() {
        output::progress(format!(
            "Kept existing template(s): {} (use --overwrite to replace them)",
            skipped.join(", ")
        ));
    }
    Ok(())
}

fn scratch_dir() -> Result<std::path::PathBuf, Error> {
    let dir = std::env::temp_dir().join(format!("faas-template-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    Ok(dir)
}

/// `template store list|pull`.
pub async fn store(ctx: &Context, command: TemplateStoreCommand) -> Result<ExitStatus, Error> {
    match command {
        TemplateStoreCommand::List {
            url,
            platform,
            verbose,
        } => {
            let entries = load_store(&url).await?;
            let listed = faas_stack::list_templates(&entries, &platform);
            let mut rows = vec![vec![
                "NAME".to_owned(),
                "RECOMMENDED".to_owned(),
                "SOURCE".to_owned(),
                "DESCRIPTION".to_owned(),
            ]];
            for e in listed {
                let description = if verbose || e.description.chars().count() <= 40 {
                    e.description.clone()
                } else {
                    format!("{}...", e.description.chars().take(37).collect::<String>())
                };
                rows.push(vec![
                    e.template.clone(),
                    e.recommended.to_string(),
                    e.source.clone(),
                    description,
                ]);
            }
            for line in crate::output::table(&rows, 2) {
                output::line(line);
            }
            Ok(ExitStatus::Success)
        }
        TemplateStoreCommand::Pull {
            name,
            url,
            platform,
            overwrite,
        } => {
            let template_name = name.rsplit('/').next().unwrap_or(&name).to_owned();
            let entries = match load_store(&url).await {
                Ok(entries) => entries,
                Err(e) if is_shipped(&template_name) => {
                    output::warning(format!(
                        "{}; using the {template_name} template shipped with faas",
                        e.chain()
                    ));
                    return write_shipped_template(&template_name, overwrite);
                }
                Err(e) => return Err(e),
            };
            let entry = faas_stack::template_store::find_template(&entries, &name, &platform)
                .ok_or_else(|| Error::usage(format!("template {name:?} is not in the template store {url} for platform {platform}")))?;
            match pull_repository(ctx, &entry.repo, overwrite).await {
                Ok(()) => Ok(ExitStatus::Success),
                Err(e) if is_shipped(&template_name) => {
                    output::warning(format!(
                        "cannot pull {}: {}; using the {template_name} template shipped with faas",
                        entry.repo,
                        e.chain()
                    ));
                    write_shipped_template(&template_name, overwrite)
                }
                Err(e) => Err(e).during(|| format!("pulling template {name} from {}", entry.repo)),
            }
        }
    }
}

fn write_shipped_template(name: &str, overwrite: bool) -> Result<ExitStatus, Error> {
    if write_shipped(Path::new(TEMPLATE_DIR), name, overwrite)? {
        output::line(format!("Wrote template: {name}"));
    } else {
        output::progress(format!(
            "Kept existing template: {name} (use --overwrite to replace it)"
        ));
    }
    Ok(ExitStatus::Success)
}

async fn load_store(url: &str) -> Result<Vec<faas_stack::TemplateStoreEntry>, Error> {
    let text = fetch_text(url)
        .await
        .during(|| format!("reading the template store {url}"))?;
    Ok(faas_stack::parse_template_store(url, &text)?)
}

//! What `build`, `push`, `deploy` and `up` share: selecting a stack's functions, making sure
//! their templates are in `./template/`, and naming their images.

use std::path::Path;

use faas_stack::{Function, StackFile};

use crate::cli::{StackArgs, TagFormat};
use crate::error::{During as _, Error};
use crate::settings::Context;
use crate::templates::{ensure_template, TEMPLATE_DIR};

/// The functions `--filter` / `--regex` select.
pub fn selected<'a>(stack: &'a StackFile, args: &StackArgs) -> Result<Vec<&'a Function>, Error> {
    Ok(faas_stack::select_functions(
        stack,
        args.filter.as_deref(),
        args.regex.as_deref(),
    )?)
}

/// Makes sure every selected function's template is in `./template/`: shipped templates are
/// written, `configuration.templates` with a `source` are pulled.
pub async fn prepare_templates(
    ctx: &Context,
    stack: &StackFile,
    functions: &[&Function],
) -> Result<(), Error> {
    let templates_dir = Path::new(TEMPLATE_DIR);
    for function in functions {
        let Some(lang) = function.language() else {
            continue;
        };
        if ensure_template(templates_dir, lang)? {
            continue;
        }
        let name = faas_stack::template::template_dir_name(lang);
        if let Some(source) = stack
            .configuration
            .templates
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.source.as_deref())
        {
            super::template::pull_repository(ctx, source, false)
                .await
                .during(|| format!("pulling template {name} from {source}"))?;
        }
        // A template still missing is reported by faas-stack with the function's `lang` line.
    }
    Ok(())
}

/// The image `function` builds, pushes and deploys: `:latest` added when untagged, the local
/// registry (`FAAS_LOCAL_REGISTRY`, default `127.0.0.1:5000`) in front of a name without host or
/// user (`hello-python:latest`), then the `--tag` suffix.
pub async fn image_of(ctx: &Context, function: &Function, tag: TagFormat) -> Result<String, Error> {
    let image = crate::local_registry::qualify(
        &faas_stack::image_with_default_tag(function.image.as_deref().unwrap_or_default().trim()),
        &crate::local_registry::local_registry(&ctx.env),
    );
    crate::git::tagged_image(&ctx.env, &image, tag)
        .await
        .during(|| format!("tagging the image of {} with --tag", function.name))
}

/// Runs `work` for every function, `parallel` at a time; failures are printed as they happen
/// (with `action` and the function's name). With one function its error is returned as is.
pub async fn for_each_function<'a, F, Fut>(
    functions: &[&'a Function],
    parallel: usize,
    action: &str,
    work: F,
) -> Result<(), Error>
where
    F: Fn(&'a Function) -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    use futures_util::StreamExt as _;
    let results: Vec<(String, Result<(), Error>)> =
        futures_util::stream::iter(functions.iter().copied())
            .map(|f| {
                let run = work(f);
                async move { (f.name.clone(), run.await) }
            })
            .buffer_unordered(parallel.max(1))
            .collect()
            .await;
    let total = results.len();
    let mut failures: Vec<Error> = results
        .into_iter()
        .filter_map(|(name, r)| r.err().map(|e| (name, e)))
        .map(|(name, e)| Error::During {
            action: format!("{action} {name}"),
            source: Box::new(e),
        })
        .collect();
    match failures.len() {
        0 => Ok(()),
        1 if total == 1 => Err(failures.remove(0)),
        failed => {
            for failure in &failures {
                crate::output::error(failure);
            }
            Err(Error::SomeFailed { failed, total })
        }
    }
}

//! `faas new NAME --lang L` and `faas new --list` (docs/stack.md §10): the handler folder from the
//! template's `function/`, and `NAME.yml` (or an entry appended to `--append FILE`).

use std::path::Path;

use super::ExitStatus;
use crate::cli::NewArgs;
use crate::config::yaml_scalar;
use crate::error::Error;
use crate::output;
use crate::settings::{resolve_gateway, Context};
use crate::templates::{copy_tree, ensure_template, local_names, shipped_names, TEMPLATE_DIR};

/// Runs `faas new`.
pub async fn new(ctx: &Context, args: &NewArgs) -> Result<ExitStatus, Error> {
    let templates_dir = Path::new(TEMPLATE_DIR);
    if args.list {
        let mut names: Vec<String> = local_names(templates_dir);
        names.extend(shipped_names().into_iter().map(str::to_owned));
        names.sort();
        names.dedup();
        output::line("Languages available as templates:");
        for name in names {
            output::line(format!("- {name}"));
        }
        return Ok(ExitStatus::Success);
    }
    let (Some(name), Some(lang)) = (args.name.as_deref(), args.lang.as_deref()) else {
        return Err(Error::usage(
            "give a function name and --lang, e.g. faas new --lang python hello",
        ));
    };
    if !faas_core::name::is_dns1123_label(name) {
        return Err(Error::usage(format!(
            "function name {name:?} can only contain a-z, 0-9 and dashes, and must start and end with a letter or digit"
        )));
    }
    if !ensure_template(templates_dir, lang)? {
        return Err(Error::usage(format!(
            "no template for language {lang:?} in ./{TEMPLATE_DIR} or shipped with faas; see \"faas new --list\" or run \"faas template pull REPOSITORY\""
        )));
    }
    let template = faas_stack::Template::load(templates_dir, lang)?;
    let handler_source = template.dir.join(template.spec.handler_folder());

    let stack_file = args.append.clone().unwrap_or_else(|| format!("{name}.yml"));
    if let Some(existing) = &args.append {
        let loaded = faas_stack::read_stack_file(
            Path::new(existing),
            faas_stack::LoadOptions::new(&ctx.env),
        )?;
        if loaded.stack.function(name).is_some() {
            return Err(Error::usage(format!(
                "function {name} already exists in {existing} file; cannot have duplicate function names in same yaml file"
            )));
        }
    } else if Path::new(&stack_file).exists() {
        return Err(Error::usage(format!(
            "file {stack_file} already exists: use --append {stack_file} to add the function to it"
        )));
    }
    if Path::new(name).exists() {
        return Err(Error::usage(format!("folder {name} already exists")));
    }

    create_handler(&handler_source, Path::new(name))?;
    update_gitignore()?;
    let image = if args.prefix.trim().is_empty() {
        format!("{name}:latest")
    } else {
        format!("{}/{name}:latest", args.prefix.trim().trim_end_matches('/'))
    };
    let entry = function_entry(name, lang, &image, args);
    if let Some(existing) = &args.append {
        let mut text =
            std::fs::read_to_string(existing).map_err(|e| Error::io("read", existing, e))?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&entry);
        std::fs::write(existing, text).map_err(|e| Error::io("write", existing, e))?;
    } else {
        let gateway = resolve_gateway(args.gateway.as_deref(), None, &ctx.env);
        let text = format!(
            "version: 1.0\nprovider:\n  name: openfaas\n  gateway: {}\nfunctions:\n{entry}",
            yaml_scalar(&gateway)
        );
        std::fs::write(&stack_file, text).map_err(|e| Error::io("write", &stack_file, e))?;
    }

    if args.quiet {
        output::line(format!("{name}/"));
        output::line(&stack_file);
    } else {
        output::line(format!("Folder: {name} created."));
        output::line(format!("Function created in folder: {name}"));
        output::line(format!("Stack file written: {stack_file}"));
        if let Some(message) = template
            .spec
            .welcome_message
            .as_deref()
            .filter(|m| !m.trim().is_empty())
        {
            output::line("");
            output::line("Notes:");
            output::line(message.trim_end());
        }
    }
    Ok(ExitStatus::Success)
}

/// The function's entry under `functions:` (two-space indentation, as faas-cli writes it).
fn function_entry(name: &str, lang: &str, image: &str, args: &NewArgs) -> String {
    let mut entry = format!(
        "  {name}:\n    lang: {}\n    handler: ./{name}\n    image: {}\n",
        yaml_scalar(lang),
        yaml_scalar(image)
    );
    let resources = |memory: &Option<String>, cpu: &Option<String>| {
        let mut text = String::new();
        if let Some(cpu) = cpu {
            text.push_str(&format!("      cpu: {}\n", yaml_scalar(cpu)));
        }
        if let Some(memory) = memory {
            text.push_str(&format!("      memory: {}\n", yaml_scalar(memory)));
        }
        text
    };
    let requests = resources(&args.memory_request, &args.cpu_request);
    if !requests.is_empty() {
        entry.push_str(&format!("    requests:\n{requests}"));
    }
    let limits = resources(&args.memory_limit, &args.cpu_limit);
    if !limits.is_empty() {
        entry.push_str(&format!("    limits:\n{limits}"));
    }
    entry
}

fn create_handler(source: &Path, target: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    if source.is_dir() {
        copy_tree(source, target)?;
    } else {
        std::fs::create_dir_all(target).map_err(|e| Error::io("create", target, e))?;
    }
    std::fs::set_permissions(target, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io("set permissions of", target, e))
}

/// Adds `template`, `build` and `.secrets` to `.gitignore` (once each).
fn update_gitignore() -> Result<(), Error> {
    let path = Path::new(".gitignore");
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    let mut changed = false;
    for entry in ["template", "build", ".secrets"] {
        if !text.lines().any(|l| l.trim() == entry) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(entry);
            text.push('\n');
            changed = true;
        }
    }
    if changed {
        std::fs::write(path, text).map_err(|e| Error::io("write", path, e))?;
    }
    Ok(())
}

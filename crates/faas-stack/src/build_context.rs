//! The build folder `build/<fn>/` (docs/stack.md §9): [`plan_build_context`] decides what is copied
//! where without touching the disk; [`write_build_context`] does it.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Origin};
use crate::schema::{Function, StackFile};
use crate::template::{Template, DEFAULT_HANDLER_FOLDER, DOCKERFILE_LANG};

/// The folder under the project that holds every function's build context.
pub const BUILD_DIR: &str = "build";

/// Handler entries never copied into a build context.
pub const SKIPPED_HANDLER_ENTRIES: [&str; 2] = ["build", "template"];

/// One copy of a build plan, done in order (later copies overwrite earlier files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyStep {
    /// Copy the folder `from` recursively to `to` (all entries).
    Tree {
        /// Source folder.
        from: PathBuf,
        /// Destination folder.
        to: PathBuf,
    },
    /// Copy each entry of the folder `from` into `to`, except those named in `skip`.
    Entries {
        /// Source folder.
        from: PathBuf,
        /// Destination folder.
        to: PathBuf,
        /// Entry names left out.
        skip: Vec<String>,
    },
    /// Copy a file or folder `from` to the path `to`.
    Path {
        /// Source file or folder.
        from: PathBuf,
        /// Destination path.
        to: PathBuf,
    },
}

/// What building one function writes: `context_dir` is deleted, recreated, and filled by
/// `steps`; the image build then runs in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildContextPlan {
    /// The function's name.
    pub function: String,
    /// `build/<fn>/` under the project.
    pub context_dir: PathBuf,
    /// The copies, in order.
    pub steps: Vec<CopyStep>,
}

/// Plans `build/<fn>/` for `function` under `project_dir`.
///
/// `template` is the function's template ([`crate::template::function_template`]); `extra_copy`
/// are `--copy-extra` paths added to `configuration.copy`. Returns `None` for a function that
/// is not built (`skip_build`, or no `lang`). Errors: no `handler`, no template for a language
/// template, a copy path outside the project.
pub fn plan_build_context(
    project_dir: &Path,
    stack: &StackFile,
    function: &Function,
    template: Option<&Template>,
    extra_copy: &[String],
) -> Result<Option<BuildContextPlan>, Error> {
    let Some(lang) = function.language() else {
        return Ok(None);
    };
    if function.skip_build {
        return Ok(None);
    }
    let handler = function
        .handler
        .as_deref()
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| {
            Error::invalid(
                function.origin("handler"),
                "handler is missing; set it to the function's folder, e.g. `handler: ./NAME`",
            )
        })?;
    let handler_dir = project_dir.join(handler);
    let context_dir = project_dir.join(BUILD_DIR).join(&function.name);
    let mut steps = Vec::new();
    let is_dockerfile = crate::template::template_dir_name(lang) == DOCKERFILE_LANG;
    if is_dockerfile {
        steps.push(CopyStep::Entries {
            from: handler_dir,
            to: context_dir.clone(),
            skip: SKIPPED_HANDLER_ENTRIES.map(str::to_owned).to_vec(),
        });
    } else {
        let template = template.ok_or_else(|| Error::Template {
            origin: function.origin("lang"),
            message: format!("no template loaded for {lang:?}; run \"faas template pull\""),
        })?;
        steps.push(CopyStep::Tree {
            from: template.dir.clone(),
            to: context_dir.clone(),
        });
        steps.push(CopyStep::Entries {
            from: handler_dir,
            to: context_dir.join(template.spec.handler_folder()),
            skip: SKIPPED_HANDLER_ENTRIES.map(str::to_owned).to_vec(),
        });
    }
    let copies = stack
        .configuration
        .copy
        .iter()
        .enumerate()
        .map(|(i, p)| (p, stack.origin(&format!("configuration.copy[{i}]"))))
        .chain(extra_copy.iter().map(|p| {
            (
                p,
                Origin::new(stack.source.file.clone(), None, "--copy-extra"),
            )
        }));
    for (path, origin) in copies {
        let relative = inside_project(path).ok_or_else(|| {
            Error::invalid(
                origin,
                format!("copy path {path:?} must name a file or folder inside the project, e.g. ./common"),
            )
        })?;
        steps.push(CopyStep::Path {
            from: project_dir.join(&relative),
            to: context_dir.join(DEFAULT_HANDLER_FOLDER).join(&relative),
        });
    }
    Ok(Some(BuildContextPlan {
        function: function.name.clone(),
        context_dir,
        steps,
    }))
}

/// `path` as a normalized relative path inside the project (`./common/` → `common`), or
/// `None` when it is absolute, empty, or leaves the project.
fn inside_project(path: &str) -> Option<PathBuf> {
    let mut normalized = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => normalized.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !normalized.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!normalized.as_os_str().is_empty()).then_some(normalized)
}

/// Deletes and recreates `plan.context_dir`, then performs its copies. Symbolic links are
/// followed.
pub fn write_build_context(plan: &BuildContextPlan) -> Result<(), Error> {
    let origin = || Origin::new(plan.context_dir.display().to_string(), None, "");
    match std::fs::remove_dir_all(&plan.context_dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(origin(), "remove", &plan.context_dir, e)),
    }
    std::fs::create_dir_all(&plan.context_dir)
        .map_err(|e| Error::io(origin(), "create", &plan.context_dir, e))?;
    for step in &plan.steps {
        match step {
            CopyStep::Tree { from, to } | CopyStep::Path { from, to } => copy_path(from, to, 0)?,
            CopyStep::Entries { from, to, skip } => {
                let entries =
                    std::fs::read_dir(from).map_err(|e| Error::io(origin(), "read", from, e))?;
                create_dir(to)?;
                for entry in entries {
                    let entry = entry.map_err(|e| Error::io(origin(), "read", from, e))?;
                    let name = entry.file_name();
                    if skip.iter().any(|s| name == s.as_str()) {
                        continue;
                    }
                    copy_path(&entry.path(), &to.join(&name), 0)?;
                }
            }
        }
    }
    tracing::debug!(function = %plan.function, dir = %plan.context_dir.display(), "wrote build context");
    Ok(())
}

/// How deep folders are copied before giving up (a symbolic link loop).
const MAX_COPY_DEPTH: usize = 64;

fn create_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(path_origin(dir), "create", dir, e))
}

fn path_origin(path: &Path) -> Origin {
    Origin::new(path.display().to_string(), None, "")
}

fn copy_path(from: &Path, to: &Path, depth: usize) -> Result<(), Error> {
    let metadata =
        std::fs::metadata(from).map_err(|e| Error::io(path_origin(from), "read", from, e))?;
    if !metadata.is_dir() {
        if let Some(parent) = to.parent() {
            create_dir(parent)?;
        }
        std::fs::copy(from, to).map_err(|e| Error::io(path_origin(from), "copy to", to, e))?;
        return Ok(());
    }
    if depth >= MAX_COPY_DEPTH {
        return Err(Error::invalid(
            path_origin(from),
            format!(
                "folders nested more than {MAX_COPY_DEPTH} deep; is there a symbolic link loop?"
            ),
        ));
    }
    create_dir(to)?;
    let entries =
        std::fs::read_dir(from).map_err(|e| Error::io(path_origin(from), "read", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(path_origin(from), "read", from, e))?;
        copy_path(&entry.path(), &to.join(entry.file_name()), depth + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_paths_stay_inside_the_project() {
        assert_eq!(inside_project("./common/"), Some(PathBuf::from("common")));
        assert_eq!(inside_project("a/../b"), Some(PathBuf::from("b")));
        assert_eq!(inside_project("../x"), None);
        assert_eq!(inside_project("/etc"), None);
        assert_eq!(inside_project("."), None);
        assert_eq!(inside_project(""), None);
    }
}

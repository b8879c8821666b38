//! Language templates: the set shipped inside the binary (the repository's `templates/`
//! folder, embedded at compile time) and the project's `./template/` folder that `new`, `build`
//! and `up` read. Templates missing from `./template/` are written there from the shipped set,
//! so the tutorial works offline on a fresh directory.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir, DirEntry};

use crate::error::Error;

/// The project folder holding one folder per template.
pub const TEMPLATE_DIR: &str = "template";

static SHIPPED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../templates");

/// The names of the templates shipped with the CLI, sorted.
pub fn shipped_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = SHIPPED
        .dirs()
        .filter(|d| d.get_file(d.path().join("template.yml")).is_some())
        .filter_map(|d| d.path().file_name()?.to_str())
        .collect();
    names.sort_unstable();
    names
}

/// Whether a template of this name is shipped.
pub fn is_shipped(name: &str) -> bool {
    shipped_names().contains(&name)
}

/// The template folders present in `templates_dir` (those with a `template.yml`), sorted.
pub fn local_names(templates_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(templates_dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("template.yml").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// Writes the shipped template `name` to `templates_dir/name` (replacing it when `overwrite`).
/// Returns whether it was written (`false`: it already existed).
pub fn write_shipped(templates_dir: &Path, name: &str, overwrite: bool) -> Result<bool, Error> {
    let source = SHIPPED
        .get_dir(name)
        .ok_or_else(|| Error::usage(format!("no template {name:?} is shipped with faas")))?;
    let target = templates_dir.join(name);
    if target.exists() {
        if !overwrite {
            return Ok(false);
        }
        std::fs::remove_dir_all(&target).map_err(|e| Error::io("remove", &target, e))?;
    }
    write_dir(source, &target)?;
    tracing::debug!(template = name, dir = %target.display(), "wrote shipped template");
    Ok(true)
}

fn write_dir(dir: &Dir<'_>, target: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(target).map_err(|e| Error::io("create", target, e))?;
    for entry in dir.entries() {
        let name = entry.path().file_name().unwrap_or_default();
        let path = target.join(name);
        match entry {
            DirEntry::Dir(sub) => write_dir(sub, &path)?,
            DirEntry::File(file) => {
                std::fs::write(&path, file.contents()).map_err(|e| Error::io("write", &path, e))?;
                if path.extension().is_some_and(|e| e == "sh") {
                    set_mode(&path, 0o755)?;
                }
            }
        }
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io("set permissions of", path, e))
}

/// Makes sure `templates_dir/lang` exists, writing the shipped template when it is missing.
/// Returns `false` when it is neither present nor shipped.
pub fn ensure_template(templates_dir: &Path, lang: &str) -> Result<bool, Error> {
    let name = faas_stack::template::template_dir_name(lang);
    if templates_dir.join(&name).join("template.yml").is_file() {
        return Ok(true);
    }
    if is_shipped(&name) {
        write_shipped(templates_dir, &name, true)?;
        return Ok(true);
    }
    Ok(false)
}

/// Copies each `repo_dir/template/<name>` into `templates_dir/<name>` (existing ones are kept
/// unless `overwrite`). Returns the names written and those skipped.
pub fn copy_from_repository(
    repo_dir: &Path,
    templates_dir: &Path,
    overwrite: bool,
) -> Result<(Vec<String>, Vec<String>), Error> {
    let source = repo_dir.join(TEMPLATE_DIR);
    let entries = std::fs::read_dir(&source).map_err(|e| Error::During {
        action: format!("can't find templates in: {}", repo_dir.display()),
        source: Box::new(Error::io("read", &source, e)),
    })?;
    let mut written = Vec::new();
    let mut skipped = Vec::new();
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let Some(name) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let target = templates_dir.join(&name);
        if target.exists() {
            if !overwrite {
                skipped.push(name);
                continue;
            }
            std::fs::remove_dir_all(&target).map_err(|e| Error::io("remove", &target, e))?;
        }
        copy_tree(&dir, &target)?;
        written.push(name);
    }
    Ok((written, skipped))
}

/// Copies a folder recursively, keeping file modes.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(to).map_err(|e| Error::io("create", to, e))?;
    let entries = std::fs::read_dir(from).map_err(|e| Error::io("read", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", from, e))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            if entry.file_name() == ".git" {
                continue;
            }
            copy_tree(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).map_err(|e| Error::io("copy to", &target, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tutorial_templates_are_shipped() {
        let names = shipped_names();
        for name in [
            "python",
            "python3",
            "python3-http",
            "bash-streaming",
            "dockerfile",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
    }

    #[test]
    fn shipped_template_is_written_once() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ensure_template(dir.path(), "Python").unwrap());
        assert!(dir.path().join("python/function/handler.py").is_file());
        assert!(dir.path().join("python/Dockerfile").is_file());
        assert!(!write_shipped(dir.path(), "python", false).unwrap());
        assert!(!ensure_template(dir.path(), "cobol").unwrap());
        assert_eq!(local_names(dir.path()), ["python"]);
    }
}

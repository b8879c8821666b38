//! Language templates: `template.yml` (docs/stack.md §8.1) and the `template/<lang>/` layout (§8.2).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Origin};
use crate::load::parse_first_document;
use crate::schema::Function;

/// The language whose "template" is the handler folder's own Dockerfile.
pub const DOCKERFILE_LANG: &str = "dockerfile";

/// The template description file inside `template/<lang>/`.
pub const TEMPLATE_FILE: &str = "template.yml";

/// The handler folder used when `template.yml` names none.
pub const DEFAULT_HANDLER_FOLDER: &str = "function";

/// `template.yml`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct TemplateSpec {
    /// `language` (informational; lookup uses the directory name).
    pub language: Option<String>,
    /// `fprocess`: the default `envProcess` when the stack sets none.
    pub fprocess: Option<String>,
    /// `build_options`: named package sets for `ADDITIONAL_PACKAGE`.
    pub build_options: Vec<BuildOption>,
    /// `welcome_message`, printed by `new`.
    pub welcome_message: Option<String>,
    /// `handler_folder`; see [`TemplateSpec::handler_folder`].
    pub handler_folder: Option<String>,
    /// `mount_ssh`: build with BuildKit's SSH mount.
    pub mount_ssh: bool,
}

impl TemplateSpec {
    /// The folder of the build context that receives the handler (`function` by default).
    pub fn handler_folder(&self) -> &str {
        self.handler_folder
            .as_deref()
            .filter(|f| !f.trim().is_empty())
            .unwrap_or(DEFAULT_HANDLER_FOLDER)
    }

    /// The build option called `name`.
    pub fn build_option(&self, name: &str) -> Option<&BuildOption> {
        self.build_options.iter().find(|o| o.name == name)
    }
}

/// One entry of `build_options`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct BuildOption {
    /// Its name (`dev`, `curl`).
    pub name: String,
    /// Packages added to `ADDITIONAL_PACKAGE` when it is selected.
    pub packages: Vec<String>,
}

/// Parses `template.yml` text; `file` names it in errors.
pub fn parse_template_spec(file: &str, text: &str) -> Result<TemplateSpec, Error> {
    let mut ignored = Vec::new();
    parse_first_document(file, text, &mut ignored)
}

/// The directory name under `./template` for a `lang` value: lowercased (`Dockerfile` →
/// `dockerfile`).
pub fn template_dir_name(lang: &str) -> String {
    lang.trim().to_lowercase()
}

/// A template found on disk: `template/<name>/` with a valid `template.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The directory name (`python3`).
    pub name: String,
    /// `template/<name>/`.
    pub dir: PathBuf,
    /// Its `template.yml` (empty for a `dockerfile` directory without one).
    pub spec: TemplateSpec,
}

impl Template {
    /// Loads `templates_dir/<template_dir_name(lang)>/`, which must hold a `template.yml` that
    /// parses (a `dockerfile` directory need only exist). Errors point at the template file.
    pub fn load(templates_dir: &Path, lang: &str) -> Result<Template, Error> {
        let name = template_dir_name(lang);
        let dir = templates_dir.join(&name);
        let spec_path = dir.join(TEMPLATE_FILE);
        let spec_file = spec_path.display().to_string();
        let missing = || {
            Error::Template {
            origin: Origin::new(spec_file.clone(), None, ""),
            message: format!(
                "template directory may be missing or invalid, please run \"faas template pull\" (looked for {})",
                dir.display()
            ),
        }
        };
        if !dir.is_dir() {
            return Err(missing());
        }
        let spec = match std::fs::read_to_string(&spec_path) {
            Ok(text) => parse_template_spec(&spec_file, &text)?,
            Err(_) if name == DOCKERFILE_LANG => TemplateSpec::default(),
            Err(_) => return Err(missing()),
        };
        Ok(Template { name, dir, spec })
    }

    /// Checks the layout a build needs (§8.2): a `Dockerfile` next to `template.yml`. The
    /// `dockerfile` language builds from the handler folder and needs none.
    pub fn check_buildable(&self) -> Result<(), Error> {
        if self.name == DOCKERFILE_LANG || self.dir.join("Dockerfile").is_file() {
            return Ok(());
        }
        Err(Error::Template {
            origin: Origin::new(self.dir.join("Dockerfile").display().to_string(), None, ""),
            message: format!(
                "template {} has no Dockerfile; pull it again with \"faas template pull --overwrite\"",
                self.name
            ),
        })
    }
}

/// The template of `function` (`None` when it has no `lang`), with a missing or invalid
/// template reported at the function's `lang` line.
pub fn function_template(
    function: &Function,
    templates_dir: &Path,
) -> Result<Option<Template>, Error> {
    let Some(lang) = function.language() else {
        return Ok(None);
    };
    Template::load(templates_dir, lang)
        .map(Some)
        .map_err(|err| match err {
            Error::Template { message, .. } => Error::Template {
                origin: function.origin("lang"),
                message,
            },
            other => other,
        })
}

/// The `fprocess` of `function`'s template, or `None` when the function has no `lang` or
/// uses `dockerfile`.
pub fn template_fprocess(
    function: &Function,
    templates_dir: &Path,
) -> Result<Option<String>, Error> {
    match function.language() {
        Some(lang) if template_dir_name(lang) != DOCKERFILE_LANG => {
            Ok(function_template(function, templates_dir)?.and_then(|t| t.spec.fprocess))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_streaming_template() {
        let spec = parse_template_spec(
            "template.yml",
            "language: bash-streaming\nfprocess: sh ./index.sh\nbuild_options:\n  - name: ffmpeg\n    packages: [ffmpeg]\n  - name: curl\n    packages:\n      - curl\n",
        )
        .unwrap();
        assert_eq!(spec.fprocess.as_deref(), Some("sh ./index.sh"));
        assert_eq!(spec.build_option("curl").unwrap().packages, ["curl"]);
        assert_eq!(spec.handler_folder(), "function");
        assert!(!spec.mount_ssh);
    }

    #[test]
    fn dockerfile_template_has_only_a_language() {
        let spec = parse_template_spec("template.yml", "language: dockerfile\n").unwrap();
        assert_eq!(spec.language.as_deref(), Some("dockerfile"));
        assert!(spec.fprocess.is_none());
        assert_eq!(template_dir_name("Dockerfile"), DOCKERFILE_LANG);
    }

    #[test]
    fn invalid_template_file_names_its_line() {
        let err = parse_template_spec("t/template.yml", "language: x\nbuild_options: {a: b}\n")
            .unwrap_err();
        assert!(err.to_string().starts_with("t/template.yml:2:"), "{err}");
    }
}

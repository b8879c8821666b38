//! The stack file's public shape (docs/stack.md §2): [`StackFile`], [`Provider`], [`Function`],
//! [`Configuration`]. Values are plain; where each came from is kept in a [`SourceMap`] so
//! later steps (environment files, templates, build folders) can point at lines too.

use std::collections::BTreeMap;

use faas_core::FunctionResources;

use crate::error::{Origin, Position};

/// A parsed stack file: what `-f stack.yml` describes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StackFile {
    /// `version`, when present (always `1.0` after validation).
    pub version: Option<String>,
    /// `provider`.
    pub provider: Provider,
    /// `functions`, in file order.
    pub functions: Vec<Function>,
    /// `configuration`.
    pub configuration: Configuration,
    /// Where the top-level fields came from.
    pub source: SourceMap,
}

impl StackFile {
    /// The function called `name`.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// Where a top-level `field` (`provider.name`, `configuration.copy[0]`) came from.
    pub fn origin(&self, field: &str) -> Origin {
        self.source.origin(field)
    }
}

/// `provider`: who serves the functions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Provider {
    /// `provider.name`; `openfaas` after validation.
    pub name: String,
    /// `provider.gateway`, the gateway URL (never contacted by this crate).
    pub gateway: Option<String>,
}

/// `configuration`: templates to fetch and extra paths for every build folder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Configuration {
    /// `configuration.templates`.
    pub templates: Vec<TemplateSource>,
    /// `configuration.copy`: paths inside the project copied to `build/<fn>/function/<path>`.
    pub copy: Vec<String>,
}

/// One entry of `configuration.templates`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TemplateSource {
    /// The template's name (a directory under `./template`).
    pub name: String,
    /// Where to fetch it from; `None` means "ask the template store".
    pub source: Option<String>,
}

/// One entry of `functions`: how to build and deploy one function.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Function {
    /// The map key; becomes `service`.
    pub name: String,
    /// `lang`: the template directory under `./template` (`dockerfile` is special).
    pub lang: Option<String>,
    /// `handler`: the folder copied into the build context.
    pub handler: Option<String>,
    /// `image`, as written (see [`crate::merge::image_with_default_tag`]).
    pub image: Option<String>,
    /// `fprocess`: overrides the template's.
    pub fprocess: Option<String>,
    /// `environment`; numbers and booleans keep their source text.
    pub environment: BTreeMap<String, String>,
    /// `environment_file`: YAML files `{environment: {…}}`, merged in order.
    pub environment_file: Vec<String>,
    /// `secrets`.
    pub secrets: Vec<String>,
    /// `labels`.
    pub labels: BTreeMap<String, String>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
    /// `limits`.
    pub limits: Option<FunctionResources>,
    /// `requests`.
    pub requests: Option<FunctionResources>,
    /// `constraints`; `Some` whenever the key is present, even as `[]` (it then wins over
    /// `--constraint`).
    pub constraints: Option<Vec<String>>,
    /// `readonly_root_filesystem`.
    pub readonly_root_filesystem: bool,
    /// `namespace`.
    pub namespace: Option<String>,
    /// `build_args`.
    pub build_args: BTreeMap<String, String>,
    /// `build_options`: names of template build options.
    pub build_options: Vec<String>,
    /// `skip_build`: not built or pushed, still deployed.
    pub skip_build: bool,
    /// `platforms` (parsed, unused).
    pub platforms: Option<String>,
    /// `build_secrets` (parsed, unused).
    pub build_secrets: BTreeMap<String, String>,
    /// Where the function's fields came from.
    pub source: SourceMap,
}

impl Function {
    /// The field path of `field` in this function: `functions.<name>.<field>`.
    pub fn field_path(&self, field: &str) -> String {
        if field.is_empty() {
            format!("functions.{}", self.name)
        } else {
            format!("functions.{}.{field}", self.name)
        }
    }

    /// Where `field` (`image`, `environment_file[1]`) of this function came from; a field that
    /// is absent points at the function's name.
    pub fn origin(&self, field: &str) -> Origin {
        self.source.origin(&self.field_path(field))
    }

    /// The language, when set and not empty.
    pub fn language(&self) -> Option<&str> {
        self.lang.as_deref().filter(|l| !l.trim().is_empty())
    }
}

/// Where the values of a stack file came from: its name and the position of each field path
/// (`functions.a.image`, `functions.a.secrets[0]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceMap {
    /// The file as the user named it.
    pub file: String,
    /// Positions by field path.
    pub positions: BTreeMap<String, Position>,
}

impl SourceMap {
    /// An empty map for `file`.
    pub fn new(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            positions: BTreeMap::new(),
        }
    }

    /// Records where `field` is.
    pub fn insert(&mut self, field: impl Into<String>, position: Option<Position>) {
        if let Some(position) = position {
            self.positions.insert(field.into(), position);
        }
    }

    /// The position of `field`, or of its closest recorded parent (`a.b[2]` → `a.b` → `a`).
    pub fn position(&self, field: &str) -> Option<Position> {
        let mut path = field;
        loop {
            if let Some(p) = self.positions.get(path) {
                return Some(*p);
            }
            path = &path[..path.rfind(['.', '['])?];
        }
    }

    /// The origin of `field`: this file, the field's (or its parent's) position, the path.
    pub fn origin(&self, field: &str) -> Origin {
        Origin::new(self.file.clone(), self.position(field), field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_fields_point_at_their_parent() {
        let mut source = SourceMap::new("s.yml");
        source.insert("functions.a", Some(Position::new(6, 3)));
        source.insert("functions.a.secrets", Some(Position::new(9, 14)));
        let f = Function {
            name: "a".into(),
            source,
            ..Function::default()
        };
        assert_eq!(
            f.origin("image").to_string(),
            "s.yml:6:3: functions.a.image"
        );
        assert_eq!(
            f.origin("secrets[3]").to_string(),
            "s.yml:9:14: functions.a.secrets[3]"
        );
        assert_eq!(
            SourceMap::new("s.yml").origin("version").to_string(),
            "s.yml: version"
        );
    }
}

//! From a path or text to a validated [`StackFile`]: find the file, substitute `${VAR}`, parse
//! the first YAML document, validate (docs/stack.md §1, §2, §4, §6).

use std::path::{Path, PathBuf};

use faas_core::FunctionResources;
use serde::de::DeserializeOwned;

use crate::error::{Error, Origin, Position, Warning};
use crate::key_path::key_path_at;
use crate::raw::{position, Located, RawFunction, RawStack, StringMap};
use crate::schema::{Configuration, Function, Provider, SourceMap, StackFile, TemplateSource};
use crate::substitution::{substitute, Environment};
use crate::validate::validate_stack;

/// The names tried, in order, when no `-f` is given.
pub const STACK_FILE_NAMES: [&str; 2] = ["stack.yml", "stack.yaml"];

/// How to read a stack file.
#[derive(Clone, Copy)]
pub struct LoadOptions<'e> {
    /// Apply `${VAR}` substitution first (`--envsubst`, default true).
    pub envsubst: bool,
    /// Where variables come from.
    pub environment: &'e dyn Environment,
}

impl<'e> LoadOptions<'e> {
    /// Substitution on, variables from `environment`.
    pub fn new(environment: &'e dyn Environment) -> Self {
        Self {
            envsubst: true,
            environment,
        }
    }
}

/// A stack file and what was noticed while reading it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedStack {
    /// The validated stack.
    pub stack: StackFile,
    /// Things to tell the user (a second YAML document that was ignored).
    pub warnings: Vec<Warning>,
}

/// The stack file used when no `-f` is given: `dir/stack.yml`, else `dir/stack.yaml`.
pub fn find_stack_file(dir: &Path) -> Option<PathBuf> {
    STACK_FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// Reads and parses the stack file at `path`; errors name it as given.
pub fn read_stack_file(path: &Path, options: LoadOptions<'_>) -> Result<LoadedStack, Error> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(Origin::new(file.clone(), None, ""), "read", path, e))?;
    parse_stack(&file, &text, options)
}

/// Parses stack text. `file` is the name used in errors (a path or URL).
///
/// Only the first YAML document is read; a non-empty second one gives a [`Warning`].
pub fn parse_stack(file: &str, text: &str, options: LoadOptions<'_>) -> Result<LoadedStack, Error> {
    let substituted;
    let text = if options.envsubst {
        substituted = substitute(text, options.environment).map_err(|e| Error::Substitution {
            origin: Origin::new(file, Some(e.position), key_path_at(text, e.position.line)),
            message: e.message,
        })?;
        substituted.as_str()
    } else {
        text
    };
    let mut warnings = Vec::new();
    let raw: RawStack = parse_first_document(file, text, &mut warnings)?;
    let stack = build_stack(file, raw);
    validate_stack(&stack)?;
    tracing::debug!(file, functions = stack.functions.len(), "read stack file");
    Ok(LoadedStack { stack, warnings })
}

/// Parses the first YAML document of `text` into `T`, reporting a non-empty second document
/// in `warnings`. Errors carry `file`, line, column and the key path of the line.
pub(crate) fn parse_first_document<T: DeserializeOwned + Default>(
    file: &str,
    text: &str,
    warnings: &mut Vec<Warning>,
) -> Result<T, Error> {
    match serde_saphyr::from_str::<Option<T>>(text) {
        Ok(value) => Ok(value.unwrap_or_default()),
        Err(err)
            if matches!(
                err.without_snippet(),
                serde_saphyr::Error::MultipleDocuments { .. }
            ) =>
        {
            let line = err
                .location()
                .and_then(|l| position(&l))
                .map_or(1, |p| p.line);
            let cut = second_document_start(text, line);
            let (first, rest) = text.split_at(cut);
            if has_content(rest) {
                let at = Position::at_byte_offset(text, cut);
                warnings.push(Warning {
                    origin: Origin::new(file, Some(at), ""),
                    message: "only the first YAML document is read; the documents after `---` are ignored".into(),
                });
            }
            if cut == 0 {
                return Ok(T::default());
            }
            match serde_saphyr::from_str::<Option<T>>(first) {
                Ok(value) => Ok(value.unwrap_or_default()),
                Err(err) => Err(yaml_error(file, first, &err)),
            }
        }
        Err(err) => Err(yaml_error(file, text, &err)),
    }
}

/// The byte offset where the document the parser found at `line` starts: its `---` line, or
/// the end of a `...` line that closed the first document.
fn second_document_start(text: &str, line: u32) -> usize {
    let mut offset = 0;
    let mut start = None;
    let mut content_seen = false;
    for (index, l) in text.split_inclusive('\n').enumerate() {
        if index >= line as usize {
            break;
        }
        let is_start_marker = l
            .strip_prefix("---")
            .is_some_and(|after| after.is_empty() || after.starts_with(char::is_whitespace));
        if is_start_marker && content_seen {
            start = Some(offset);
        } else if l.trim_end() == "..." {
            start = Some(offset + l.len());
        }
        content_seen |= !is_blank_or_comment(l);
        offset += l.len();
    }
    start.unwrap_or(text.len())
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#') || t.starts_with('%')
}

/// Whether the text after the first document holds anything but separators and comments.
fn has_content(rest: &str) -> bool {
    rest.lines()
        .any(|l| !is_blank_or_comment(l) && l.trim_end() != "---" && l.trim_end() != "...")
}

/// Turns a YAML parser error into ours: position, key path, and a message without the
/// parser's developer hints.
pub(crate) fn yaml_error(file: &str, text: &str, err: &serde_saphyr::Error) -> Error {
    let at = err.location().and_then(|l| position(&l));
    let mut message = err.without_snippet().to_string();
    if let Some(p) = at {
        for suffix in [
            format!(" at line {}, column {}", p.line, p.column),
            format!(" at line {}", p.line),
        ] {
            if let Some(stripped) = message.strip_suffix(&suffix) {
                message = stripped.to_owned();
                break;
            }
        }
    }
    let field = at.map(|p| key_path_at(text, p.line)).unwrap_or_default();
    Error::syntax(Origin::new(file, at, field), explain(&message))
}

/// Rewrites the parser's wording into what the user should do.
fn explain(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return format!("mapping key {key:?} is already defined; remove one of them");
    }
    if message.starts_with("cannot deserialize null into string") {
        return "the value is empty; give a value or write \"\"".into();
    }
    match message {
        "expected string scalar" => "expected a single value, found a list or map".into(),
        "expected mapping start" => "expected a map of key: value entries".into(),
        "expected sequence start" => "expected a list (`- item` lines or `[a, b]`)".into(),
        "invalid boolean" => "expected true or false".into(),
        _ => format!("invalid YAML: {message}"),
    }
}

/// The public shape of a parsed stack, with the positions of its fields.
fn build_stack(file: &str, raw: RawStack) -> StackFile {
    let mut source = SourceMap::new(file);
    let version = raw.version.map(|v| {
        source.insert("version", position(&v.referenced));
        v.value
    });
    let mut provider = Provider::default();
    if let Some(p) = raw.provider {
        source.insert("provider", position(&p.referenced));
        if let Some(name) = p.value.name {
            source.insert("provider.name", position(&name.referenced));
            provider.name = name.value;
        }
        if let Some(gateway) = p.value.gateway {
            source.insert("provider.gateway", position(&gateway.referenced));
            provider.gateway = Some(gateway.value);
        }
    }
    let mut configuration = Configuration::default();
    if let Some(c) = raw.configuration {
        source.insert("configuration", position(&c.referenced));
        if let Some(templates) = c.value.templates {
            source.insert("configuration.templates", position(&templates.referenced));
            for (i, t) in templates.value.into_iter().enumerate() {
                let path = format!("configuration.templates[{i}]");
                source.insert(path.clone(), position(&t.referenced));
                if let Some(name) = &t.value.name {
                    source.insert(format!("{path}.name"), position(&name.referenced));
                }
                configuration.templates.push(TemplateSource {
                    name: t.value.name.map(|n| n.value).unwrap_or_default(),
                    source: t.value.source.map(|s| s.value),
                });
            }
        }
        if let Some(copy) = c.value.copy {
            configuration.copy = list("configuration.copy", copy, &mut source);
        }
    }
    let mut functions = Vec::new();
    if let Some(map) = raw.functions {
        source.insert("functions", position(&map.referenced));
        for (name, body) in map.value.0 {
            let mut function_source = SourceMap::new(file);
            function_source.insert(
                format!("functions.{}", name.value),
                position(&name.referenced),
            );
            let body = body.map(|b| b.value).unwrap_or_default();
            functions.push(build_function(name.value, body, function_source));
        }
    }
    StackFile {
        version,
        provider,
        functions,
        configuration,
        source,
    }
}

fn list(path: &str, items: Located<Vec<Located<String>>>, source: &mut SourceMap) -> Vec<String> {
    source.insert(path, position(&items.referenced));
    items
        .value
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            source.insert(format!("{path}[{i}]"), position(&item.referenced));
            item.value
        })
        .collect()
}

fn build_function(name: String, raw: RawFunction, mut source: SourceMap) -> Function {
    let prefix = format!("functions.{name}");
    let mut at = |field: &str, location: &serde_saphyr::Location| {
        source.insert(format!("{prefix}.{field}"), position(location));
    };
    macro_rules! located {
        ($field:ident) => {
            raw.$field.map(|v| {
                at(stringify!($field), &v.referenced);
                v.value
            })
        };
    }
    let lang = located!(lang);
    let handler = located!(handler);
    let image = located!(image);
    let fprocess = located!(fprocess);
    let environment = located!(environment)
        .map(|m: StringMap| m.0)
        .unwrap_or_default();
    let labels = located!(labels).map(|m| m.0).unwrap_or_default();
    let annotations = located!(annotations).map(|m| m.0).unwrap_or_default();
    let limits = located!(limits).map(resources);
    let requests = located!(requests).map(resources);
    let constraints = located!(constraints);
    let readonly_root_filesystem = located!(readonly_root_filesystem).unwrap_or(false);
    let namespace = located!(namespace);
    let build_args = located!(build_args).map(|m| m.0).unwrap_or_default();
    let skip_build = located!(skip_build).unwrap_or(false);
    let platforms = located!(platforms);
    let build_secrets = located!(build_secrets).map(|m| m.0).unwrap_or_default();
    let environment_file = raw
        .environment_file
        .map(|l| list(&format!("{prefix}.environment_file"), l, &mut source))
        .unwrap_or_default();
    let secrets = raw
        .secrets
        .map(|l| list(&format!("{prefix}.secrets"), l, &mut source))
        .unwrap_or_default();
    let build_options = raw
        .build_options
        .map(|l| list(&format!("{prefix}.build_options"), l, &mut source))
        .unwrap_or_default();
    Function {
        name,
        lang,
        handler,
        image,
        fprocess,
        environment,
        environment_file,
        secrets,
        labels,
        annotations,
        limits,
        requests,
        constraints,
        readonly_root_filesystem,
        namespace,
        build_args,
        build_options,
        skip_build,
        platforms,
        build_secrets,
        source,
    }
}

/// `{memory, cpu, …}`; other keys (`nvidia.com/gpu`) are kept as given.
fn resources(mut map: StringMap) -> FunctionResources {
    FunctionResources {
        memory: map.0.remove("memory"),
        cpu: map.0.remove("cpu"),
        other: map.0,
    }
}

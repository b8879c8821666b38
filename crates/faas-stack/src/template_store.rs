//! The template store document behind `template store list | describe | pull` (docs/stack.md §12).

use serde::Deserialize;

use crate::error::{Error, Origin, Position};
use crate::store::json_error;

/// One template of the store (the document is an array of these).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct TemplateStoreEntry {
    /// `template`: its name (`bash-streaming`).
    pub template: String,
    /// `platform` (`x86_64`).
    pub platform: String,
    /// `language` (`Bash`).
    pub language: String,
    /// `source`: who publishes it (`openfaas-incubator`).
    pub source: String,
    /// `description`.
    pub description: String,
    /// `repo`: the repository to `template pull`.
    pub repo: String,
    /// `official`: a **string**, `"true"` for official templates.
    pub official: String,
    /// `recommended`.
    pub recommended: bool,
}

impl TemplateStoreEntry {
    /// Whether `official` says `true`.
    pub fn is_official(&self) -> bool {
        self.official.eq_ignore_ascii_case("true")
    }
}

/// Parses a template store document (a top-level array); `source` names it in errors.
pub fn parse_template_store(source: &str, json: &str) -> Result<Vec<TemplateStoreEntry>, Error> {
    if json.trim_start().starts_with('{') {
        let at = Position::at_byte_offset(json, json.len() - json.trim_start().len());
        return Err(Error::syntax(
            Origin::new(source, Some(at), ""),
            "expected a template store: a JSON array of {\"template\", \"repo\", …} entries, found an object",
        ));
    }
    serde_json::from_str(json).map_err(|e| json_error(source, &e))
}

/// The entries for `platform` (case-insensitive), recommended first, then official, then by
/// name ignoring case.
pub fn list_templates<'a>(
    entries: &'a [TemplateStoreEntry],
    platform: &str,
) -> Vec<&'a TemplateStoreEntry> {
    let mut listed: Vec<&TemplateStoreEntry> = entries
        .iter()
        .filter(|e| e.platform.eq_ignore_ascii_case(platform.trim()))
        .collect();
    listed.sort_by(|a, b| {
        b.recommended
            .cmp(&a.recommended)
            .then(b.is_official().cmp(&a.is_official()))
            .then_with(|| a.template.to_lowercase().cmp(&b.template.to_lowercase()))
    });
    listed
}

/// The entry called `name` or `source/name` for `platform` (case-insensitive platform).
pub fn find_template<'a>(
    entries: &'a [TemplateStoreEntry],
    name: &str,
    platform: &str,
) -> Option<&'a TemplateStoreEntry> {
    let (source, template) = match name.split_once('/') {
        Some((s, t)) => (Some(s), t),
        None => (None, name),
    };
    entries.iter().find(|e| {
        e.template == template
            && source.is_none_or(|s| e.source == s)
            && e.platform.eq_ignore_ascii_case(platform.trim())
    })
}

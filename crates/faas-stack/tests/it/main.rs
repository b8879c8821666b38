//! Integration tests of faas-stack: one binary, one module per concern.

mod build;
mod deploy;
mod fuzz;
mod stack;
mod store;
mod substitution;

use std::path::{Path, PathBuf};

use faas_stack::{parse_stack, Error, LoadOptions, LoadedStack};

/// The directory of the fixture files.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The text of a fixture file.
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).expect("fixture exists")
}

/// No variables set.
pub fn no_env(_: &str) -> Option<String> {
    None
}

/// Parses `text` as `file` with no variables set.
pub fn parse(file: &str, text: &str) -> Result<LoadedStack, Error> {
    parse_stack(file, text, LoadOptions::new(&no_env))
}

/// Parses a fixture file with no variables set.
pub fn parse_fixture(name: &str) -> Result<LoadedStack, Error> {
    parse(name, &fixture(name))
}

//! The crate's one error type, [`Error`], and where errors point: [`Origin`] and [`Position`].
//!
//! Every error carries an [`Origin`]: the file, the line and column when known, and the field
//! path (`functions.hello-python.image`). Its message says what is wrong and what to do, in
//! lowercase and without a final period; an I/O cause is kept as the `#[source]` and is not
//! repeated in the message, so print the chain once.

use std::fmt;
use std::path::PathBuf;

/// A place in a text file: 1-based line and column (column 0 when only the line is known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters; 0 when unknown.
    pub column: u32,
}

impl Position {
    /// The start of a file.
    pub const START: Position = Position { line: 1, column: 1 };

    /// A position at `line`, `column`.
    pub fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }

    /// The position of byte `offset` in `text` (clamped to the text's end).
    pub fn at_byte_offset(text: &str, offset: usize) -> Self {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self::new(saturate(line), saturate(column))
    }
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl fmt::Display for Position {
    /// `line:column`, or `line` when the column is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column == 0 {
            write!(f, "{}", self.line)
        } else {
            write!(f, "{}:{}", self.line, self.column)
        }
    }
}

/// Where an error or warning points: a file, a position in it when known, and a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file as the user named it (`hello-python.yml`, `template/python3/template.yml`).
    pub file: String,
    /// Line and column, when known.
    pub position: Option<Position>,
    /// The field path (`functions.hello-python.image`, `configuration.copy[0]`) or the flag
    /// (`--regex`); empty when the error concerns the whole file.
    pub field: String,
}

impl Origin {
    /// An origin in `file` at `position` naming `field`.
    pub fn new(
        file: impl Into<String>,
        position: Option<Position>,
        field: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            position,
            field: field.into(),
        }
    }
}

impl fmt::Display for Origin {
    /// `file:line:column: field`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(position) = self.position {
            write!(f, ":{position}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong reading stack files, templates and store documents, or writing
/// a build folder.
///
/// Callers usually print it (with its source chain) and exit 1; the variant tells which step
/// failed, [`Error::origin`] where. None of these is worth retrying: the user must change a file,
/// a flag or the environment.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not valid YAML or JSON, or does not fit the schema (a list where a map is
    /// expected, a duplicate key, a legacy store format).
    #[error("{origin}: {message}")]
    Syntax {
        /// Where.
        origin: Origin,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// `${…}` variable substitution failed (`${VAR:?message}`, an unsupported form).
    #[error("{origin}: {message}")]
    Substitution {
        /// Where the `${` starts.
        origin: Origin,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The document is well-formed but a value is not allowed (provider name, version, a
    /// name that is not a DNS-1123 label, an empty image, an unknown build option, a flag).
    #[error("{origin}: {message}")]
    Invalid {
        /// Where.
        origin: Origin,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A function's template is missing or invalid.
    #[error("{origin}: {message}")]
    Template {
        /// The field that names the template (`functions.<name>.lang`) or the template file.
        origin: Origin,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// No function matched `--filter` / `--regex`.
    #[error("{origin}: no functions matching --filter/--regex were found in the YAML file")]
    NoMatchingFunctions {
        /// The stack file and the flag.
        origin: Origin,
    },
    /// Reading or writing a file failed.
    #[error("{origin}: cannot {action} {}", path.display())]
    Io {
        /// The field that named the path, or the path itself.
        origin: Origin,
        /// What we were doing: `read`, `create`, `copy to`, `remove`.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Where the error points.
    pub fn origin(&self) -> &Origin {
        match self {
            Error::Syntax { origin, .. }
            | Error::Substitution { origin, .. }
            | Error::Invalid { origin, .. }
            | Error::Template { origin, .. }
            | Error::NoMatchingFunctions { origin }
            | Error::Io { origin, .. } => origin,
        }
    }

    /// Whether a file that was asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    pub(crate) fn invalid(origin: Origin, message: impl Into<String>) -> Self {
        Error::Invalid {
            origin,
            message: message.into(),
        }
    }

    pub(crate) fn syntax(origin: Origin, message: impl Into<String>) -> Self {
        Error::Syntax {
            origin,
            message: message.into(),
        }
    }

    pub(crate) fn io(
        origin: Origin,
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            origin,
            action,
            path: path.into(),
            source,
        }
    }
}

/// Something worth telling the user that does not stop the command (a second YAML document
/// that is ignored). The library never prints; the caller decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub origin: Origin,
    /// What was noticed.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_leaves_out_unknown_parts() {
        let full = Origin::new("a.yml", Some(Position::new(7, 5)), "functions.f.image");
        assert_eq!(full.to_string(), "a.yml:7:5: functions.f.image");
        assert_eq!(Origin::new("a.yml", None, "").to_string(), "a.yml");
        assert_eq!(
            Origin::new("a.yml", Some(Position::new(3, 0)), "x").to_string(),
            "a.yml:3: x"
        );
    }

    #[test]
    fn positions_from_byte_offsets() {
        let text = "ab\ncdé\nf";
        assert_eq!(Position::at_byte_offset(text, 0), Position::new(1, 1));
        assert_eq!(Position::at_byte_offset(text, 3), Position::new(2, 1));
        assert_eq!(Position::at_byte_offset(text, 8), Position::new(3, 1));
        assert_eq!(Position::at_byte_offset(text, 7), Position::new(2, 4));
        assert_eq!(Position::at_byte_offset(text, 999), Position::new(3, 2));
    }

    #[test]
    fn io_errors_keep_the_cause_out_of_the_message() {
        let err = Error::io(
            Origin::new(
                "stack.yml",
                Some(Position::new(9, 7)),
                "functions.a.environment_file[0]",
            ),
            "read",
            "env.yml",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert!(err.is_not_found());
        assert_eq!(
            err.to_string(),
            "stack.yml:9:7: functions.a.environment_file[0]: cannot read env.yml"
        );
    }
}

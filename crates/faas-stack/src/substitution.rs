//! `${VAR}` substitution: the text pre-pass applied to a stack file before YAML parsing
//! (docs/stack.md §4).
//!
//! Only the braced form is expanded; `$VAR` stays as written and `$$` is an escaped `$`.
//! Defaults nest (`${A:-${B}}`) and are expanded only when chosen. The supported forms:
//!
//! | form | result |
//! |---|---|
//! | `${VAR}` | the value, `""` when unset |
//! | `${VAR:-default}`, `${VAR:=default}` | the value, or `default` when unset or empty (nothing is assigned) |
//! | `${VAR:?message}` | the value, or an error carrying `message` when unset or empty |
//! | `${VAR:+alt}` | `alt` — like faas-cli, whether or not `VAR` is set |
//! | `${VAR^^}` `${VAR,,}` `${VAR^}` `${VAR,}` | upper/lower case, all or the first character |
//! | `${#VAR}` | the length in characters |
//! | `${VAR:N}` `${VAR:N:M}` | the characters from `N` (`M` of them) |
//! | `${VAR/pat/rep}` `${VAR//pat/rep}` | the first / every literal `pat` replaced |
//! | `${VAR#pre}` `${VAR%suf}` | a literal prefix / suffix removed (no glob patterns) |
//!
//! Anything else after the name (`${VAR-x}`, `${VAR=x}`) is the "missing closing brace" error
//! faas-cli gives. The variables come from an [`Environment`], so tests never touch the process
//! environment.

use crate::error::Position;

/// Where `${VAR}` values come from.
///
/// Implemented for closures `Fn(&str) -> Option<String>`; [`ProcessEnvironment`] reads the
/// process environment.
pub trait Environment {
    /// The value of `name`, or `None` when unset.
    fn var(&self, name: &str) -> Option<String>;
}

impl<F> Environment for F
where
    F: Fn(&str) -> Option<String>,
{
    fn var(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// The process environment (a variable that is not valid UTF-8 counts as unset).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A substitution failure: where the `${` starts and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubstitutionError {
    /// Position of the `${` in the original text.
    pub position: Position,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// How deeply defaults may nest (`${A:-${B:-${C}}}` is depth 3).
const MAX_NESTING: usize = 32;

/// Expands every `${…}` in `text` with values from `env`.
pub fn substitute(text: &str, env: &dyn Environment) -> Result<String, SubstitutionError> {
    Expander { text, env }
        .expand(0, text.len(), 0)
        .map_err(|(offset, message)| SubstitutionError {
            position: Position::at_byte_offset(text, offset),
            message,
        })
}

/// A failure at a byte offset of the whole text.
type Failure = (usize, String);

struct Expander<'a> {
    text: &'a str,
    env: &'a dyn Environment,
}

impl Expander<'_> {
    /// Expands `text[start..end]`.
    fn expand(&self, start: usize, end: usize, depth: usize) -> Result<String, Failure> {
        let bytes = self.text.as_bytes();
        let mut out = String::with_capacity(end - start);
        let mut literal_from = start;
        let mut i = start;
        while i < end {
            if bytes[i] != b'$' || i + 1 >= end {
                i += 1;
                continue;
            }
            match bytes[i + 1] {
                b'$' => {
                    out.push_str(&self.text[literal_from..=i]);
                    i += 2;
                    literal_from = i;
                }
                b'{' => {
                    out.push_str(&self.text[literal_from..i]);
                    let close = self.closing_brace(i + 2, end).ok_or_else(|| {
                        (
                            i,
                            "missing closing brace: close the `${` with `}` or write `$${` for a literal `${`"
                                .to_owned(),
                        )
                    })?;
                    if depth >= MAX_NESTING {
                        return Err((i, format!("`${{…}}` nested more than {MAX_NESTING} deep")));
                    }
                    out.push_str(&self.expression(i, i + 2, close, depth + 1)?);
                    i = close + 1;
                    literal_from = i;
                }
                _ => i += 1,
            }
        }
        out.push_str(&self.text[literal_from..end]);
        Ok(out)
    }

    /// The index of the `}` closing a `${` whose body starts at `from`, counting nested `${`.
    fn closing_brace(&self, from: usize, end: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        let mut open = 1usize;
        let mut i = from;
        while i < end {
            match bytes[i] {
                b'$' if i + 1 < end && bytes[i + 1] == b'$' => i += 1,
                b'$' if i + 1 < end && bytes[i + 1] == b'{' => {
                    open += 1;
                    i += 1;
                }
                b'}' => {
                    open -= 1;
                    if open == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Evaluates the body `text[start..end]` of a `${…}` that begins at `dollar`.
    fn expression(
        &self,
        dollar: usize,
        start: usize,
        end: usize,
        depth: usize,
    ) -> Result<String, Failure> {
        let body = &self.text[start..end];
        if let Some(name) = body.strip_prefix('#') {
            if is_name(name) {
                let length = self.value(name).chars().count();
                return Ok(length.to_string());
            }
        }
        let name_len = body
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        let name = &body[..name_len];
        if name.is_empty() {
            return Err((
                dollar,
                format!("`${{{body}}}` has no variable name; write `${{NAME}}`"),
            ));
        }
        let op = &body[name_len..];
        let op_start = start + name_len;
        let value = self.value(name);
        let rest_from = |skip: usize| (op_start + skip, end);
        let result = if op.is_empty() {
            value
        } else if op.starts_with(":-") || op.starts_with(":=") {
            if value.is_empty() {
                let (s, e) = rest_from(2);
                self.expand(s, e, depth)?
            } else {
                value
            }
        } else if op.starts_with(":?") {
            if value.is_empty() {
                let (s, e) = rest_from(2);
                let message = self.expand(s, e, depth)?;
                let message = if message.is_empty() {
                    format!("{name} is not set; set it in the environment")
                } else {
                    message
                };
                return Err((dollar, message));
            }
            value
        } else if op.starts_with(":+") {
            let (s, e) = rest_from(2);
            self.expand(s, e, depth)?
        } else if let Some(range) = op.strip_prefix(':') {
            substring(&value, range).ok_or_else(|| {
                (
                    dollar,
                    format!("`${{{body}}}`: expected `${{{name}:OFFSET}}` or `${{{name}:OFFSET:LENGTH}}` with whole numbers"),
                )
            })?
        } else if op == "^^" {
            value.to_uppercase()
        } else if op == ",," {
            value.to_lowercase()
        } else if op == "^" {
            map_first_char(&value, char::to_uppercase)
        } else if op == "," {
            map_first_char(&value, char::to_lowercase)
        } else if let Some(replacement) = op.strip_prefix('/') {
            let (all, skip) = match replacement.strip_prefix('/') {
                Some(_) => (true, 2),
                None => (false, 1),
            };
            let (s, e) = rest_from(skip);
            let spec = self.expand(s, e, depth)?;
            let (pattern, with) = spec.split_once('/').unwrap_or((spec.as_str(), ""));
            if pattern.is_empty() {
                value
            } else if all {
                value.replace(pattern, with)
            } else {
                value.replacen(pattern, with, 1)
            }
        } else if op.starts_with('#') || op.starts_with('%') {
            let skip = if op.starts_with("##") || op.starts_with("%%") {
                2
            } else {
                1
            };
            let (s, e) = rest_from(skip);
            let affix = self.expand(s, e, depth)?;
            let stripped = if op.starts_with('#') {
                value.strip_prefix(affix.as_str())
            } else {
                value.strip_suffix(affix.as_str())
            };
            stripped.map_or_else(|| value.clone(), str::to_owned)
        } else {
            return Err((
                dollar,
                format!(
                    "missing closing brace after `${{{name}`: `{op}` is not supported; write `${{{name}}}` or `${{{name}:-default}}`"
                ),
            ));
        };
        Ok(result)
    }

    fn value(&self, name: &str) -> String {
        self.env.var(name).unwrap_or_default()
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `OFFSET` or `OFFSET:LENGTH` in characters; `None` when they are not whole numbers.
fn substring(value: &str, range: &str) -> Option<String> {
    let (offset, length) = match range.split_once(':') {
        Some((o, l)) => (o, Some(l)),
        None => (range, None),
    };
    let offset: usize = offset.trim().parse().ok()?;
    let chars = value.chars().skip(offset);
    Some(match length {
        Some(l) => chars.take(l.trim().parse().ok()?).collect(),
        None => chars.collect(),
    })
}

fn map_first_char<I: Iterator<Item = char>>(value: &str, f: fn(char) -> I) -> String {
    let mut chars = value.chars();
    match chars.next() {
        Some(first) => f(first).chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "CMD" => Some("cat".into()),
            "LOWER" => Some("abc".into()),
            "EMPTY_VAR" => Some(String::new()),
            _ => None,
        }
    }

    fn sub(text: &str) -> Result<String, SubstitutionError> {
        substitute(text, &env)
    }

    #[test]
    fn plain_text_is_unchanged() {
        for text in ["", "a: b\n", "$", "a$", "$ {x}", "cost: 5$"] {
            assert_eq!(sub(text).unwrap(), text);
        }
    }

    #[test]
    fn unicode_around_substitutions() {
        assert_eq!(sub("é${LOWER}ü$").unwrap(), "éabcü$");
        assert_eq!(sub("${LOWER:-é}").unwrap(), "abc");
    }

    #[test]
    fn escaped_brace_is_literal() {
        assert_eq!(sub("$${LOWER}").unwrap(), "${LOWER}");
        assert_eq!(sub("${UNSET:-$${X}}").unwrap(), "${X}");
    }

    #[test]
    fn errors_point_at_the_dollar() {
        let err = sub("a: 1\nb: x${LOWER\n").unwrap_err();
        assert_eq!(err.position, Position::new(2, 5));
        assert!(err.message.contains("missing closing brace"));
        let err = sub("x: ${}").unwrap_err();
        assert_eq!(err.position, Position::new(1, 4));
    }

    #[test]
    fn required_variable_without_message() {
        let err = sub("${UNSET:?}").unwrap_err();
        assert_eq!(err.message, "UNSET is not set; set it in the environment");
        assert_eq!(sub("${LOWER:?boom}").unwrap(), "abc");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}x{}", "${U:-".repeat(10_000), "}".repeat(10_000));
        assert!(sub(&text).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn substring_forms() {
        assert_eq!(sub("${LOWER:1}").unwrap(), "bc");
        assert_eq!(sub("${LOWER:5:2}").unwrap(), "");
        assert!(sub("${LOWER:x}").is_err());
    }

    #[test]
    fn affixes_and_replacement() {
        assert_eq!(sub("${LOWER#a}").unwrap(), "bc");
        assert_eq!(sub("${LOWER%c}").unwrap(), "ab");
        assert_eq!(sub("${LOWER%z}").unwrap(), "abc");
        assert_eq!(sub("${CMD//a/o}").unwrap(), "cot");
        assert_eq!(sub("${LOWER/b}").unwrap(), "ac");
        assert_eq!(sub("${LOWER^}").unwrap(), "Abc");
    }
}

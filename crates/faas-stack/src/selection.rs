//! `--filter GLOB` / `--regex RE`: which functions of a stack a command acts on (docs/stack.md §5).

use regex::Regex;

use crate::error::{Error, Origin};
use crate::schema::{Function, StackFile};

/// The functions of `stack` whose names match `filter` (a glob where `*` matches any run of
/// characters, matched against the whole name) or `regex` (unanchored); all of them when
/// neither is given. Empty strings count as not given.
///
/// Errors: both given; an invalid regex; nothing matched.
pub fn select_functions<'a>(
    stack: &'a StackFile,
    filter: Option<&str>,
    regex: Option<&str>,
) -> Result<Vec<&'a Function>, Error> {
    let filter = filter.filter(|f| !f.is_empty());
    let regex = regex.filter(|r| !r.is_empty());
    let origin = |flag: &str| Origin::new(stack.source.file.clone(), None, flag);
    let selected: Vec<&Function> = match (filter, regex) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                origin("--filter/--regex"),
                "pass in a regex or a filter, not both",
            ))
        }
        (None, None) => return Ok(stack.functions.iter().collect()),
        (Some(glob), None) => stack
            .functions
            .iter()
            .filter(|f| glob_matches(glob, &f.name))
            .collect(),
        (None, Some(pattern)) => {
            let re = Regex::new(pattern).map_err(|e| {
                Error::invalid(
                    origin("--regex"),
                    format!("invalid regular expression: {e}"),
                )
            })?;
            stack
                .functions
                .iter()
                .filter(|f| re.is_match(&f.name))
                .collect()
        }
    };
    if selected.is_empty() {
        return Err(Error::NoMatchingFunctions {
            origin: origin(if filter.is_some() {
                "--filter"
            } else {
                "--regex"
            }),
        });
    }
    Ok(selected)
}

/// Whether `name` matches `glob` as a whole, where `*` matches any (possibly empty) run of
/// characters and everything else matches itself.
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let mut parts = glob.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("hello-*", "hello-python"));
        assert!(glob_matches("*python", "hello-python"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("h*l*n", "hello-python"));
        assert!(glob_matches("printr", "printr"));
        assert!(!glob_matches("print", "printr"));
        assert!(!glob_matches("a*a", "a"));
        assert!(glob_matches("a**b", "ab"));
        assert!(!glob_matches("*x*", "abc"));
    }
}

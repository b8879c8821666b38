//! The dotted key path (`functions.hello-python.environment`) of a line of block-style YAML.
//!
//! The YAML parser reports a line and column but not which field it was reading; this scan of
//! the text fills in the field for error messages. It understands block mappings, `- ` items
//! and block scalars (`|`, `>`), which is how stack files are written; inside a flow collection
//! (`{a: b}`) it names the key that holds the collection.

/// The key path of the mapping key on `line` (1-based), or of the key whose value `line` is
/// part of. Empty when the line is at the top level and holds no key.
pub(crate) fn key_path_at(text: &str, line: u32) -> String {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut block_scalar_indent: Option<usize> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        if number > line as usize {
            break;
        }
        let trimmed = raw.trim_start_matches(' ');
        let mut indent = raw.len() - trimmed.len();
        if let Some(parent) = block_scalar_indent {
            if trimmed.is_empty() || indent > parent {
                continue;
            }
            block_scalar_indent = None;
        }
        let mut content = trimmed;
        while let Some(item) =
            content
                .strip_prefix("- ")
                .or(if content == "-" { Some("") } else { None })
        {
            let after = item.trim_start_matches(' ');
            indent += content.len() - after.len();
            content = after;
        }
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with("---") || content.starts_with("...") {
            stack.clear();
            continue;
        }
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        if let Some((key, value)) = split_key(content) {
            let value = value.trim();
            if value.starts_with('|') || value.starts_with('>') {
                block_scalar_indent = Some(indent);
            }
            stack.push((indent, key));
        }
    }
    let keys: Vec<&str> = stack.iter().map(|(_, k)| k.as_str()).collect();
    keys.join(".")
}

/// Splits `key: value` (or `key:` at the end of the line); quoted keys lose their quotes.
fn split_key(content: &str) -> Option<(String, &str)> {
    if let Some(quote) = content.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let close = content[1..].find(quote)? + 1;
        let rest = content[close + 1..].trim_start_matches(' ');
        let value = rest.strip_prefix(':')?;
        return Some((content[1..close].to_owned(), value));
    }
    if content.starts_with(['{', '[', '&', '*', '!', '|', '>', '"', '\'']) {
        return None;
    }
    let mut search = 0;
    while let Some(found) = content[search..].find(':') {
        let colon = search + found;
        let after = &content[colon + 1..];
        if after.is_empty() || after.starts_with([' ', '\t']) {
            let key = content[..colon].trim_end();
            if key.contains(" #") {
                return None;
            }
            return Some((key.to_owned(), after));
        }
        search = colon + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const STACK: &str = "\
version: 1.0
provider:
  name: openfaas
functions:
  hello-python:
    lang: python
    environment:
      a: 1
    secrets:
      - one
    build_options:
    - dev
    fprocess: |
      python:
        index.py
    image: x
\"quoted key\": {a: b}
";

    #[test]
    fn paths_of_lines() {
        assert_eq!(key_path_at(STACK, 1), "version");
        assert_eq!(key_path_at(STACK, 3), "provider.name");
        assert_eq!(key_path_at(STACK, 6), "functions.hello-python.lang");
        assert_eq!(
            key_path_at(STACK, 8),
            "functions.hello-python.environment.a"
        );
        assert_eq!(key_path_at(STACK, 10), "functions.hello-python.secrets");
        assert_eq!(
            key_path_at(STACK, 12),
            "functions.hello-python.build_options"
        );
        assert_eq!(key_path_at(STACK, 14), "functions.hello-python.fprocess");
        assert_eq!(key_path_at(STACK, 16), "functions.hello-python.image");
        assert_eq!(key_path_at(STACK, 17), "quoted key");
    }

    #[test]
    fn urls_are_not_keys() {
        assert_eq!(key_path_at("gateway: http://x:8080\n", 1), "gateway");
        assert_eq!(key_path_at("- http://x:8080\n", 1), "");
    }
}

//! Query-string parameters as Go's `url.Values` reads them: `+` is a space, percent-escapes are
//! decoded, and for a repeated key the last value wins (docs/api.md §9).

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// The decoded value of `key` in `query`, the last one when repeated.
pub(crate) fn param(query: Option<&str>, key: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k) == key).then(|| decode(v).into_owned())
        })
        .next_back()
}

/// The non-empty value of `key`, if any.
pub(crate) fn non_empty(query: Option<&str>, key: &str) -> Option<String> {
    param(query, key).filter(|v| !v.is_empty())
}

fn decode(text: &str) -> Cow<'_, str> {
    if text.contains('+') {
        Cow::Owned(
            percent_decode_str(&text.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned(),
        )
    } else {
        percent_decode_str(text).decode_utf8_lossy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_value_wins_and_decodes() {
        let q = Some("name=a&tail=1&name=b%2Dc&since=2026-01-01T00%3A00%3A00Z&x=a+b&flag");
        assert_eq!(param(q, "name").as_deref(), Some("b-c"));
        assert_eq!(param(q, "since").as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(param(q, "x").as_deref(), Some("a b"));
        assert_eq!(param(q, "flag").as_deref(), Some(""));
        assert_eq!(non_empty(q, "flag"), None);
        assert_eq!(param(q, "nope"), None);
        assert_eq!(param(None, "name"), None);
    }
}

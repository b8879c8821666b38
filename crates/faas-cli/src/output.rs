//! Everything the CLI shows the user goes through here: results on stdout, progress and
//! warnings on stderr, and the one-line error. The only module allowed to print.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;

use crate::error::Error;

/// Prints a line of results on stdout.
pub fn line(text: impl AsRef<str>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", text.as_ref());
}

/// Writes bytes to stdout unchanged (function responses) and flushes.
pub fn raw(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

/// Prints a progress or information line on stderr, so stdout stays parseable.
pub fn progress(text: impl AsRef<str>) {
    eprintln!("{}", text.as_ref());
}

/// Prints a warning on stderr.
pub fn warning(text: impl AsRef<str>) {
    eprintln!("WARNING: {}", text.as_ref());
}

/// Prints a warning the gateway sent with its answer on stderr, as `Warning: <text>`.
pub fn gateway_warning(text: impl AsRef<str>) {
    eprintln!("{}", gateway_warning_line(text.as_ref()));
}

/// The line [`gateway_warning`] prints.
pub fn gateway_warning_line(text: &str) -> String {
    format!("Warning: {text}")
}

/// Prints a line of a builder's output, prefixed with the function's name.
pub fn prefixed(prefix: &str, text: &str) {
    eprintln!("[{prefix}] {text}");
}

/// Prints the error chain once: `faas: <what failed>: <cause>`.
pub fn error(err: &Error) {
    eprintln!("faas: {}", err.chain());
}

/// Expands tabs to 8-column stops, the way a terminal shows faas-cli's `%-30s\t…` tables, and
/// trims the trailing padding.
pub fn expand_tabs(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut column = 0usize;
    for c in text.chars() {
        if c == '\t' {
            let next = (column / 8 + 1) * 8;
            out.extend(std::iter::repeat_n(' ', next - column));
            column = next;
        } else {
            out.push(c);
            column += 1;
        }
    }
    out.trim_end().to_owned()
}

/// Aligns rows in columns separated by at least `gap` spaces (like Go's tabwriter), the first
/// row being the header. The last column is not padded.
pub fn table(rows: &[Vec<String>], gap: usize) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    let pad = widths[i] - cell.chars().count() + gap;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_header_matches_faas_cli() {
        let header = expand_tabs(&format!(
            "{:<30}\t{:<15}\t{:<5}",
            "Function", "Invocations", "Replicas"
        ));
        assert_eq!(
            header,
            "Function                        Invocations     Replicas"
        );
    }

    #[test]
    fn gateway_warnings_print_like_faas_cli() {
        assert_eq!(
            gateway_warning_line("registry unreachable, using the local image"),
            "Warning: registry unreachable, using the local image"
        );
    }

    #[test]
    fn table_pads_all_but_last() {
        let rows = vec![
            vec!["NAME".to_owned(), "X".to_owned()],
            vec!["figlet".to_owned(), "y".to_owned()],
        ];
        assert_eq!(table(&rows, 2), ["NAME    X", "figlet  y"]);
    }
}

//! The lines of a log file and the splitting of a byte stream into them.
//!
//! A log file holds one record per line in the CRI logging format:
//! `<RFC 3339 time, ns precision> <stdout|stderr> <F|P> <text>`. `F` marks a full line, `P` a
//! piece of a line longer than the line limit (the rest follows in later records), so a
//! function printing megabytes without a newline costs faasd at most one limit of memory.
//! Files written before records had times (the bare text) are still read, stamped with the
//! file's modification time.

use jiff::Timestamp;

/// Which output a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The process's standard output.
    Stdout,
    /// Its standard error.
    Stderr,
}

impl Stream {
    fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// One record of a log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// When faasd received the line from the function.
    pub timestamp: Timestamp,
    /// The text, without its newline.
    pub text: String,
}

/// The file line of a record (with its newline).
pub fn encode(timestamp: Timestamp, stream: Stream, partial: bool, text: &str) -> Vec<u8> {
    let flag = if partial { 'P' } else { 'F' };
    format!("{timestamp} {} {flag} {text}\n", stream.as_str()).into_bytes()
}

/// The record of a file line; a line that is not a record (an older file's bare text) gets
/// `fallback` as its time.
pub fn decode(line: &str, fallback: Timestamp) -> Record {
    let parsed = (|| {
        let mut parts = line.splitn(4, ' ');
        let timestamp: Timestamp = parts.next()?.parse().ok()?;
        let stream = parts.next()?;
        let flag = parts.next()?;
        if !matches!(stream, "stdout" | "stderr") || !matches!(flag, "F" | "P") {
            return None;
        }
        Some(Record {
            timestamp,
            text: parts.next().unwrap_or_default().to_owned(),
        })
    })();
    parsed.unwrap_or_else(|| Record {
        timestamp: fallback,
        text: line.to_owned(),
    })
}

/// Splits a byte stream into lines of at most `max` bytes: complete lines, and pieces of
/// longer ones. Holds at most `max` bytes between calls.
#[derive(Debug)]
pub struct LineSplitter {
    pending: Vec<u8>,
    max: usize,
}

impl LineSplitter {
    /// A splitter cutting lines longer than `max` bytes (at least 1).
    pub fn new(max: usize) -> Self {
        Self {
            pending: Vec::new(),
            max: max.max(1),
        }
    }

    /// Feeds `bytes`; calls `emit(text, partial)` for every line or piece completed.
    pub fn push(&mut self, mut bytes: &[u8], emit: &mut impl FnMut(&str, bool)) {
        while !bytes.is_empty() {
            let room = self.max - self.pending.len();
            match bytes.iter().take(room + 1).position(|b| *b == b'\n') {
                Some(i) => {
                    self.pending.extend_from_slice(&bytes[..i]);
                    bytes = &bytes[i + 1..];
                    self.emit(false, emit);
                }
                None if bytes.len() <= room => {
                    self.pending.extend_from_slice(bytes);
                    bytes = &[];
                }
                None => {
                    self.pending.extend_from_slice(&bytes[..room]);
                    bytes = &bytes[room..];
                    self.emit(true, emit);
                }
            }
        }
    }

    /// Emits what is pending as a piece (the stream ended without a newline).
    pub fn flush(&mut self, emit: &mut impl FnMut(&str, bool)) {
        if !self.pending.is_empty() {
            self.emit(true, emit);
        }
    }

    fn emit(&mut self, partial: bool, emit: &mut impl FnMut(&str, bool)) {
        let mut text = String::from_utf8_lossy(&self.pending).into_owned();
        if text.ends_with('\r') {
            text.pop();
        }
        emit(&text, partial);
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(max: usize, chunks: &[&[u8]]) -> Vec<(String, bool)> {
        let mut s = LineSplitter::new(max);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut |t, p| out.push((t.to_owned(), p)));
        }
        s.flush(&mut |t, p| out.push((t.to_owned(), p)));
        out
    }

    #[test]
    fn lines_are_split_and_long_ones_cut() {
        assert_eq!(
            split(16, &[b"a\nb", b"c\n\n", b"tail"]),
            [
                ("a".to_owned(), false),
                ("bc".to_owned(), false),
                (String::new(), false),
                ("tail".to_owned(), true)
            ]
        );
        let long = vec![b'x'; 10];
        let got = split(4, &[&long, b"\n"]);
        assert_eq!(
            got,
            [
                ("xxxx".to_owned(), true),
                ("xxxx".to_owned(), true),
                ("xx".to_owned(), false)
            ]
        );
        // A line of exactly the limit is whole.
        assert_eq!(split(4, &[b"abcd\n"]), [("abcd".to_owned(), false)]);
    }

    #[test]
    fn a_megabyte_without_newline_holds_one_limit() {
        let mut s = LineSplitter::new(1024);
        let mut pieces = 0;
        for _ in 0..1024 {
            s.push(&[b'y'; 1024], &mut |t, p| {
                assert!(p && t.len() == 1024);
                pieces += 1;
            });
            assert!(s.pending.capacity() <= 2048);
        }
        s.flush(&mut |t, p| {
            assert!(p && t.len() == 1024);
            pieces += 1;
        });
        assert_eq!(pieces, 1024);
    }

    #[test]
    fn records_round_trip_and_bare_lines_fall_back() {
        let t: Timestamp = "2026-12-03T17:00:00.123456789Z".parse().unwrap();
        let line = String::from_utf8(encode(t, Stream::Stderr, false, "a b  c")).unwrap();
        assert_eq!(line, "2026-12-03T17:00:00.123456789Z stderr F a b  c\n");
        let r = decode(line.trim_end_matches('\n'), Timestamp::UNIX_EPOCH);
        assert_eq!((r.timestamp, r.text.as_str()), (t, "a b  c"));
        let empty = decode("2026-12-03T17:00:00Z stdout F ", Timestamp::UNIX_EPOCH);
        assert_eq!(empty.text, "");
        let bare = decode("2026-12-03 something", Timestamp::UNIX_EPOCH);
        assert_eq!(bare.timestamp, Timestamp::UNIX_EPOCH);
        assert_eq!(bare.text, "2026-12-03 something");
    }
}

//! Function logs: the query of `GET /system/logs` and the NDJSON lines it streams (docs/api.md §9).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// What logs to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    /// The function's name.
    pub name: String,
    /// Its namespace, defaulted to `openfaas-fn`.
    pub namespace: String,
    /// Only this replica's lines, when set.
    pub instance: Option<String>,
    /// Only the last `n` lines; `None` for no limit.
    pub tail: Option<usize>,
    /// Only lines at or after this time. Without `since` and `tail`, providers return the last
    /// five minutes.
    pub since: Option<Timestamp>,
    /// Keep the stream open and send new lines as they are written.
    pub follow: bool,
}

/// One line of a function's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogMessage {
    /// The function's name.
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The replica that wrote the line.
    pub instance: String,
    /// When the line was written.
    pub timestamp: Timestamp,
    /// The line, without its trailing newline.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_line_round_trips() {
        let line = r#"{"name":"figlet","namespace":"openfaas-fn","instance":"figlet-1","timestamp":"2026-11-25T13:00:00.123456Z","text":"2026/11/25 13:00:00 Forking - cat []"}"#;
        let m: LogMessage = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), line);
    }
}

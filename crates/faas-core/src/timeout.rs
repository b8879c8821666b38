//! Durations as OpenFaaS writes them (`10s`, `1m30s`, `500ms`, or a bare number of seconds) and
//! the invocation deadline a function asks for through its environment (docs/api.md §10.5).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::ProviderError;

/// Parses a Go-style duration (`1h2m3.5s`, `300ms`, `10us`) or a bare integer number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, ProviderError> {
    let s = text.trim();
    let invalid = || {
        ProviderError::invalid(format!(
            "invalid duration {text:?}: use a number of seconds or a duration like 30s, 1m30s, 500ms"
        ))
    };
    if s.is_empty() {
        return Err(invalid());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut rest = s;
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        if num_len == 0 {
            return Err(invalid());
        }
        let value: f64 = rest[..num_len].parse().map_err(|_| invalid())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        total += value * seconds_per_unit;
    }
    Duration::try_from_secs_f64(total).map_err(|_| invalid())
}

/// The environment variables that bound how long a function may take to answer.
pub const TIMEOUT_ENV_VARS: [&str; 2] = ["exec_timeout", "write_timeout"];

/// The longest of a function's `exec_timeout` and `write_timeout`, read from its environment at
/// deploy time. `None` when neither is set, both are zero (zero means "no limit" to a watchdog)
/// or a value does not parse.
pub fn function_timeout(env: &BTreeMap<String, String>) -> Option<Duration> {
    TIMEOUT_ENV_VARS
        .iter()
        .filter_map(|k| env.get(*k))
        .filter_map(|v| parse_duration(v).ok())
        .filter(|d| !d.is_zero())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        let cases = [
            ("10", 10_000),
            ("10s", 10_000),
            ("1m", 60_000),
            ("1m30s", 90_000),
            ("1.5h", 5_400_000),
            ("300ms", 300),
            ("0", 0),
            ("0s", 0),
        ];
        for (text, ms) in cases {
            assert_eq!(parse_duration(text).unwrap().as_millis(), ms, "{text}");
        }
        assert_eq!(parse_duration("10us").unwrap(), Duration::from_micros(10));
        for bad in ["", "s", "10x", "1m30", "-1s", "1..2s", "ten"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn function_timeout_takes_longest() {
        let env: BTreeMap<String, String> = [
            ("write_timeout".to_owned(), "1m".to_owned()),
            ("exec_timeout".to_owned(), "90s".to_owned()),
            ("read_timeout".to_owned(), "5m".to_owned()),
        ]
        .into();
        assert_eq!(function_timeout(&env), Some(Duration::from_secs(90)));
        let zero: BTreeMap<String, String> = [("exec_timeout".to_owned(), "0".to_owned())].into();
        assert_eq!(function_timeout(&zero), None);
        assert_eq!(function_timeout(&BTreeMap::new()), None);
    }
}

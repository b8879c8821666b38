//! [`Config`]: the watchdog's settings, read from environment variables (docs/watchdog.md §2).
//!
//! Parsing is pure: [`Config::from_vars`] takes any list of pairs, so tests never touch the
//! process environment. Defaults depend on the mode: with `mode` unset the watchdog behaves like
//! the classic watchdog (no `exec_timeout`, `combine_output`, echo the request's Content-Type),
//! with a mode set like of-watchdog (`exec_timeout=30s`, `application/octet-stream`).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use faas_core::timeout::parse_duration;

use crate::error::Error;

/// How requests are served (docs/watchdog.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Classic watchdog: fork per request, output buffered, `mode` unset.
    Classic,
    /// of-watchdog `serializing`: fork per request, output buffered.
    Serializing,
    /// of-watchdog `streaming`: fork per request, stdout streamed to the client.
    Streaming,
    /// of-watchdog `http`: proxy to a server the function process starts once.
    Http,
    /// of-watchdog `static`: serve files from `static_path`.
    Static,
}

impl Mode {
    /// The name used in the `mode` variable (`classic` for the unset default).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Classic => "classic",
            Mode::Serializing => "serializing",
            Mode::Streaming => "streaming",
            Mode::Http => "http",
            Mode::Static => "static",
        }
    }

    /// True for the modes that start a process per request.
    pub fn forks_per_request(self) -> bool {
        matches!(self, Mode::Classic | Mode::Serializing | Mode::Streaming)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The function's command line: `fprocess` split on whitespace, with no shell and no quoting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionProcess {
    /// The program, looked up in `PATH` when it has no `/`.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

impl FunctionProcess {
    /// Splits a command line the way both upstream watchdogs do: on spaces, nothing else.
    /// `None` when the line is blank.
    pub fn parse(line: &str) -> Option<Self> {
        let mut words = line.split_whitespace().map(str::to_owned);
        let program = words.next()?;
        Some(FunctionProcess {
            program,
            args: words.collect(),
        })
    }
}

impl FunctionProcess {
    /// The same command with its program looked up in `path` (a `PATH` value) once, so each
    /// spawn execs the file directly instead of trying every `PATH` entry in turn. A program
    /// with a `/`, or one not found, is left as it is (the spawn then reports the error).
    pub fn resolved_in(&self, path: Option<&std::ffi::OsStr>) -> FunctionProcess {
        use std::os::unix::fs::PermissionsExt;
        let mut resolved = self.clone();
        if self.program.contains('/') {
            return resolved;
        }
        let found = path
            .into_iter()
            .flat_map(std::env::split_paths)
            .find_map(|dir| {
                let candidate = dir.join(&self.program);
                let metadata = std::fs::metadata(&candidate).ok()?;
                let executable = metadata.is_file() && metadata.permissions().mode() & 0o111 != 0;
                executable.then_some(candidate)
            });
        if let Some(program) = found.and_then(|p| p.to_str().map(str::to_owned)) {
            resolved.program = program;
        }
        resolved
    }
}

/// Every setting of the watchdog, resolved from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// How requests are served.
    pub mode: Mode,
    /// The function process (`fprocess` / `function_process`); `None` only in static mode.
    pub function_process: Option<FunctionProcess>,
    /// Where http mode proxies to (`upstream_url` / `http_upstream_url`), without a trailing `/`.
    pub upstream_url: Option<http::Uri>,
    /// The listen port (`port`, default 8080).
    pub port: u16,
    /// The port of the Prometheus endpoint `GET /metrics` (`metrics_port`, default 8081);
    /// `None` = no metrics endpoint and no metrics kept (`metrics_port=0`).
    pub metrics_port: Option<u16>,
    /// Deadline for reading a whole request (`read_timeout`, default 30s).
    pub read_timeout: Duration,
    /// Deadline for answering a request (`write_timeout`, default 30s); `None` = no limit.
    pub write_timeout: Option<Duration>,
    /// Per-request execution limit (`exec_timeout`); `None` = no limit.
    pub exec_timeout: Option<Duration>,
    /// How long to keep serving after SIGTERM (`healthcheck_interval`, default `write_timeout`).
    pub healthcheck_interval: Duration,
    /// Concurrent requests before 429 (`max_inflight`); `None` = unlimited.
    pub max_inflight: Option<usize>,
    /// Response Content-Type in fork modes; `None` echoes the request's (classic default).
    pub content_type: Option<String>,
    /// Classic: stderr joins stdout in the response (`combine_output`, default true).
    pub combine_output: bool,
    /// Log request and response bodies (`write_debug`).
    pub write_debug: bool,
    /// Pass `Http_*` variables to forked processes (`cgi_headers`, default true).
    pub cgi_headers: bool,
    /// Classic: send the request as JSON with a base64 body on stdin (`marshal_request`).
    pub marshal_request: bool,
    /// Log request headers (`debug_headers`).
    pub debug_headers: bool,
    /// Do not write the lock file (`suppress_lock`).
    pub suppress_lock: bool,
    /// Prefix function output lines in the logs (`prefix_logs`, default true).
    pub prefix_logs: bool,
    /// Longest logged line (`log_buffer_size`, default 65536); `None` = unbuffered (`-1`).
    pub log_buffer_size: Option<usize>,
    /// Append the request's `X-Call-Id` to http-mode log lines (`log_callid`).
    pub log_callid: bool,
    /// Http mode: buffer request bodies so the upstream gets a Content-Length
    /// (`http_buffer_req_body` / `buffer_http`).
    pub buffer_request_body: bool,
    /// Static mode root (`static_path`, default `/home/app/public`).
    pub static_path: PathBuf,
    /// `/_/ready` forwards to this path of the upstream when set (`ready_path`).
    pub ready_path: Option<String>,
    /// The lock file: `$TMPDIR/.lock`, default `/tmp/.lock`.
    pub lock_path: PathBuf,
}

/// Default for `read_timeout` and `write_timeout`.
const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(30);
/// The upstream watchdogs' (fixed) metrics port.
const DEFAULT_METRICS_PORT: u16 = 8081;
/// of-watchdog's default `exec_timeout`.
const DEFAULT_EXEC_TIMEOUT: Duration = Duration::from_secs(30);

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(std::env::vars())
    }

    /// Reads the configuration from `name=value` pairs (the last of duplicate names wins).
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = Vars(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        let mode = match vars.get("mode") {
            None => Mode::Classic,
            Some("streaming") => Mode::Streaming,
            Some("serializing") => Mode::Serializing,
            Some("http") => Mode::Http,
            Some("static") => Mode::Static,
            Some(other) => {
                return Err(invalid(
                    "mode",
                    other,
                    "use streaming, serializing, http or static (or leave unset for classic)",
                ))
            }
        };
        let classic = mode == Mode::Classic;

        let function_process = vars
            .first_of(&["fprocess", "function_process"])
            .and_then(FunctionProcess::parse);
        if function_process.is_none() && mode != Mode::Static {
            return Err(Error::MissingVar {
                name: "fprocess",
                mode: mode.name(),
            });
        }

        let upstream_url = match vars.first_of(&["upstream_url", "http_upstream_url"]) {
            Some(text) => Some(parse_upstream_url(text)?),
            None if mode == Mode::Http => {
                return Err(Error::MissingVar {
                    name: "upstream_url",
                    mode: mode.name(),
                })
            }
            None => None,
        };

        let read_timeout = vars.duration("read_timeout")?.unwrap_or(DEFAULT_IO_TIMEOUT);
        let write_timeout = match vars.duration("write_timeout")? {
            None => Some(DEFAULT_IO_TIMEOUT),
            Some(d) if d.is_zero() && !classic => {
                return Err(invalid(
                    "write_timeout",
                    vars.get("write_timeout").unwrap_or_default(),
                    "must be greater than zero",
                ))
            }
            Some(d) if d.is_zero() => None,
            Some(d) => Some(d),
        };
        let exec_timeout = match vars.duration("exec_timeout")? {
            None if classic => None,
            None => Some(DEFAULT_EXEC_TIMEOUT),
            Some(d) if d.is_zero() => None,
            Some(d) => Some(d),
        };
        let healthcheck_interval = vars
            .duration("healthcheck_interval")?
            .unwrap_or(write_timeout.unwrap_or(DEFAULT_IO_TIMEOUT));

        let log_buffer_size =
            match vars.get("log_buffer_size") {
                None => Some(65_536),
                Some("-1") => None,
                Some(text) => Some(text.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(
                    || invalid("log_buffer_size", text, "use a positive size or -1"),
                )?),
            };

        let content_type = match vars.get("content_type") {
            Some(ct) if !ct.is_empty() => Some(ct.to_owned()),
            _ if classic => None,
            _ => Some("application/octet-stream".to_owned()),
        };

        Ok(Config {
            mode,
            function_process,
            upstream_url,
            port: vars.number("port")?.unwrap_or(8080),
            metrics_port: match vars.number::<u16>("metrics_port")? {
                None => Some(DEFAULT_METRICS_PORT),
                Some(0) => None,
                Some(port) => Some(port),
            },
            read_timeout,
            write_timeout,
            exec_timeout,
            healthcheck_interval,
            max_inflight: vars.number::<usize>("max_inflight")?.filter(|n| *n > 0),
            content_type,
            combine_output: vars.flag("combine_output", true)?,
            write_debug: vars.flag("write_debug", false)?,
            cgi_headers: vars.flag("cgi_headers", true)? || !classic,
            marshal_request: classic && vars.flag("marshal_request", false)?,
            debug_headers: vars.flag("debug_headers", false)?,
            suppress_lock: vars.flag("suppress_lock", false)?,
            prefix_logs: vars.flag("prefix_logs", true)?,
            log_buffer_size,
            log_callid: vars.flag("log_callid", false)?,
            buffer_request_body: vars.flag("http_buffer_req_body", false)?
                || vars.flag("buffer_http", false)?,
            static_path: vars.get("static_path").unwrap_or("/home/app/public").into(),
            ready_path: vars
                .get("ready_path")
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
            lock_path: lock_path(vars.get("TMPDIR")),
        })
    }
}

/// Where the lock file lives: `$TMPDIR/.lock`, `/tmp/.lock` when `TMPDIR` is unset or empty.
pub fn lock_path(tmpdir: Option<&str>) -> PathBuf {
    let dir = tmpdir.filter(|d| !d.is_empty()).unwrap_or("/tmp");
    PathBuf::from(dir).join(".lock")
}

fn parse_upstream_url(text: &str) -> Result<http::Uri, Error> {
    let uri: http::Uri = text
        .trim_end_matches('/')
        .parse()
        .map_err(|e| invalid("upstream_url", text, &format!("{e}")))?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        return Err(invalid(
            "upstream_url",
            text,
            "use http://host:port (https is not supported)",
        ));
    }
    Ok(uri)
}

fn invalid(name: &'static str, value: &str, reason: &str) -> Error {
    Error::InvalidVar {
        name,
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The environment as a map, with typed getters that name the variable in their errors.
struct Vars(HashMap<String, String>);

impl Vars {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn first_of(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.get(n))
    }

    fn duration(&self, name: &'static str) -> Result<Option<Duration>, Error> {
        self.get(name)
            .map(|text| parse_duration(text).map_err(|e| invalid(name, text, &e.to_string())))
            .transpose()
    }

    fn number<T: std::str::FromStr>(&self, name: &'static str) -> Result<Option<T>, Error> {
        self.get(name)
            .map(|text| {
                text.trim()
                    .parse()
                    .map_err(|_| invalid(name, text, "not a number"))
            })
            .transpose()
    }

    fn flag(&self, name: &'static str, default: bool) -> Result<bool, Error> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some("true" | "1") => Ok(true),
            Some("false" | "0") => Ok(false),
            Some(other) => Err(invalid(name, other, "use true or false")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, Error> {
        Config::from_vars(vars.iter().copied())
    }

    #[test]
    fn classic_defaults() {
        let c = config(&[("fprocess", "cat")]).unwrap();
        assert_eq!(c.mode, Mode::Classic);
        assert_eq!(c.exec_timeout, None);
        assert_eq!(c.write_timeout, Some(Duration::from_secs(30)));
        assert_eq!(c.healthcheck_interval, Duration::from_secs(30));
        assert!(c.combine_output && c.cgi_headers && c.prefix_logs && !c.suppress_lock);
        assert_eq!(c.content_type, None);
        assert_eq!(c.port, 8080);
        assert_eq!(c.metrics_port, Some(8081));
        assert_eq!(c.lock_path, PathBuf::from("/tmp/.lock"));
    }

    #[test]
    fn of_watchdog_defaults() {
        let c = config(&[("mode", "streaming"), ("function_process", "cat")]).unwrap();
        assert_eq!(c.exec_timeout, Some(Duration::from_secs(30)));
        assert_eq!(c.content_type.as_deref(), Some("application/octet-stream"));
        assert!(config(&[
            ("mode", "streaming"),
            ("fprocess", "cat"),
            ("write_timeout", "0")
        ])
        .unwrap_err()
        .is_config());
    }

    #[test]
    fn fprocess_split_on_spaces_only() {
        let p = FunctionProcess::parse("  sh -c 'echo  hi'").unwrap();
        assert_eq!(p.program, "sh");
        assert_eq!(p.args, ["-c", "'echo", "hi'"]);
        assert_eq!(FunctionProcess::parse("   "), None);
    }

    #[test]
    fn program_resolved_once_in_path() {
        let cat = FunctionProcess::parse("cat -n").unwrap();
        let path = std::ffi::OsString::from("/nonexistent:/usr/bin:/bin");
        let resolved = cat.resolved_in(Some(&path));
        assert!(resolved.program.ends_with("/cat"), "{resolved:?}");
        assert_eq!(resolved.args, ["-n"]);
        let missing = FunctionProcess::parse("no-such-program").unwrap();
        assert_eq!(missing.resolved_in(Some(&path)), missing);
        let absolute = FunctionProcess::parse("/bin/sh x").unwrap();
        assert_eq!(absolute.resolved_in(None), absolute);
    }

    #[test]
    fn durations_and_overrides() {
        let c = config(&[
            ("fprocess", "cat"),
            ("exec_timeout", "1m30s"),
            ("write_timeout", "5"),
            ("max_inflight", "4"),
            ("log_buffer_size", "-1"),
            ("TMPDIR", "/var/tmp"),
        ])
        .unwrap();
        assert_eq!(c.exec_timeout, Some(Duration::from_secs(90)));
        assert_eq!(c.healthcheck_interval, Duration::from_secs(5));
        assert_eq!(c.max_inflight, Some(4));
        assert_eq!(c.log_buffer_size, None);
        assert_eq!(c.lock_path, PathBuf::from("/var/tmp/.lock"));
        let zero = config(&[("fprocess", "cat"), ("exec_timeout", "0")]).unwrap();
        assert_eq!(zero.exec_timeout, None);
    }

    #[test]
    fn metrics_port_is_configurable_and_zero_disables_it() {
        let c = config(&[("fprocess", "cat"), ("metrics_port", "9100")]).unwrap();
        assert_eq!(c.metrics_port, Some(9100));
        let off = config(&[("fprocess", "cat"), ("metrics_port", "0")]).unwrap();
        assert_eq!(off.metrics_port, None);
        let e = config(&[("fprocess", "cat"), ("metrics_port", "70000")]).unwrap_err();
        assert!(
            e.is_config() && e.to_string().contains("metrics_port"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let e = config(&[("fprocess", "cat"), ("exec_timeout", "soon")]).unwrap_err();
        assert!(e.to_string().contains("exec_timeout"), "{e}");
        assert!(config(&[]).unwrap_err().is_config());
        assert!(config(&[("mode", "static")]).is_ok());
        assert!(config(&[("mode", "http"), ("fprocess", "x")]).is_err());
        assert!(config(&[("mode", "inproc"), ("fprocess", "x")]).is_err());
        let http = config(&[
            ("mode", "http"),
            ("fprocess", "x"),
            ("http_upstream_url", "http://127.0.0.1:5000/"),
        ])
        .unwrap();
        assert_eq!(
            http.upstream_url.unwrap().to_string(),
            "http://127.0.0.1:5000/"
        );
        assert!(config(&[("fprocess", "cat"), ("suppress_lock", "yes")]).is_err());
    }
}

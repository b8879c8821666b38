//! The settings step: flags, environment, config file and stack file merged into what a command
//! needs (docs/api.md §15.1, docs/stack.md §1, §3).
//!
//! The environment is a snapshot ([`Env`]) taken once by `main`, so tests drive the CLI through
//! the child process environment and nothing here reads process globals.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use faas_stack::{LoadOptions, StackFile};

use crate::cli::{GatewayArgs, StackArgs};
use crate::config::{config_path, ConfigFile, Credentials};
use crate::error::{During as _, Error};
use crate::fetch::{fetch_text, is_url};
use crate::output;

/// The gateway used when nothing else says: `http://127.0.0.1:8080`.
pub const DEFAULT_GATEWAY: &str = "http://127.0.0.1:8080";

/// A snapshot of the environment variables and working directory.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
    /// The working directory.
    pub cwd: PathBuf,
}

impl Env {
    /// An environment with these variables and working directory.
    pub fn new(vars: impl IntoIterator<Item = (String, String)>, cwd: PathBuf) -> Self {
        Self {
            vars: vars.into_iter().collect(),
            cwd,
        }
    }

    /// The process's environment (variables that are not UTF-8 are left out).
    pub fn from_process() -> Self {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Self::new(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
            cwd,
        )
    }

    /// A variable's value.
    pub fn get(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    /// All variables, for child processes.
    pub fn vars(&self) -> impl Iterator<Item = (&String, &String)> {
        self.vars.iter()
    }

    /// `PATH` as directories.
    pub fn path_dirs(&self) -> Vec<PathBuf> {
        self.get("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default()
    }
}

impl faas_stack::Environment for Env {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name)
    }
}

/// A gateway URL as faas-cli compares and stores it: trimmed, lower-cased, without a trailing
/// `/`, with `http://` prepended when it does not start with `http`.
pub fn normalize_gateway(url: &str) -> String {
    let mut url = url.trim().to_lowercase();
    while url.ends_with('/') {
        url.pop();
    }
    if !url.starts_with("http") {
        url = format!("http://{url}");
    }
    url
}

/// The gateway: `-g` (ignored when it is the default) > the stack's `provider.gateway` >
/// `$OPENFAAS_URL` > the default; normalised.
pub fn resolve_gateway(flag: Option<&str>, stack_gateway: Option<&str>, env: &Env) -> String {
    let flag = flag
        .filter(|f| !f.trim().is_empty())
        .filter(|f| normalize_gateway(f) != DEFAULT_GATEWAY);
    let chosen = flag
        .map(str::to_owned)
        .or_else(|| {
            stack_gateway
                .filter(|g| !g.trim().is_empty())
                .map(str::to_owned)
        })
        .or_else(|| env.get("OPENFAAS_URL").filter(|g| !g.trim().is_empty()))
        .unwrap_or_else(|| DEFAULT_GATEWAY.to_owned());
    normalize_gateway(&chosen)
}

/// Where and how to call the gateway.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// The normalised gateway URL.
    pub url: String,
    /// Credentials for management calls (`--token`, else the config file).
    pub credentials: Option<Credentials>,
    /// `--tls-no-verify`: accept any certificate from an `https` gateway.
    pub tls_no_verify: bool,
}

/// Everything a command gets: the environment and the config file's location.
#[derive(Debug, Clone)]
pub struct Context {
    /// The environment snapshot.
    pub env: Env,
}

impl Context {
    /// A context over this environment.
    pub fn new(env: Env) -> Self {
        Self { env }
    }

    /// The config file's path.
    pub fn config_path(&self) -> Result<PathBuf, Error> {
        config_path(&self.env)
    }

    /// The config file (empty when absent).
    pub fn config(&self) -> Result<ConfigFile, Error> {
        ConfigFile::read(&self.config_path()?)
    }

    /// The gateway settings from `-g`/`--token`, the stack and the environment.
    pub fn gateway(
        &self,
        args: &GatewayArgs,
        stack: Option<&StackFile>,
    ) -> Result<GatewaySettings, Error> {
        let stack_gateway = stack.and_then(|s| s.provider.gateway.as_deref());
        let url = resolve_gateway(args.gateway.as_deref(), stack_gateway, &self.env);
        let credentials = match args.token.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => Some(Credentials::Bearer(token.to_owned())),
            None => self.config()?.credentials(&url),
        };
        tracing::debug!(gateway = %url, authenticated = credentials.is_some(), "resolved gateway");
        Ok(GatewaySettings {
            url,
            credentials,
            tls_no_verify: args.tls_no_verify,
        })
    }

    /// The stack file named by `-f` (a path or URL), else `./stack.yml` / `./stack.yaml` when
    /// present. `None` when there is none and none was asked for.
    pub async fn stack(&self, args: &StackArgs) -> Result<Option<StackFile>, Error> {
        let options = LoadOptions {
            envsubst: args.envsubst,
            environment: &self.env,
        };
        let loaded = match args.yaml.as_deref() {
            Some(source) if is_url(source) => {
                let text = fetch_text(source)
                    .await
                    .during(|| format!("fetching the stack file {source}"))?;
                faas_stack::parse_stack(source, &text, options)?
            }
            Some(path) => faas_stack::read_stack_file(Path::new(path), options)?,
            None => match faas_stack::find_stack_file(Path::new(".")) {
                Some(found) => {
                    let relative = found
                        .strip_prefix(".")
                        .map(Path::to_path_buf)
                        .unwrap_or(found);
                    faas_stack::read_stack_file(&relative, options)?
                }
                None => return Ok(None),
            },
        };
        for warning in &loaded.warnings {
            output::warning(warning.to_string());
        }
        Ok(Some(loaded.stack))
    }

    /// Like [`Context::stack`], but a stack file is required.
    pub async fn required_stack(&self, args: &StackArgs) -> Result<StackFile, Error> {
        self.stack(args)
            .await?
            .ok_or_else(|| Error::usage("no stack file: pass -f/--yaml FILE or create ./stack.yml"))
    }
}

/// Parses `k=v` flag values into a map (later values win); `flag` names the flag in errors.
pub fn key_values(values: &[String], flag: &str) -> Result<BTreeMap<String, String>, Error> {
    let mut map = BTreeMap::new();
    for value in values {
        let (k, v) = value
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("{flag} {value:?}: expected KEY=VALUE")))?;
        if k.is_empty() {
            return Err(Error::usage(format!("{flag} {value:?}: the key is empty")));
        }
        map.insert(k.to_owned(), v.to_owned());
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::new(
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            PathBuf::from("/"),
        )
    }

    #[test]
    fn gateway_precedence_and_normalisation() {
        let none = env(&[]);
        assert_eq!(resolve_gateway(None, None, &none), DEFAULT_GATEWAY);
        let e = env(&[("OPENFAAS_URL", "faasserver.local:8080/")]);
        assert_eq!(
            resolve_gateway(None, None, &e),
            "http://faasserver.local:8080"
        );
        assert_eq!(
            resolve_gateway(None, Some("http://192.168.0.107:8080 "), &e),
            "http://192.168.0.107:8080"
        );
        assert_eq!(
            resolve_gateway(Some("HTTP://GW:8080/"), Some("http://x:1"), &e),
            "http://gw:8080"
        );
        // -g equal to the default is ignored, as faas-cli does.
        assert_eq!(
            resolve_gateway(Some("http://127.0.0.1:8080"), Some("http://x:1"), &e),
            "http://x:1"
        );
    }

    #[test]
    fn key_values_split_at_first_equals() {
        let map = key_values(&["a=b=c".into(), "x=".into()], "-H").unwrap();
        assert_eq!(map["a"], "b=c");
        assert_eq!(map["x"], "");
        assert!(key_values(&["novalue".into()], "-H").is_err());
    }
}

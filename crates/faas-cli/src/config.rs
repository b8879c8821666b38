//! The faas-cli config file (`~/.openfaas/config.yml`, docs/api.md §15.2): stored credentials per
//! gateway, read and written in faas-cli's exact format so both CLIs share it.
//!
//! ```yaml
//! auths:
//! - gateway: http://127.0.0.1:8080
//!   auth: basic
//!   token: YWRtaW46c2VjcmV0
//! ```

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

use crate::error::Error;
use crate::settings::Env;

/// The file name inside the config directory.
pub const CONFIG_FILE: &str = "config.yml";

/// The directory under `$HOME` (or the working directory when `CI` is set).
pub const CONFIG_DIR: &str = ".openfaas";

/// `auth:` value for HTTP basic credentials.
pub const AUTH_BASIC: &str = "basic";

/// `auth:` value for a bearer token.
pub const AUTH_OAUTH2: &str = "oauth2";

/// The whole config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ConfigFile {
    /// One entry per gateway.
    #[serde(default)]
    pub auths: Vec<AuthConfig>,
}

/// Credentials for one gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AuthConfig {
    /// The gateway URL exactly as resolved when logging in.
    #[serde(default)]
    pub gateway: String,
    /// `basic` or `oauth2`.
    #[serde(default)]
    pub auth: String,
    /// base64(`user:password`) for basic, the token for oauth2.
    #[serde(default)]
    pub token: String,
    /// Extra options (kept as read).
    #[serde(default)]
    pub options: Vec<ConfigOption>,
}

/// One `{name, value}` option of an auth entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ConfigOption {
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its value.
    #[serde(default)]
    pub value: String,
}

/// How to authenticate management calls to one gateway.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `Authorization: Basic <token>`.
    Basic(String),
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic(_) => f.write_str("Basic(…)"),
            Credentials::Bearer(_) => f.write_str("Bearer(…)"),
        }
    }
}

impl Credentials {
    /// Basic credentials for `user:password`.
    pub fn basic(user: &str, password: &str) -> Self {
        Credentials::Basic(
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")),
        )
    }

    /// The `Authorization` header value.
    pub fn header_value(&self) -> String {
        match self {
            Credentials::Basic(token) => format!("Basic {token}"),
            Credentials::Bearer(token) => format!("Bearer {token}"),
        }
    }
}

/// Where the config file lives: `$OPENFAAS_CONFIG/config.yml`, else `./.openfaas/config.yml`
/// when `CI` is `true` or `1`, else `$HOME/.openfaas/config.yml`.
pub fn config_path(env: &Env) -> Result<PathBuf, Error> {
    if let Some(dir) = env.get("OPENFAAS_CONFIG").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join(CONFIG_FILE));
    }
    if matches!(env.get("CI").as_deref(), Some("true" | "1")) {
        return Ok(env.cwd.join(CONFIG_DIR).join(CONFIG_FILE));
    }
    let home = env.get("HOME").filter(|h| !h.is_empty()).ok_or_else(|| {
        Error::usage("HOME is not set: set it or OPENFAAS_CONFIG to the directory for config.yml")
    })?;
    Ok(PathBuf::from(home).join(CONFIG_DIR).join(CONFIG_FILE))
}

impl ConfigFile {
    /// Reads the file; a missing file is an empty config.
    pub fn read(path: &Path) -> Result<ConfigFile, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(e) => return Err(Error::io("read", path, e)),
        };
        Self::parse(path, &text)
    }

    /// Parses the file's text.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, Error> {
        if text.trim().is_empty() {
            return Ok(ConfigFile::default());
        }
        serde_saphyr::from_str::<Option<ConfigFile>>(text)
            .map(Option::unwrap_or_default)
            .map_err(|e| Error::Config {
                path: path.to_owned(),
                message: e.to_string(),
            })
    }

    /// The credentials stored for exactly this gateway URL.
    pub fn credentials(&self, gateway: &str) -> Option<Credentials> {
        let entry = self.auths.iter().find(|a| a.gateway == gateway)?;
        match entry.auth.as_str() {
            AUTH_OAUTH2 => Some(Credentials::Bearer(entry.token.clone())),
            _ => Some(Credentials::Basic(entry.token.clone())),
        }
    }

    /// Stores basic credentials for `gateway`, replacing an existing entry.
    pub fn set_basic(&mut self, gateway: &str, token: String) {
        self.auths.retain(|a| a.gateway != gateway);
        self.auths.push(AuthConfig {
            gateway: gateway.to_owned(),
            auth: AUTH_BASIC.to_owned(),
            token,
            options: Vec::new(),
        });
    }

    /// Removes the entry for `gateway`; whether there was one.
    pub fn remove(&mut self, gateway: &str) -> bool {
        let before = self.auths.len();
        self.auths.retain(|a| a.gateway != gateway);
        self.auths.len() != before
    }

    /// The file's text in faas-cli's layout.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from("auths:\n");
        if self.auths.is_empty() {
            return "auths: []\n".to_owned();
        }
        for a in &self.auths {
            out.push_str(&format!("- gateway: {}\n", yaml_scalar(&a.gateway)));
            out.push_str(&format!("  auth: {}\n", yaml_scalar(&a.auth)));
            out.push_str(&format!("  token: {}\n", yaml_scalar(&a.token)));
            if !a.options.is_empty() {
                out.push_str("  options:\n");
                for o in &a.options {
                    out.push_str(&format!("  - name: {}\n", yaml_scalar(&o.name)));
                    out.push_str(&format!("    value: {}\n", yaml_scalar(&o.value)));
                }
            }
        }
        out
    }

    /// Writes the file, creating its directory with mode 0700; the file gets mode 0600.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        if let Some(dir) = path.parent() {
            create_private_dir(dir)?;
        }
        write_private_file(path, self.to_yaml().as_bytes())
    }
}

fn create_private_dir(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt as _;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io("create", dir, e))
}

fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io("write", path, e))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io("set permissions of", path, e))?;
    file.write_all(bytes)
        .map_err(|e| Error::io("write", path, e))
}

/// A YAML scalar: plain when that reads back as the same string, else double-quoted.
pub(crate) fn yaml_scalar(value: &str) -> String {
    let plain_safe = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=+-@".contains(c))
        && !value.starts_with(['-', ':', '@'])
        && !value.contains(": ")
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
        )
        && value.parse::<f64>().is_err();
    if plain_safe {
        value.to_owned()
    } else {
        serde_json::to_string(value).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_faas_cli_layout_and_reads_it_back() {
        let mut config = ConfigFile::default();
        config.set_basic("http://127.0.0.1:8080", "YWRtaW46c2VjcmV0".into());
        let text = config.to_yaml();
        assert_eq!(
            text,
            "auths:\n- gateway: http://127.0.0.1:8080\n  auth: basic\n  token: YWRtaW46c2VjcmV0\n"
        );
        let back = ConfigFile::parse(Path::new("c.yml"), &text).unwrap();
        assert_eq!(back, config);
        assert_eq!(
            back.credentials("http://127.0.0.1:8080")
                .unwrap()
                .header_value(),
            "Basic YWRtaW46c2VjcmV0"
        );
        assert!(back.credentials("http://127.0.0.1:8081").is_none());
    }

    #[test]
    fn reads_faas_cli_files_with_options_and_oauth2() {
        let text = "auths:\n- gateway: https://gw.example.com\n  auth: oauth2\n  token: abc\n  options:\n  - name: x\n    value: \"1\"\n";
        let config = ConfigFile::parse(Path::new("c.yml"), text).unwrap();
        assert_eq!(
            config.credentials("https://gw.example.com"),
            Some(Credentials::Bearer("abc".into()))
        );
        assert_eq!(config.to_yaml(), text);
    }

    #[test]
    fn scalars_are_quoted_when_needed() {
        assert_eq!(yaml_scalar("abc=="), "abc==");
        assert_eq!(yaml_scalar("true"), "\"true\"");
        assert_eq!(yaml_scalar("1"), "\"1\"");
        assert_eq!(yaml_scalar("a b"), "\"a b\"");
    }
}

//! Registry credentials from a docker `config.json` (the file `faas login` and `docker login`
//! write). Pure: the caller reads the file; the registry client sends them as basic auth or
//! trades them for a bearer token, as the registry asks.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;

/// A user name and password for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
}

#[derive(Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// The credentials for `registry` in a docker `config.json`, matching the key forms docker
/// writes (`host`, `https://host`, `https://index.docker.io/v1/` for Docker Hub).
pub fn credentials_for(config_json: &[u8], registry: &str) -> Option<Credentials> {
    let config: DockerConfig = serde_json::from_slice(config_json).ok()?;
    let hub = registry == "docker.io";
    let entry = config.auths.iter().find_map(|(key, entry)| {
        let host = key
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let host = host.split('/').next().unwrap_or(host);
        let matches = host == registry
            || (hub
                && matches!(
                    host,
                    "index.docker.io" | "registry-1.docker.io" | "docker.io"
                ));
        matches.then_some(entry)
    })?;
    if let Some(auth) = &entry.auth {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (u, p) = text.split_once(':')?;
        return Some(Credentials {
            username: u.to_owned(),
            password: p.to_owned(),
        });
    }
    Some(Credentials {
        username: entry.username.clone()?,
        password: entry.password.clone()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_credentials_by_host() {
        let json = br#"{"auths":{
            "https://index.docker.io/v1/":{"auth":"aHViOnB3"},
            "ghcr.io":{"auth":"Z2g6dG9rZW4="},
            "reg.lan:5000":{"username":"u","password":"p"}}}"#;
        assert_eq!(credentials_for(json, "docker.io").unwrap().username, "hub");
        assert_eq!(credentials_for(json, "ghcr.io").unwrap().password, "token");
        assert_eq!(credentials_for(json, "reg.lan:5000").unwrap().password, "p");
        assert!(credentials_for(json, "quay.io").is_none());
        assert!(!format!("{:?}", credentials_for(json, "ghcr.io")).contains("token"));
    }
}

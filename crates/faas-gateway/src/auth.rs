//! HTTP basic auth for the `/system/*` routes (docs/api.md §4).

use std::path::Path;

use base64::Engine as _;
use http::header::AUTHORIZATION;
use http::HeaderMap;
use subtle::ConstantTimeEq as _;

use crate::error::GatewayError;

/// File in the secrets directory holding the user name.
pub const USER_FILE: &str = "basic-auth-user";
/// File in the secrets directory holding the password.
pub const PASSWORD_FILE: &str = "basic-auth-password";

/// The credentials every `/system/*` request must carry.
///
/// `Debug` never prints the password.
#[derive(Clone, PartialEq, Eq)]
pub struct BasicAuth {
    user: String,
    password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl BasicAuth {
    /// Credentials given directly.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            password: password.into(),
        }
    }

    /// Reads `basic-auth-user` and `basic-auth-password` from `dir` (e.g. `/run/secrets` or
    /// `/var/lib/faasd/secrets`), each whitespace-trimmed. A missing or unreadable file is an
    /// error naming it.
    pub fn from_secrets_dir(dir: &Path) -> Result<Self, GatewayError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .map(|s| s.trim().to_owned())
                .map_err(|source| GatewayError::ReadSecret { path, source })
        };
        Ok(Self::new(read(USER_FILE)?, read(PASSWORD_FILE)?))
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Whether `headers` carry these credentials: the user compared plainly, the password in
    /// constant time. Any other scheme (e.g. faas-cli's empty `Bearer`) is refused.
    pub fn accepts(&self, headers: &HeaderMap) -> bool {
        headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(decode_basic)
            .is_some_and(|(user, password)| self.matches(&user, &password))
    }

    /// Whether `user` and `password` are these credentials (e.g. from the UI's login form):
    /// the user compared plainly, the password in constant time.
    pub fn matches(&self, user: &str, password: &str) -> bool {
        let password_ok: bool = password.as_bytes().ct_eq(self.password.as_bytes()).into();
        // Both comparisons always run, so timing does not tell which one failed.
        (user == self.user) & password_ok
    }
}

/// The user and password of a `Basic` authorization value.
fn decode_basic(value: &str) -> Option<(String, String)> {
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn accepts_only_the_right_basic_credentials() {
        let auth = BasicAuth::new("admin", "secret");
        // base64("admin:secret")
        assert!(auth.accepts(&headers("Basic YWRtaW46c2VjcmV0")));
        assert!(!auth.accepts(&headers("Basic YWRtaW46c2VjcmV1"))); // admin:secreu
        assert!(!auth.accepts(&headers("Basic cm9vdDpzZWNyZXQ="))); // root:secret
        assert!(!auth.accepts(&headers("Bearer")));
        assert!(!auth.accepts(&headers("Bearer ")));
        assert!(!auth.accepts(&headers("Basic !!!")));
        assert!(!auth.accepts(&HeaderMap::new()));
        assert!(!format!("{auth:?}").contains("secret"));
    }

    #[test]
    fn reads_trimmed_files_and_names_the_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(USER_FILE), "admin\n").unwrap();
        let err = BasicAuth::from_secrets_dir(dir.path()).unwrap_err();
        assert!(err.to_string().contains(PASSWORD_FILE), "{err}");
        std::fs::write(dir.path().join(PASSWORD_FILE), "  pw \n").unwrap();
        let auth = BasicAuth::from_secrets_dir(dir.path()).unwrap();
        assert_eq!(auth, BasicAuth::new("admin", "pw"));
    }
}

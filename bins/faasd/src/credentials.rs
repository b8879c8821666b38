//! The gateway's basic-auth credentials in `<state>/secrets`: `basic-auth-user` (`admin`) and
//! `basic-auth-password` (63 random alphanumerics), files 0600 in a 0700 directory — the paths
//! the seed's `cat /var/lib/faasd/secrets/basic-auth-password | faas-cli login --password-stdin`
//! expects.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The user name written when none exists.
pub const DEFAULT_USER: &str = "admin";
/// Length of a generated password.
pub const PASSWORD_LEN: usize = 63;

/// `<state>/secrets`.
pub fn secrets_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("secrets")
}

/// Creates the credentials under `state_dir` unless both files exist; `true` when it wrote them.
pub fn ensure(state_dir: &Path) -> Result<bool, Error> {
    let dir = secrets_dir(state_dir);
    let user = dir.join("basic-auth-user");
    let password = dir.join("basic-auth-password");
    if user.exists() && password.exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| Error::io("restricting", &dir, e))?;
    if !user.exists() {
        crate::write_atomically(&user, DEFAULT_USER.as_bytes(), 0o600)
            .map_err(|e| Error::io("writing", &user, e))?;
    }
    if !password.exists() {
        let generated = random_password()?;
        crate::write_atomically(&password, generated.as_bytes(), 0o600)
            .map_err(|e| Error::io("writing", &password, e))?;
    }
    Ok(true)
}

/// [`PASSWORD_LEN`] alphanumerics from `/dev/urandom` (rejection sampling: no modulo bias).
pub fn random_password() -> Result<String, Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut urandom =
        std::fs::File::open("/dev/urandom").map_err(|e| Error::io("opening", "/dev/urandom", e))?;
    let mut out = String::with_capacity(PASSWORD_LEN);
    let mut buf = [0u8; 128];
    while out.len() < PASSWORD_LEN {
        urandom
            .read_exact(&mut buf)
            .map_err(|e| Error::io("reading", "/dev/urandom", e))?;
        // 248 = 4 × 62: bytes at or above it would favour the first letters.
        out.extend(
            buf.iter()
                .filter(|b| **b < 248)
                .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
                .take(PASSWORD_LEN - out.len()),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_with_private_modes() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ensure(dir.path()).unwrap());
        let secrets = secrets_dir(dir.path());
        let password = std::fs::read_to_string(secrets.join("basic-auth-password")).unwrap();
        assert_eq!(password.len(), PASSWORD_LEN);
        assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(
            std::fs::read_to_string(secrets.join("basic-auth-user")).unwrap(),
            "admin"
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&secrets), 0o700);
        assert_eq!(mode(&secrets.join("basic-auth-password")), 0o600);
        assert!(
            !ensure(dir.path()).unwrap(),
            "existing credentials are kept"
        );
        assert_eq!(
            std::fs::read_to_string(secrets.join("basic-auth-password")).unwrap(),
            password
        );
    }
}

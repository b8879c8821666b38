//! Image references: `alpine` → `docker.io/library/alpine:latest` (docs/containerd.md §2), and where
//! a registry is reached.

use crate::error::{Error, Result};

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    /// The registry host (with port), e.g. `docker.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// The repository path, e.g. `library/alpine`.
    pub repository: String,
    /// The tag (`latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// The manifest digest, when pinned.
    pub digest: Option<String>,
}

const DOCKER_HUB: &str = "docker.io";

impl ImageReference {
    /// Parses and normalises `text`.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid =
            |why: &str| Error::Invalid(format!("invalid image reference {text:?}: {why}"));
        let s = text.trim();
        if s.is_empty() {
            return Err(invalid("empty"));
        }
        if s.chars().any(char::is_whitespace) {
            return Err(invalid("contains whitespace"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| invalid("only sha256 digests are supported"))?;
                if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(invalid("malformed digest"));
                }
                (r, Some(d.to_owned()))
            }
            None => (s, None),
        };
        // A tag is after the last ':' that follows the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let i = last_slash + i;
                (&rest[..i], Some(rest[i + 1..].to_owned()))
            }
            None => (rest, None),
        };
        if let Some(t) = &tag {
            if t.is_empty()
                || t.len() > 128
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                return Err(invalid("malformed tag"));
            }
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), path.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        if repository.is_empty()
            || !repository.split('/').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                    })
            })
        {
            return Err(invalid(
                "the repository must be lowercase letters, digits, '.', '_', '-' and '/'",
            ));
        }
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_owned()),
            _ => tag,
        };
        Ok(Self {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The full normalised name, as containerd stores the image.
    pub fn name(&self) -> String {
        let mut s = format!("{}/{}", self.registry, self.repository);
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(d);
        }
        s
    }

    /// What to ask the registry's manifest endpoint for: the digest when pinned, else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The host to connect to (Docker Hub's API lives on `registry-1.docker.io`).
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// Whether the registry is reached over plain HTTP: loopback hosts and those listed.
    pub fn is_insecure(&self, insecure_registries: &[String]) -> bool {
        let host = self
            .registry
            .rsplit_once(':')
            .map_or(self.registry.as_str(), |(h, _)| h);
        matches!(host, "localhost" | "127.0.0.1" | "[::1]")
            || insecure_registries.contains(&self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_docker() {
        let cases = [
            ("alpine", "docker.io/library/alpine:latest"),
            ("alpine:3.20", "docker.io/library/alpine:3.20"),
            ("openfaas/figlet", "docker.io/openfaas/figlet:latest"),
            ("ghcr.io/openfaas/figlet:0.1", "ghcr.io/openfaas/figlet:0.1"),
            ("127.0.0.1:5000/fn/echo", "127.0.0.1:5000/fn/echo:latest"),
            ("localhost/echo:v2", "localhost/echo:v2"),
        ];
        for (input, want) in cases {
            assert_eq!(
                ImageReference::parse(input).unwrap().name(),
                want,
                "{input}"
            );
        }
        let d = format!("sha256:{}", "a".repeat(64));
        let r = ImageReference::parse(&format!("alpine@{d}")).unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.manifest_reference(), d);
        assert_eq!(r.api_host(), "registry-1.docker.io");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "Alpine",
            "a b",
            "alpine:",
            "alpine@sha256:12",
            "x//y",
            "alpine@md5:aa",
        ] {
            assert!(ImageReference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn insecure_registries() {
        let local = ImageReference::parse("127.0.0.1:5000/echo").unwrap();
        assert!(local.is_insecure(&[]));
        let lan = ImageReference::parse("reg.lan:5000/echo").unwrap();
        assert!(!lan.is_insecure(&[]));
        assert!(lan.is_insecure(&["reg.lan:5000".to_owned()]));
    }
}

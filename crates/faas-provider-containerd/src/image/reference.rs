//! Image references: `alpine` → `docker.io/library/alpine:latest` (docs/containerd.md, "Images"),
//! parsed and normalised by `oci-client`, and which registries are reached over plain HTTP.

use std::str::FromStr;

use oci_client::Reference;

use crate::error::{Error, Result};

/// A parsed, normalised image reference: `oci-client`'s [`Reference`] with the rules this
/// crate adds (no surrounding whitespace, plain HTTP for loopback and listed registries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference(Reference);

impl ImageReference {
    /// Parses and normalises `text` as docker does (`docker.io`, `library/`, `:latest`).
    pub fn parse(text: &str) -> Result<Self> {
        let s = text.trim();
        Reference::from_str(s)
            .map(Self)
            .map_err(|e| Error::Invalid(format!("invalid image reference {text:?}: {e}")))
    }

    /// The full normalised name, as containerd stores the image.
    pub fn name(&self) -> String {
        self.0.whole()
    }

    /// The registry host (with port), e.g. `docker.io`, `127.0.0.1:5000`.
    pub fn registry(&self) -> &str {
        self.0.registry()
    }

    /// The manifest digest, when pinned.
    pub fn digest(&self) -> Option<&str> {
        self.0.digest()
    }

    /// The `oci-client` reference, for the registry client.
    pub fn oci(&self) -> &Reference {
        &self.0
    }

    /// Whether the registry is reached over plain HTTP: loopback hosts (the tests' registries,
    /// faasd's local registry at `127.0.0.1:5000`) and those listed in `insecure_registries`.
    pub fn is_insecure(&self, insecure_registries: &[String]) -> bool {
        let registry = self.registry();
        let host = registry.rsplit_once(':').map_or(registry, |(h, _)| h);
        matches!(host, "localhost" | "127.0.0.1" | "[::1]")
            || insecure_registries.iter().any(|r| r == registry)
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
            (" alpine ", "docker.io/library/alpine:latest"),
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
        assert_eq!(r.oci().tag(), None);
        assert_eq!(r.digest(), Some(d.as_str()));
        assert_eq!(r.name(), format!("docker.io/library/alpine@{d}"));
        assert_eq!(r.registry(), "docker.io");
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
            let err = ImageReference::parse(bad).unwrap_err();
            assert!(matches!(err, Error::Invalid(_)), "{bad}: {err:?}");
        }
    }

    #[test]
    fn insecure_registries() {
        let local = ImageReference::parse("127.0.0.1:5000/echo").unwrap();
        assert!(local.is_insecure(&[]));
        assert!(ImageReference::parse("localhost:41234/fn/echo")
            .unwrap()
            .is_insecure(&[]));
        let lan = ImageReference::parse("reg.lan:5000/echo").unwrap();
        assert!(!lan.is_insecure(&[]));
        assert!(lan.is_insecure(&["reg.lan:5000".to_owned()]));
        assert!(!ImageReference::parse("alpine").unwrap().is_insecure(&[]));
    }
}

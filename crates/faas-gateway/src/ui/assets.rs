//! The files of the web UI, embedded at compile time from `static/`, each with its content
//! type and a content hash for its ETag.

/// One embedded file.
#[derive(Debug)]
pub(crate) struct Asset {
    /// The path under `/ui/`.
    pub(crate) name: &'static str,
    /// Its `Content-Type`.
    pub(crate) content_type: &'static str,
    /// Its bytes.
    pub(crate) bytes: &'static [u8],
    /// FNV-1a of the bytes, computed at compile time.
    hash: u64,
}

impl Asset {
    /// The strong ETag of the file: its hash, quoted.
    pub(crate) fn etag(&self) -> String {
        format!("\"{:016x}\"", self.hash)
    }
}

/// 64-bit FNV-1a: cheap, and enough to tell two versions of a file apart.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const JSON: &str = "application/json";
const SVG: &str = "image/svg+xml";

macro_rules! assets {
    ($($name:literal => $ty:expr),* $(,)?) => {
        /// Every file of the UI.
        static ASSETS: &[Asset] = &[$(Asset {
            name: $name,
            content_type: $ty,
            bytes: include_bytes!(concat!("static/", $name)),
            hash: fnv1a(include_bytes!(concat!("static/", $name))),
        }),*];
    };
}

assets! {
    "index.html" => HTML,
    "login.html" => HTML,
    "js/login.js" => JS,
    "style.css" => CSS,
    "favicon.svg" => SVG,
    "store.json" => JSON,
    "js/app.js" => JS,
    "js/api.js" => JS,
    "js/dom.js" => JS,
    "js/functions.js" => JS,
    "js/function.js" => JS,
    "js/invoke.js" => JS,
    "js/logs.js" => JS,
    "js/deploy.js" => JS,
    "js/store.js" => JS,
    "js/secrets.js" => JS,
    "js/info.js" => JS,
}

/// The file at `name` (a path under `/ui/`), if there is one.
pub(crate) fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_non_empty_and_distinct() {
        for a in ASSETS {
            assert!(!a.bytes.is_empty(), "{}", a.name);
            assert_eq!(a.hash, fnv1a(a.bytes));
        }
        let mut tags: Vec<_> = ASSETS.iter().map(Asset::etag).collect();
        tags.sort();
        tags.dedup();
        assert_eq!(tags.len(), ASSETS.len());
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn pages_and_modules_only_load_embedded_files() {
        // `src="…"`/`href="…"` of the page and `from './…'` of the modules, all relative.
        for a in ASSETS
            .iter()
            .filter(|a| a.name.ends_with(".html") || a.name.ends_with(".js"))
        {
            let text = std::str::from_utf8(a.bytes).unwrap();
            let dir = a.name.rsplit_once('/').map_or("", |(d, _)| d);
            let refs = [" src=\"", " href=\"", " from './"]
                .into_iter()
                .flat_map(|marker| text.split(marker).skip(1))
                .filter_map(|rest| rest.split(['"', '\'']).next());
            for r in refs.filter(|r| !r.starts_with('#')) {
                assert!(!r.contains("://"), "{} loads {r} from elsewhere", a.name);
                let path = if a.name.ends_with(".js") && !dir.is_empty() {
                    format!("{dir}/{r}")
                } else {
                    r.to_owned()
                };
                assert!(find(&path).is_some(), "{} refers to missing {path}", a.name);
            }
        }
    }
}

//! Images: registry pulls (through the `oci-client` crate), archive imports, and storing them in
//! containerd (ours: content store, image records, snapshots).
//!
//! - [`reference`]: `alpine` → `docker.io/library/alpine:latest` (`oci-client`'s parser), and
//!   which registries are plain HTTP.
//! - [`manifest`]: the documents stored (manifest, config), platform choice, chain IDs.
//! - [`auth`]: docker `config.json` credentials.
//! - [`pull`]: the registry client: `oci-client` sessions (auth, platform, digest-checked blobs).
//! - [`resolve`]: which image a deploy runs: the tag checked with its registry every time.
//! - [`import`]: OCI layout and `docker save` archives.
//! - [`blob`]: a blob's bytes (memory or a spool file) and the requests that write them.
//! - [`store`]: writing blobs, image records and snapshots into containerd; [`lookup`]:
//!   reading a stored image back.

pub mod auth;
pub mod blob;
pub mod import;
pub mod lookup;
pub mod manifest;
pub mod pull;
pub mod reference;
pub mod resolve;
pub mod store;

pub use reference::ImageReference;
pub use store::{ImageStore, StagedImage, StoredImage};

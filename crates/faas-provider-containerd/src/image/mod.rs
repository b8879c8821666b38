//! Images: reference parsing, registry pulls, archive imports, and storing them in containerd.
//!
//! - [`reference`]: `alpine` → `docker.io/library/alpine:latest`.
//! - [`manifest`]: the OCI/Docker documents, platform choice, chain IDs.
//! - [`auth`]: docker `config.json` credentials and registry challenges.
//! - [`pull`]: the registry client.
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

//! [`Blob`]: a blob's bytes on their way into containerd's content store, in memory or
//! spooled to a file, and the `Write` requests that carry them there one chunk at a time.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use containerd_client::services::v1::{WriteAction, WriteContentRequest};

use crate::error::{Error, Result};

/// The most bytes one `Write` request carries.
const CHUNK: usize = 1 << 20;

/// A blob's bytes on their way to containerd, written one chunk at a time: in memory (shared,
/// so a chunk is the only copy made), or spooled to a temporary file while it was downloaded
/// (pulled layers: memory stays flat whatever the layer's size), removed when dropped.
#[derive(Debug, Clone)]
pub enum Blob {
    /// Bytes in memory.
    Memory(Bytes),
    /// A temporary file of `len` bytes.
    File {
        /// The file, deleted with its last handle.
        path: Arc<tempfile::TempPath>,
        /// Its length.
        len: u64,
    },
}

impl Blob {
    /// The blob's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Blob::Memory(b) => b.len() as u64,
            Blob::File { len, .. } => *len,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `Write` requests of one blob: its chunks at their offsets, then the commit with
/// `labels`. A task produces them into a channel of two, so at most a few chunks are in memory
/// and a spooled blob is read only as fast as containerd takes it; a file that cannot be read
/// ends the requests early (containerd then refuses the short blob).
pub(crate) fn write_requests(
    data: Blob,
    reference: String,
    digest: &str,
    labels: HashMap<String, String>,
) -> Result<impl futures_util::Stream<Item = WriteContentRequest> + Send + 'static> {
    let total = data.len() as i64;
    let digest = digest.to_owned();
    let request = move |offset: i64, data: Vec<u8>, commit: Option<HashMap<String, String>>| {
        WriteContentRequest {
            action: if commit.is_some() {
                WriteAction::Commit
            } else {
                WriteAction::Write
            } as i32,
            r#ref: reference.clone(),
            total,
            expected: digest.clone(),
            offset,
            data,
            labels: commit.unwrap_or_default(),
        }
    };
    let file = match &data {
        Blob::File { path, .. } => Some(
            std::fs::File::open(&***path)
                .map_err(|e| Error::io("opening", path.to_path_buf(), e))?,
        ),
        Blob::Memory(_) => None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<WriteContentRequest>(2);
    tokio::spawn(async move {
        let mut offset = 0i64;
        match (data, file) {
            (Blob::Memory(bytes), _) => {
                for chunk in bytes.chunks(CHUNK) {
                    if tx
                        .send(request(offset, chunk.to_vec(), None))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    offset += chunk.len() as i64;
                }
            }
            (Blob::File { path, .. }, Some(file)) => {
                use tokio::io::AsyncReadExt;
                let mut file = tokio::fs::File::from_std(file);
                loop {
                    let mut chunk = Vec::with_capacity(CHUNK);
                    match (&mut file).take(CHUNK as u64).read_to_end(&mut chunk).await {
                        Ok(0) => break,
                        Ok(n) => {
                            if tx.send(request(offset, chunk, None)).await.is_err() {
                                return;
                            }
                            offset += n as i64;
                        }
                        Err(e) => {
                            tracing::warn!(file = %path.display(), error = %e, "reading a spooled blob");
                            return;
                        }
                    }
                }
            }
            (Blob::File { .. }, None) => return,
        }
        let _ = tx.send(request(offset, Vec::new(), Some(labels))).await;
    });
    Ok(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

//! The stored message: a [`QueuedInvocation`] in a compact binary format.
//!
//! Why not JSON: `QueuedInvocation`'s serde form base64-encodes the body (+33 %) and writes header
//! values as arrays of numbers (about ×4), so a 1 MiB body would not fit the server's default
//! 1 MiB `max_payload`. Here the body is stored raw, last, and the rest costs a few bytes per field;
//! decoding copies nothing but the fields themselves.
//!
//! Format version 1, all integers big-endian, every string a `u32` length then its bytes:
//!
//! ```text
//! "FQ" 0x01                      magic and version
//! u64 start_time_ns
//! name, namespace, segment, method, path, query, call_id   (strings, UTF-8)
//! u8 0|1, [callback_url]         whether a callback URL follows
//! u32 header count, then per header: name (UTF-8), value (bytes)
//! body                           the rest of the message
//! ```
//!
//! A new field means a new version byte; a worker refuses versions it does not know (the message
//! goes to the dead-letter stream, so nothing is dropped silently).

use faas_core::{FunctionRef, QueuedInvocation};

use crate::error::Error;

const MAGIC: &[u8; 3] = b"FQ\x01";

/// Encodes `invocation` (see the module doc for the format).
pub fn encode(invocation: &QueuedInvocation) -> Vec<u8> {
    let inv = invocation;
    let mut out = Vec::with_capacity(encoded_len_without_body(inv) + inv.body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&inv.start_time_ns.to_be_bytes());
    for s in [
        &inv.function.name,
        &inv.function.namespace,
        &inv.segment,
        &inv.method,
        &inv.path,
        &inv.query,
        &inv.call_id,
    ] {
        put_bytes(&mut out, s.as_bytes());
    }
    match &inv.callback_url {
        Some(url) => {
            out.push(1);
            put_bytes(&mut out, url.as_bytes());
        }
        None => out.push(0),
    }
    put_len(&mut out, inv.headers.len());
    for (name, value) in &inv.headers {
        put_bytes(&mut out, name.as_bytes());
        put_bytes(&mut out, value);
    }
    out.extend_from_slice(&inv.body);
    out
}

/// The encoded size of everything but the body: what a body may add up to `max_payload`.
pub fn encoded_len_without_body(inv: &QueuedInvocation) -> usize {
    let strings = [
        &inv.function.name,
        &inv.function.namespace,
        &inv.segment,
        &inv.method,
        &inv.path,
        &inv.query,
        &inv.call_id,
    ];
    let fields: usize = strings.iter().map(|s| 4 + s.len()).sum();
    let callback = 1 + inv.callback_url.as_ref().map_or(0, |u| 4 + u.len());
    let headers: usize = inv.headers.iter().map(|(n, v)| 8 + n.len() + v.len()).sum();
    MAGIC.len() + 8 + fields + callback + 4 + headers
}

/// Decodes a message written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<QueuedInvocation, Error> {
    let mut r = Reader { rest: bytes };
    if r.take(MAGIC.len())? != MAGIC {
        return Err(Error::Decode(
            "unknown format (expected magic \"FQ\" version 1)".to_owned(),
        ));
    }
    let start_time_ns = u64::from_be_bytes(r.take(8)?.try_into().expect("8 bytes"));
    let name = r.string()?;
    let namespace = r.string()?;
    let segment = r.string()?;
    let method = r.string()?;
    let path = r.string()?;
    let query = r.string()?;
    let call_id = r.string()?;
    let callback_url = match r.take(1)?[0] {
        0 => None,
        1 => Some(r.string()?),
        other => return Err(Error::Decode(format!("bad callback flag {other}"))),
    };
    let count = r.len()?;
    let mut headers = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let name = r.string()?;
        let value = r.bytes()?.to_vec();
        headers.push((name, value));
    }
    Ok(QueuedInvocation {
        function: FunctionRef { name, namespace },
        segment,
        method,
        path,
        query,
        headers,
        body: r.rest.to_vec(),
        call_id,
        start_time_ns,
        callback_url,
    })
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // Messages are bounded by max_payload (at most 64 MiB), far below u32::MAX.
    let len = u32::try_from(len).expect("field longer than 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.rest.len() < n {
            return Err(Error::Decode(format!(
                "truncated: {n} bytes expected, {} left",
                self.rest.len()
            )));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn len(&mut self) -> Result<usize, Error> {
        let raw = u32::from_be_bytes(self.take(4)?.try_into().expect("4 bytes"));
        usize::try_from(raw).map_err(|_| Error::Decode("length overflows usize".to_owned()))
    }

    fn bytes(&mut self) -> Result<&'a [u8], Error> {
        let n = self.len()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, Error> {
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Error::Decode("a field is not UTF-8".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> QueuedInvocation {
        QueuedInvocation {
            function: FunctionRef::new("echo", Some("team-a")),
            segment: "echo.team-a".into(),
            method: "PUT".into(),
            path: "/a/b".into(),
            query: "x=1&y=%20".into(),
            headers: vec![
                ("content-type".into(), b"text/plain".to_vec()),
                ("x-bin".into(), vec![0xff, 0x00, 0x80]),
            ],
            body: b"hello\x00world".to_vec(),
            call_id: "5f0c7a43".into(),
            start_time_ns: 1_795_612_939_501_807_547,
            callback_url: Some("http://127.0.0.1:9999/cb?x=1".into()),
        }
    }

    #[test]
    fn round_trips() {
        let inv = sample();
        let bytes = encode(&inv);
        assert_eq!(decode(&bytes).unwrap(), inv);
        assert_eq!(bytes.len(), encoded_len_without_body(&inv) + inv.body.len());

        let mut bare = sample();
        bare.callback_url = None;
        bare.headers.clear();
        bare.body.clear();
        let bytes = encode(&bare);
        assert_eq!(decode(&bytes).unwrap(), bare);
        assert_eq!(bytes.len(), encoded_len_without_body(&bare));
    }

    #[test]
    fn body_is_stored_raw_at_the_end() {
        let mut inv = sample();
        inv.body = vec![7; 1 << 20];
        let bytes = encode(&inv);
        assert!(bytes.len() < (1 << 20) + 200, "{}", bytes.len());
        assert!(bytes.ends_with(&inv.body));
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        assert!(matches!(decode(b"{\"json\":1}"), Err(Error::Decode(_))));
        assert!(matches!(decode(b""), Err(Error::Decode(_))));
        let bytes = encode(&sample());
        // Cutting inside the fixed fields fails; cutting the body only shortens it.
        for cut in [3, 10, 20, 40] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad_flag = encode(&QueuedInvocation {
            callback_url: None,
            ..sample()
        });
        let flag_at = encoded_len_without_body(&sample())
            - (4 + sample()
                .headers
                .iter()
                .map(|(n, v)| 8 + n.len() + v.len())
                .sum::<usize>())
            - (1 + 4 + sample().callback_url.unwrap().len());
        bad_flag[flag_at] = 9;
        assert!(decode(&bad_flag).is_err());
    }
}

//! The test function: one busybox image (see [`crate::test_image`]) whose shell serves
//! `index.html` with busybox httpd and offers CGI scripts to misbehave on demand.
//!
//! `GET /` answers `msg=<MSG> host=<hostname> replica=<uuid>` (a fresh uuid per start, so
//! answers tell replicas and restarts apart), then `secret <name>=<value>` per secret and
//! `secret-readonly` or `secret-writable` when a secret `api-key` is mounted.
//! CGI: `/cgi-bin/exit` makes the main process exit (status 3); `/cgi-bin/hog` makes it
//! allocate 64 MiB; `/cgi-bin/log?TEXT` writes `log TEXT` to its stdout; `POST /cgi-bin/echo`
//! answers `echo` and the request body; `/cgi-bin/secret?NAME` answers `secret` and the
//! secret's current value (or why it cannot be read); `/cgi-bin/uid` answers `uid` and the
//! process's `Uid:`/`Gid:` lines. SIGTERM ends it at once.

use std::path::Path;

use crate::test_image::{self, TestImage};

/// The function's process (`sh -c`).
pub const SERVER_SCRIPT: &str = r#"id=$(cat /proc/sys/kernel/random/uuid)
mkdir -p /tmp/www/cgi-bin
{
  echo "msg=$MSG host=$(hostname) replica=$id"
  for s in /var/openfaas/secrets/*; do [ -f "$s" ] && echo "secret $(basename $s)=$(cat $s)"; done
  if [ -f /var/openfaas/secrets/api-key ]; then
    if echo x >> /var/openfaas/secrets/api-key 2>/dev/null; then echo "secret-writable"; else echo "secret-readonly"; fi
  fi
} > /tmp/www/index.html
cgi() { printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho %s\n%s\n' "$1" "$2" > /tmp/www/cgi-bin/$1; chmod 755 /tmp/www/cgi-bin/$1; }
cgi exit 'kill -USR2 1'
cgi hog 'kill -USR1 1'
cgi log 'echo "log $QUERY_STRING" > /proc/1/fd/1'
cgi echo 'cat'
cgi secret 'cat /var/openfaas/secrets/$QUERY_STRING 2>&1'
cgi uid 'grep -E "^(Uid|Gid):" /proc/self/status'
trap 'exit 0' TERM
trap 'echo exiting; exit 3' USR2
trap 'echo hogging; x=$(head -c 67108864 /dev/zero | tr "\000" a); echo "survived ${#x}"' USR1
echo "started replica=$id"
httpd -p 8080 -h /tmp/www
while :; do sleep 1 & wait $!; done"#;

/// The test function's image with `MSG=msg`.
pub fn server(msg: &str) -> TestImage {
    test_image::build(msg, SERVER_SCRIPT).expect("building the test image")
}

/// The test function's image with `MSG=msg`, run as `user` (`1000`, or `app`: uid 1000 in the
/// image's `/etc/passwd`).
pub fn server_as(msg: &str, user: &str) -> TestImage {
    test_image::build_as(msg, SERVER_SCRIPT, user).expect("building the test image")
}

/// Writes the test function's image with `MSG=msg` as an OCI archive at `path`.
pub fn server_archive(msg: &str, path: &Path) {
    test_image::write_oci_archive(&server(msg), path).expect("writing the image archive");
}

/// The `replica=<uuid>` of a `GET /` answer.
pub fn replica_id(body: &str) -> Option<String> {
    body.split_whitespace()
        .find_map(|w| w.strip_prefix("replica="))
        .map(str::to_owned)
}

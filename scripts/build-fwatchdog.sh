#!/usr/bin/env bash
# Builds fwatchdog as a static x86_64 Linux binary that runs in an empty (FROM scratch) image.
#
# glibc with crt-static: the binary needs no loader and no shared library. fwatchdog resolves
# no host names through NSS (it binds 0.0.0.0 and dials the literal upstream_url address), which
# is the one part of glibc that does not work statically.
#
# Output: target/x86_64-unknown-linux-gnu/release/fwatchdog
# Usage:  scripts/build-fwatchdog.sh [--check]   (--check also verifies the result is static
#         and starts it with an empty environment, expecting exit 64: no fprocess)
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked -p fwatchdog --target "$target"
binary="target/$target/release/fwatchdog"
echo "built $binary"

if [[ "${1:-}" == "--check" ]]; then
    file "$binary"
    file "$binary" | grep -Eq 'static-pie linked|statically linked' \
        || { echo "not statically linked" >&2; exit 1; }
    if ldd "$binary" 2>&1 | grep -q '=>'; then
        echo "ldd lists shared libraries" >&2
        exit 1
    fi
    status=0
    env -i "$binary" >/dev/null 2>&1 || status=$?
    [[ "$status" == 64 ]] || { echo "expected exit 64 with an empty environment, got $status" >&2; exit 1; }
    echo "static: ok (no shared libraries, exit 64 without fprocess)"
    if [[ "$(id -u)" == 0 ]] && command -v chroot >/dev/null; then
        # An empty root like FROM scratch: only the binary and a file to serve.
        root="$(mktemp -d)"
        trap 'rm -rf "$root"' EXIT
        mkdir -p "$root/tmp" "$root/public"
        cp "$binary" "$root/fwatchdog"
        echo scratch-ok >"$root/public/index.html"
        port=$((20000 + RANDOM % 10000))
        env -i mode=static static_path=/public port="$port" "$(command -v chroot)" "$root" /fwatchdog >/dev/null 2>&1 &
        pid=$!
        answer=""
        for _ in $(seq 1 50); do
            answer="$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null || true)"
            [[ -n "$answer" ]] && break
            sleep 0.1
        done
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        [[ "$answer" == scratch-ok ]] || { echo "no answer from fwatchdog in an empty root" >&2; exit 1; }
        [[ -e "$root/tmp/.lock" ]] && { echo "lock file not removed at SIGTERM" >&2; exit 1; }
        echo "empty root: ok (static mode served a file from a chroot holding only the binary)"
    fi
fi

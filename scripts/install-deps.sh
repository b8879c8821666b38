#!/usr/bin/env bash
# Installs, from Debian's packages, what the platform and its tests need on a fresh machine.
# Idempotent: packages already present are left alone. Needs root (apt-get).
set -euo pipefail

packages=(
  build-essential pkg-config protobuf-compiler # building (containerd-client needs protoc)
  curl python3                                 # the demo and the example function
  wrk                                          # optional cross-check of the benchmarks
  containerd runc containernetworking-plugins iptables # faasd mode (faas-provider-containerd)
  docker-registry buildah busybox-static       # its tests: a local registry and test images
  debootstrap                                  # the python base image (scripts/build-base-images.sh)
  nats-server                                  # the durable async queue (faas-queue) and its tests
  chromium chromium-driver nodejs              # the web UI's browser test (tests/ui, playwright-core)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm for `npm ci` in tests/ui: Debian ships it apart from nodejs (other nodejs builds bundle it).
if ! command -v npm >/dev/null; then
  echo "install-deps: installing npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "install-deps: cargo not found: install the Rust toolchain (https://rustup.rs) and re-run" >&2
  exit 1
fi

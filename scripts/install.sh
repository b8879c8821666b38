#!/usr/bin/env bash
# Installs faasd on this machine from the source tree, as root: Debian's packages
# (scripts/install-deps.sh), release builds of faasd and faas and the static watchdog, then
# `faasd install` — which writes the faasd, faasd-provider and faasd-registry units and, where
# systemd runs, starts them and builds the templates' base images into the local registry.
#
#   bash scripts/install.sh [faasd install flags...]    e.g. --registry 127.0.0.1:5001, --no-start
#
# Installs /usr/local/bin/faasd, /usr/local/bin/faas (+ the faas-cli link, made by faasd
# install) and /usr/local/lib/faasd/fwatchdog (where `faasd base-images` finds it).
# The release builds take a few minutes the first time. PREFIX (default /usr/local) changes
# where the binaries go.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $(id -u) == 0 ]] || { echo "install.sh: run it as root (sudo bash scripts/install.sh)" >&2; exit 1; }
prefix=${PREFIX:-/usr/local}

bash scripts/install-deps.sh
echo "install.sh: building faasd and faas (release)"
cargo build --release --locked -p faasd -p faas --bin faasd --bin faas
echo "install.sh: building the static fwatchdog"
bash scripts/build-fwatchdog.sh

install -d "$prefix/bin" "$prefix/lib/faasd"
install -m 0755 target/release/faasd "$prefix/bin/faasd"
install -m 0755 target/release/faas "$prefix/bin/faas"
install -m 0755 target/x86_64-unknown-linux-gnu/release/fwatchdog "$prefix/lib/faasd/fwatchdog"
echo "install.sh: installed $prefix/bin/faasd, $prefix/bin/faas, $prefix/lib/faasd/fwatchdog"

exec "$prefix/bin/faasd" install --fwatchdog "$prefix/lib/faasd/fwatchdog" "$@"

#!/usr/bin/env bash
# Builds the templates' base images from the source tree and pushes them to a local registry:
# faas/fwatchdog:latest, faas/busybox:latest, faas/python:3 and faas/python:2.7. The build is
# bins/faasd/src/base_images.sh, the script `faasd base-images` runs on an installed system
# (one source of truth); this wrapper only builds the static watchdog when none is given.
#
# Usage: scripts/build-base-images.sh [REGISTRY]   (default 127.0.0.1:5000; must be running)
# Env:   FWATCHDOG=path to a static fwatchdog (built with scripts/build-fwatchdog.sh if unset)
#        CACHE_DIR (default /var/cache/faas), BUILDAH_STORAGE_DRIVER (default vfs)
set -euo pipefail
cd "$(dirname "$0")/.."

export REGISTRY=${1:-${REGISTRY:-127.0.0.1:5000}}
if [[ -z ${FWATCHDOG:-} ]]; then
  bash scripts/build-fwatchdog.sh >&2
  FWATCHDOG=$PWD/target/x86_64-unknown-linux-gnu/release/fwatchdog
fi
export FWATCHDOG
exec bash bins/faasd/src/base_images.sh

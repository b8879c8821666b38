#!/usr/bin/env bash
# The project's test command: installs what the tests need, starts the services they use,
# then checks formatting and lints and runs every test of the workspace.
#
# FAAS_REQUIRE_SERVICES=1 (set here) makes a test that misses a service fail instead of skip.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export FAAS_REQUIRE_SERVICES=1
export CARGO_TERM_COLOR=never

# The tests start containerd, a registry and nats-server under target/tmp (shared by the tests of
# one run); stop whatever is still running there when the run ends.
stop_test_services() {
  local dirs
  mapfile -t dirs < <(find target/tmp -name '*.pid' -printf '%h\n' 2>/dev/null | sort -u)
  ((${#dirs[@]})) && bash scripts/services/stop.sh "${dirs[@]}" || true
  # Mounts the tests left under target/tmp (buildah's overlay storage, network namespaces of a
  # world torn down mid-test), deepest first.
  findmnt -rn -o TARGET | grep "^$PWD/target/tmp/" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}
trap stop_test_services EXIT

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== static fwatchdog"
# The watchdog of the base images the seed tests build (scripts/build-base-images.sh): built here,
# before the tests run, so no test waits for a release build behind cargo's lock.
bash scripts/build-fwatchdog.sh

echo "== binaries the end-to-end tests run"
# Built here, each on its own as the e2e harness would, so no test spends its time budget on a
# build; FAASD_BIN / FAAS_BIN tell the harness where they are.
cargo build --locked -p faasd --bin faasd
cargo build --locked -p faas --bin faas
export FAASD_BIN=$PWD/target/debug/faasd FAAS_BIN=$PWD/target/debug/faas

echo "== browser test dependencies"
# playwright-core for the web UI's browser test (tests/e2e/ui.rs runs tests/ui/ui.mjs), pinned by
# tests/ui/package-lock.json.
(cd tests/ui && npm ci --no-audit --no-fund --loglevel=error)

echo "== tests"
if command -v cargo-nextest >/dev/null; then
  cargo nextest run --workspace --locked --no-fail-fast
  cargo test --workspace --locked --doc
else
  cargo test --workspace --locked --no-fail-fast
fi

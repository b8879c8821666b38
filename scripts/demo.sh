#!/usr/bin/env bash
# The main job: start the platform, deploy a sample function, invoke it.
#
# Until faasd mode lands, "the platform" is the gateway over the example process provider
# (crates/faas-gateway/examples/process_provider), with basic auth on as faasd has it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cargo build --release --locked -p faas-gateway --example process_provider

port=${PORT:-8080}
state=$(mktemp -d)
trap 'kill "$gw_pid" 2>/dev/null || true; rm -rf "$state"' EXIT
printf admin >"$state/basic-auth-user"
head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40 >"$state/basic-auth-password"
chmod 600 "$state"/basic-auth-*

target/release/examples/process_provider "127.0.0.1:$port" "$state" >"$state/out" &
gw_pid=$!
for _ in $(seq 1 100); do grep -q listening "$state/out" 2>/dev/null && break; sleep 0.1; done
gw="http://127.0.0.1:$port"
auth="admin:$(cat "$state/basic-auth-password")"
echo "gateway: $gw (user admin)"

echo "== deploy hello"
curl -sSf -u "$auth" -X POST "$gw/system/functions" -H 'Content-Type: application/json' \
  -d "{\"service\":\"hello\",\"image\":\"local/hello:latest\",\"envProcess\":\"python3 $PWD/examples/functions/echo_server.py\",\"labels\":{},\"annotations\":{}}" \
  -w 'HTTP %{http_code}\n'

echo "== invoke hello"
for _ in $(seq 1 100); do
  out=$(curl -s "$gw/function/hello" -d "it's john here") && [[ $out == Hello* ]] && break
  sleep 0.1
done
echo "$out"

echo "== list"
curl -sSf -u "$auth" "$gw/system/functions"
echo
[[ $out == "Hello! You said: it's john here" ]]

#!/usr/bin/env bash
# Starts a private image registry (Debian's docker-registry) on 127.0.0.1:PORT with its storage
# under DIR, for tests that push and pull images without the internet.
#
#   scripts/services/registry.sh PORT DIR   # prints 127.0.0.1:PORT
#
# Idempotent: when the registry started from DIR still answers, it only prints the address.
# Writes DIR/registry.pid, DIR/registry.log and DIR/address. Stop it with scripts/services/stop.sh DIR.
set -euo pipefail

port=${1:?usage: registry.sh PORT DIR}
dir=${2:?usage: registry.sh PORT DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
addr=127.0.0.1:$port
pidfile=$dir/registry.pid

answers() {
  # GET /v2/ answers 200 on a registry without auth.
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'GET /v2/ HTTP/1.0\r\nHost: %s\r\n\r\n' "$addr" >&3
  local status
  read -r -t 2 _ status _ <&3 || status=
  exec 3>&-
  [[ $status == 200 ]]
}

if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && answers; then
  echo "$addr"
  exit 0
fi
command -v docker-registry >/dev/null || { echo "registry.sh: docker-registry not installed (scripts/install-deps.sh)" >&2; exit 1; }
if [[ -f $pidfile ]]; then
  old=$(cat "$pidfile")
  if kill -0 "$old" 2>/dev/null && [[ $(cat /proc/"$old"/comm 2>/dev/null) == docker-registry ]]; then
    kill "$old" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
fi
if answers; then
  echo "registry.sh: something else already answers on $addr" >&2
  exit 1
fi

mkdir -p "$dir/storage"
cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $addr
YAML

setsid docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
echo $! >"$pidfile"

for _ in $(seq 1 100); do
  if answers; then
    echo "$addr" >"$dir/address"
    echo "$addr"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "registry.sh: docker-registry exited; last lines of $dir/registry.log:" >&2
    tail -n 20 "$dir/registry.log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "registry.sh: the registry did not answer on $addr within 10s (log: $dir/registry.log)" >&2
exit 1

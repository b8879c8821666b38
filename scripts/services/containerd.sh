#!/usr/bin/env bash
# Starts a private containerd for tests: its own root, state, socket and config under DIR, so test
# runs never touch the machine's containerd (`/run/containerd`) or each other.
#
#   scripts/services/containerd.sh DIR     # prints the socket path (DIR/containerd.sock)
#
# Idempotent: when the containerd started from DIR still answers, it only prints the socket.
# Writes DIR/containerd.pid, DIR/containerd.log and DIR/socket (the socket path). Needs root.
# Stop it with scripts/services/stop.sh DIR.
set -euo pipefail

dir=${1:?usage: containerd.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock=$dir/containerd.sock
pidfile=$dir/containerd.pid

answers() { ctr --address "$sock" version >/dev/null 2>&1; }

if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && answers; then
  echo "$sock"
  exit 0
fi
if ((EUID != 0)); then
  echo "containerd.sh: containerd needs root (running as uid $EUID)" >&2
  exit 1
fi
if ((${#sock} > 100)); then
  echo "containerd.sh: socket path $sock is too long for a unix socket: use a shorter DIR" >&2
  exit 1
fi
command -v containerd >/dev/null || { echo "containerd.sh: containerd not installed (scripts/install-deps.sh)" >&2; exit 1; }

# A stale pid file or socket from a killed run.
if [[ -f $pidfile ]]; then
  old=$(cat "$pidfile")
  if kill -0 "$old" 2>/dev/null && [[ $(cat /proc/"$old"/comm 2>/dev/null) == containerd ]]; then
    kill "$old" 2>/dev/null || true
    sleep 1
  fi
  rm -f "$pidfile"
fi
rm -f "$sock" "$sock.ttrpc"

# Config version 2 (containerd 1.6). The CRI plugin is off: functions are run by our provider, not
# by a kubelet, and CRI would load CNI configuration of its own. Tasks use the runc v2 shim, which
# the provider names per container (`io.containerd.runc.v2`).
cat >"$dir/config.toml" <<TOML
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.runtime.v1.linux"]
  runtime = "runc"

[plugins."io.containerd.service.v1.tasks-service"]
  rdt_config_file = ""
TOML

setsid containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 </dev/null &
echo $! >"$pidfile"

for _ in $(seq 1 100); do
  if answers; then
    echo "$sock" >"$dir/socket"
    echo "$sock"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "containerd.sh: containerd exited; last lines of $dir/containerd.log:" >&2
    tail -n 20 "$dir/containerd.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "containerd.sh: containerd did not answer on $sock within 20s (log: $dir/containerd.log)" >&2
exit 1

#!/usr/bin/env bash
# Stops the services that containerd.sh, registry.sh or nats.sh started from DIR (by the pid files there,
# never by name). Running function tasks of a stopped containerd keep running under their shims
# until their namespace is cleaned; tests remove theirs before this is called.
#
#   scripts/services/stop.sh DIR [DIR...]
set -euo pipefail

(($#)) || { echo "usage: stop.sh DIR [DIR...]" >&2; exit 2; }
for pidfile in "${@/%//containerd.pid}" "${@/%//registry.pid}" "${@/%//nats.pid}"; do
  [[ -f $pidfile ]] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$pidfile"
done

#!/usr/bin/env bash
# Starts a private nats-server with JetStream on 127.0.0.1:PORT, its store (-sd) under DIR, for the
# async queue (faas-queue) outside the tests, which start their own.
#
#   scripts/services/nats.sh PORT DIR   # prints nats://127.0.0.1:PORT
#
# Idempotent: when the server started from DIR still answers, it only prints the URL.
# Writes DIR/nats.pid, DIR/nats.log and DIR/url. Stop it with `kill "$(cat DIR/nats.pid)"`.
set -euo pipefail

port=${1:?usage: nats.sh PORT DIR}
dir=${2:?usage: nats.sh PORT DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
url=nats://127.0.0.1:$port
pidfile=$dir/nats.pid

answers() {
  # A NATS server greets every connection with an INFO line.
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  local greeting
  read -r -t 2 greeting <&3 || greeting=
  exec 3>&-
  [[ $greeting == INFO* ]]
}

if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && answers; then
  echo "$url"
  exit 0
fi
bin=$(command -v nats-server || true)
[[ -n $bin ]] || { [[ -x /usr/sbin/nats-server ]] && bin=/usr/sbin/nats-server; }
[[ -n $bin ]] || { echo "nats.sh: nats-server not installed (scripts/install-deps.sh)" >&2; exit 1; }
if [[ -f $pidfile ]]; then
  old=$(cat "$pidfile")
  if kill -0 "$old" 2>/dev/null && [[ $(cat /proc/"$old"/comm 2>/dev/null) == nats-server ]]; then
    kill "$old" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
fi
if answers; then
  echo "nats.sh: something else already answers on 127.0.0.1:$port" >&2
  exit 1
fi

setsid "$bin" -js -a 127.0.0.1 -p "$port" -sd "$dir/store" >"$dir/nats.log" 2>&1 </dev/null &
echo $! >"$pidfile"

for _ in $(seq 1 100); do
  if answers; then
    echo "$url" >"$dir/url"
    echo "$url"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "nats.sh: nats-server exited; last lines of $dir/nats.log:" >&2
    tail -n 20 "$dir/nats.log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "nats.sh: nats-server did not answer on 127.0.0.1:$port within 10s (log: $dir/nats.log)" >&2
exit 1

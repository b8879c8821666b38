#!/usr/bin/env bash
# The main job: bring the platform up with `faasd up`, deploy a sample function, invoke it.
#
# On a fresh Debian machine, as root: installs containerd, runc, the CNI plugins and the rest
# (scripts/install-deps.sh), starts containerd when none answers on the system socket (a running
# one is used, never restarted), builds faasd and a static fwatchdog, builds the function image
# offline with buildah (FROM scratch + busybox-static + fwatchdog, fprocess `rev`), pushes it to a
# private registry on 127.0.0.1, runs `faasd up` with its state in a temporary directory, deploys
# and invokes. Everything it started is stopped at exit (by pid); the function is deleted.
#
# Env: PORT (gateway, default 8080), FAASD_SUBNET (default 10.62.0.0/16), FAASD_BRIDGE.
set -euo pipefail
cd "$(dirname "$0")/.."

if ((EUID != 0)); then
  echo "demo.sh: faasd creates containers and network interfaces: run it as root (sudo)" >&2
  exit 1
fi
bash scripts/install-deps.sh
cargo build --release --locked -p faasd
bash scripts/build-fwatchdog.sh >/dev/null

work=$(mktemp -d /tmp/faasd-demo.XXXXXX)
cleanup() {
  [[ -n ${faasd_pid:-} ]] && kill "$faasd_pid" 2>/dev/null && wait "$faasd_pid" 2>/dev/null
  bash scripts/services/stop.sh "$work/registry" 2>/dev/null || true
  [[ -n ${own_containerd:-} ]] && bash scripts/services/stop.sh "$work/containerd" 2>/dev/null
  ip link del "${FAASD_BRIDGE:-faasddemo0}" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# containerd: the machine's own when it answers, else a private one (its own root and socket).
socket=/run/containerd/containerd.sock
if ! ctr --address "$socket" version >/dev/null 2>&1; then
  echo "== starting containerd (private, under $work/containerd)"
  socket=$(bash scripts/services/containerd.sh "$work/containerd")
  own_containerd=1
fi

echo "== registry and the function image"
reg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
registry=$(bash scripts/services/registry.sh "$reg_port" "$work/registry")
export STORAGE_DRIVER=vfs
root=$work/rootfs
mkdir -p "$root/bin" "$root/tmp"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for applet in sh rev cat; do ln -s busybox "$root/bin/$applet"; done
cp target/x86_64-unknown-linux-gnu/release/fwatchdog "$root/fwatchdog"
tar -C "$root" -cf "$work/rootfs.tar" .
ctr_id=$(buildah --storage-driver vfs from scratch)
buildah --storage-driver vfs add "$ctr_id" "$work/rootfs.tar" / >/dev/null
buildah --storage-driver vfs config --entrypoint '["/fwatchdog"]' --env PATH=/bin --env fprocess=rev --port 8080 "$ctr_id"
buildah --storage-driver vfs commit --quiet "$ctr_id" faasd-demo-rev >/dev/null
buildah --storage-driver vfs rm "$ctr_id" >/dev/null
buildah --storage-driver vfs push --quiet --tls-verify=false faasd-demo-rev "docker://$registry/demo/rev:1" >/dev/null
image=$registry/demo/rev:1
echo "pushed $image"

echo "== faasd up"
port=${PORT:-8080}
state=$work/state
target/release/faasd up --listen "127.0.0.1:$port" --state-dir "$state" --containerd-socket "$socket" \
  --namespace faasd-demo --bridge "${FAASD_BRIDGE:-faasddemo0}" --subnet "${FAASD_SUBNET:-10.62.0.0/16}" \
  --no-queue --metrics-listen 127.0.0.1:0 >"$work/faasd.log" 2>&1 &
faasd_pid=$!
for _ in $(seq 1 300); do [[ -s $state/gateway.addr ]] && break; kill -0 "$faasd_pid" 2>/dev/null || break; sleep 0.1; done
if [[ ! -s $state/gateway.addr ]]; then
  echo "demo.sh: faasd did not start:" >&2
  cat "$work/faasd.log" >&2
  exit 1
fi
gw="http://$(cat "$state/gateway.addr")"
auth="admin:$(cat "$state/secrets/basic-auth-password")"
echo "gateway: $gw (user admin, password in $state/secrets/basic-auth-password)"

echo "== deploy rev"
curl -sSf -u "$auth" -X POST "$gw/system/functions" -H 'Content-Type: application/json' \
  -d "{\"service\":\"rev\",\"image\":\"$image\",\"namespace\":\"faasd-demo\"}" -w 'HTTP %{http_code}\n'

echo "== invoke rev"
out=
for _ in $(seq 1 300); do
  out=$(curl -s "$gw/function/rev.faasd-demo" -d "it's john here") && [[ $out == "ereh nhoj s'ti" ]] && break
  sleep 0.1
done
echo "$out"

echo "== list"
curl -sSf -u "$auth" "$gw/system/functions?namespace=faasd-demo"
echo
curl -sSf -u "$auth" -X DELETE "$gw/system/functions" -H 'Content-Type: application/json' \
  -d '{"functionName":"rev","namespace":"faasd-demo"}' -o /dev/null
[[ $out == "ereh nhoj s'ti" ]]

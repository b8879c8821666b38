#!/usr/bin/env bash
# Builds the base images the templates need, offline from the outside world, and pushes them to
# a local registry:
#   $REGISTRY/faas/fwatchdog:latest   FROM scratch + our static watchdog at /fwatchdog
#   $REGISTRY/faas/busybox:latest     FROM scratch + busybox-static, user app (1000)
#   $REGISTRY/faas/python:3           Debian minbase + python3 + pip (debootstrap), user app
# Images are built with buildah (no Docker engine). The Debian root filesystem is cached in
# $CACHE_DIR between runs on one machine; delete it to rebuild.
#
# Usage: scripts/build-base-images.sh [REGISTRY]   (default 127.0.0.1:5000; must be running)
# Env:   FWATCHDOG=path to a static fwatchdog (built with scripts/build-fwatchdog.sh if unset)
#        CACHE_DIR (default /var/cache/faas), BUILDAH_STORAGE_DRIVER (default vfs)
set -euo pipefail
cd "$(dirname "$0")/.."

registry=${1:-${REGISTRY:-127.0.0.1:5000}}
cache=${CACHE_DIR:-/var/cache/faas}
export STORAGE_DRIVER=${BUILDAH_STORAGE_DRIVER:-vfs}
buildah=(buildah --storage-driver "$STORAGE_DRIVER")
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! curl -sf "http://$registry/v2/" >/dev/null; then
  echo "build-base-images: no registry answers at http://$registry/v2/ (start one with scripts/services/registry.sh)" >&2
  exit 1
fi

push() { # push LOCAL_NAME REMOTE_NAME
  "${buildah[@]}" push --quiet --tls-verify=false "$1" "docker://$registry/$2" >/dev/null
  echo "pushed $registry/$2"
}

commit_rootfs() { # commit_rootfs ROOTFS_DIR IMAGE_NAME [buildah config args...]
  local dir=$1 name=$2
  shift 2
  local ctr
  ctr=$("${buildah[@]}" from scratch)
  tar -C "$dir" -cf "$work/rootfs.tar" .
  "${buildah[@]}" add "$ctr" "$work/rootfs.tar" / >/dev/null
  rm -f "$work/rootfs.tar"
  if (($#)); then "${buildah[@]}" config "$@" "$ctr"; fi
  "${buildah[@]}" commit --quiet --format oci --rm "$ctr" "$name" >/dev/null
}

# --- the watchdog -------------------------------------------------------------------------
fwatchdog=${FWATCHDOG:-}
if [[ -z $fwatchdog ]]; then
  bash scripts/build-fwatchdog.sh >&2
  fwatchdog=target/x86_64-unknown-linux-gnu/release/fwatchdog
fi
[[ -x $fwatchdog ]] || { echo "build-base-images: $fwatchdog is not an executable" >&2; exit 1; }
mkdir -p "$work/watchdog"
cp "$fwatchdog" "$work/watchdog/fwatchdog"
commit_rootfs "$work/watchdog" faas-fwatchdog --entrypoint '["/fwatchdog"]' --port 8080
push faas-fwatchdog faas/fwatchdog:latest

# --- busybox ------------------------------------------------------------------------------
bb=$work/busybox
mkdir -p "$bb"/{bin,etc,tmp,home/app,usr/bin}
cp /bin/busybox "$bb/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ -e $bb/bin/$applet ]] || ln -s busybox "$bb/bin/$applet"
done
chmod 1777 "$bb/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' >"$bb/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' >"$bb/etc/group"
chown 1000:1000 "$bb/home/app"
commit_rootfs "$bb" faas-busybox --env PATH=/usr/bin:/bin --cmd '["sh"]'
push faas-busybox faas/busybox:latest

# --- python (Debian minbase) --------------------------------------------------------------
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
python_tar=$cache/python-rootfs-$codename.tar
if [[ ! -s $python_tar ]]; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list)
  echo "debootstrap $codename (minbase + python3, pip) from the machine's apt mirror; cached in $python_tar"
  root=$work/python
  debootstrap --variant=minbase --include=python3,python3-pip "$codename" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
  chroot "$root" sh -c 'groupadd -g 1000 app && useradd -u 1000 -g app -m -d /home/app app'
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -cf "$python_tar.tmp" . && mv "$python_tar.tmp" "$python_tar"
fi
ctr=$("${buildah[@]}" from scratch)
"${buildah[@]}" add "$ctr" "$python_tar" / >/dev/null
"${buildah[@]}" config --env PATH=/usr/local/bin:/usr/bin:/bin --cmd '["python3"]' "$ctr"
"${buildah[@]}" commit --quiet --format oci --rm "$ctr" faas-python >/dev/null
push faas-python faas/python:3

#!/usr/bin/env bash
# The templates' base images, built offline from the outside world (Debian packages from the
# machine's apt mirror, our static watchdog) and pushed to the local registry:
#   $REGISTRY/faas/fwatchdog:latest   FROM scratch + the static watchdog at /fwatchdog
#   $REGISTRY/faas/busybox:latest     FROM scratch + busybox-static, user app (1000)
#   $REGISTRY/faas/python:3           Debian minbase (this machine's release) + python3 + pip, user app
#   $REGISTRY/faas/python:2.7         Debian 11 (bullseye) minbase + python2.7 + pip, setuptools,
#                                     wheel, requests (from Debian's wheels), user app
# Images are built with buildah (no Docker engine), for this machine's architecture. The Debian
# root filesystems are cached in $CACHE_DIR between runs; delete them to rebuild.
#
# This file is the one source of truth: `faasd base-images` runs it (embedded in the binary) and
# scripts/build-base-images.sh runs it from the source tree. Inputs, all from the environment:
#   REGISTRY    the registry to push to (must be running), e.g. 127.0.0.1:5000
#   FWATCHDOG   a static fwatchdog binary
#   CACHE_DIR   (default /var/cache/faas), BUILDAH_STORAGE_DRIVER (default vfs)
set -euo pipefail

registry=${REGISTRY:?REGISTRY is not set}
fwatchdog=${FWATCHDOG:?FWATCHDOG is not set}
cache=${CACHE_DIR:-/var/cache/faas}
export STORAGE_DRIVER=${BUILDAH_STORAGE_DRIVER:-vfs}
buildah=(buildah --storage-driver "$STORAGE_DRIVER")
for tool in buildah debootstrap curl; do
  command -v "$tool" >/dev/null || { echo "base-images: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
mkdir -p "$cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! curl -sf "http://$registry/v2/" >/dev/null; then
  echo "base-images: no registry answers at http://$registry/v2/ (systemctl start faasd-registry)" >&2
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

commit_tar() { # commit_tar ROOTFS_TAR IMAGE_NAME [buildah config args...]
  local tarball=$1 name=$2
  shift 2
  local ctr
  ctr=$("${buildah[@]}" from scratch)
  "${buildah[@]}" add "$ctr" "$tarball" / >/dev/null
  if (($#)); then "${buildah[@]}" config "$@" "$ctr"; fi
  "${buildah[@]}" commit --quiet --format oci --rm "$ctr" "$name" >/dev/null
}

apt_mirror() { # the machine's Debian mirror (empty: debootstrap's own default)
  local mirror
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "$mirror"
}

debootstrap_to() { # debootstrap_to CODENAME PACKAGES ROOT
  local mirror
  mirror=$(apt_mirror)
  echo "debootstrap $1 (minbase + $2) from ${mirror:-the default mirror of debootstrap}; cached in $cache"
  debootstrap --variant=minbase --include="$2" "$1" "$3" ${mirror:+"$mirror"} >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }
}

finish_rootfs() { # finish_rootfs ROOT TARBALL: user app (1000), no apt caches, then the cached tar
  chroot "$1" sh -c 'groupadd -g 1000 app && useradd -u 1000 -g app -m -d /home/app app'
  rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*
  # A temporary name of this process's own: builds from other checkouts may share the cache.
  tar -C "$1" -cf "$2.tmp.$$" . && mv "$2.tmp.$$" "$2"
}

# --- the watchdog -------------------------------------------------------------------------
[[ -x $fwatchdog ]] || { echo "base-images: $fwatchdog is not an executable" >&2; exit 1; }
mkdir -p "$work/watchdog"
cp "$fwatchdog" "$work/watchdog/fwatchdog"
commit_rootfs "$work/watchdog" faas-fwatchdog --entrypoint '["/fwatchdog"]' --port 8080
push faas-fwatchdog faas/fwatchdog:latest

# --- busybox ------------------------------------------------------------------------------
[[ -x /bin/busybox ]] || { echo "base-images: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
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

# --- python 3 (this machine's Debian release) ----------------------------------------------
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
python_tar=$cache/python-rootfs-$codename.tar
if [[ ! -s $python_tar ]]; then
  debootstrap_to "$codename" python3,python3-pip "$work/python"
  finish_rootfs "$work/python" "$python_tar"
fi
commit_tar "$python_tar" faas-python --env PATH=/usr/local/bin:/usr/bin:/bin --cmd '["python3"]'
push faas-python faas/python:3

# --- python 2.7 (Debian 11, the last release with python2.7) --------------------------------
# bullseye has python2.7, python-is-python2 and python-pip-whl (pip's wheel and those of its
# dependencies, requests among them) but no python-pip package: pip installs itself, setuptools,
# wheel and requests from those wheels, offline. Debian's wheels are unbundled, so requests'
# own dependencies (urllib3, chardet, idna, certifi, six) and setuptools' pkg_resources are named
# too. The cache file's name carries a revision: bump it when the contents change.
python2_tar=$cache/python2.7-rootfs-bullseye-r2.tar
if [[ ! -s $python2_tar ]]; then
  root=$work/python2
  debootstrap_to bullseye python2.7,python-is-python2,python-pip-whl,ca-certificates "$root"
  pip_whl=$(cd "$root" && ls usr/share/python-wheels/pip-*.whl | head -n 1)
  chroot "$root" python2.7 "/$pip_whl/pip" install --no-cache-dir --no-index \
    --find-links /usr/share/python-wheels pip setuptools pkg_resources wheel requests urllib3 chardet idna certifi six >"$work/pip.log" 2>&1 \
    || { tail -n 20 "$work/pip.log" >&2; exit 1; }
  finish_rootfs "$root" "$python2_tar"
fi
commit_tar "$python2_tar" faas-python2 --env PATH=/usr/local/bin:/usr/bin:/bin --cmd '["python"]'
push faas-python2 faas/python:2.7

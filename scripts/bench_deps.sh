#!/usr/bin/env bash
# Debian packages the benchmarks need, installed when missing: wrk drives the API in `make bench-load`.
set -uo pipefail

export DEBIAN_FRONTEND=noninteractive
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi

install() {  # install PACKAGE; refresh the package lists only if the first try fails
  local pkg=$1
  echo "bench deps: installing $pkg"
  "${SUDO[@]}" apt-get install -y -q "$pkg" && return 0
  "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q "$pkg"
}

command -v wrk >/dev/null || install wrk || { echo "bench deps: could not install wrk" >&2; exit 1; }

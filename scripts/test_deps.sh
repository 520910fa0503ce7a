#!/usr/bin/env bash
# Debian packages the tests need, installed when missing: chromium (the Playwright end-to-end
# tests drive it through playwright-core) and docker-compose (the compose file test uses its parser).
set -uo pipefail

in_ci() { [[ "${CI:-}" =~ ^(1|true|yes|TRUE|True)$ ]]; }
export DEBIAN_FRONTEND=noninteractive
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -n); fi

install() {  # install PACKAGE [apt options...]; refresh the package lists only if the first try fails
  local pkg=$1; shift
  echo "test deps: installing $pkg"
  "${SUDO[@]}" apt-get install -y -q "$@" "$pkg" && return 0
  "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q "$@" "$pkg"
}

status=0
command -v chromium >/dev/null || install chromium || status=1
# Only the compose parser is needed, not the Docker daemon it recommends.
command -v docker-compose >/dev/null || install docker-compose --no-install-recommends || status=1

if [ $status -ne 0 ]; then
  echo "test deps: could not install chromium/docker-compose" >&2
  if in_ci; then exit 1; fi
fi
exit 0

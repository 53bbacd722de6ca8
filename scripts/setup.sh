#!/usr/bin/env bash
# Install what building and testing tsrunc needs on Debian 12, idempotently.
#
#   - Debian packages: installed only when missing (apt-get update only then).
#   - npm dependencies (the pinned deno binary and zod): `npm install` only when
#     node_modules/@deno/linux-x64-glibc/deno is missing or package.json /
#     package-lock.json changed since the last install (stamp file in node_modules/).
#
# A second run with everything present takes well under a second.
#
#   scripts/setup.sh              everything (root needed only if packages are missing)
#   scripts/setup.sh --npm-only   only the npm part (no root needed)
set -euo pipefail

npm_only=0
case ${1:-} in
--npm-only) npm_only=1 ;;
"") ;;
*) echo "usage: $0 [--npm-only]" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  gcc make libc6-dev pkg-config # libcore
  libseccomp-dev                # static libseccomp.a for the executor
  busybox-static                # test and demo bundles (scripts/rootfs.sh)
  runc crun hyperfine           # scripts/bench, behaviour comparisons in tests
  strace python3 python3-jsonschema uidmap iproute2 procps util-linux
  containerd docker.io podman   # tests/engines (each started privately by the tests)
  man-db                        # man -l renders the generated pages (install test)
)

say() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    say "need root to run: $*"
    return 1
  fi
}

# --- Debian packages ------------------------------------------------------------
missing=()
if [ "$npm_only" = 1 ]; then
  :
elif command -v dpkg-query >/dev/null 2>&1; then
  # One dpkg-query call for all packages; "ii " means installed.
  installed="$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null |
    awk '$1 == "ii" { print $2 }' || true)"
  for p in "${PACKAGES[@]}"; do
    grep -qxF "$p" <<<"$installed" || missing+=("$p")
  done
  # npm: any working npm will do (e.g. NodeSource's nodejs ships it); else Debian's.
  if ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    as_root apt-get update -qq
    # Installing the engines must not start their daemons on the host's default sockets:
    # a policy-rc.d that forbids service starts, only while apt runs (and only ours).
    policy=/usr/sbin/policy-rc.d
    ours=0
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
      as_root chmod 755 "$policy"
      ours=1
    fi
    rc=0
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
    [ "$ours" = 1 ] && as_root rm -f "$policy"
    [ "$rc" = 0 ] || exit "$rc"
  fi
else
  say "not a Debian system: install ${PACKAGES[*]} and npm yourself"
fi

# --- npm dependencies -------------------------------------------------------------
DENO=node_modules/@deno/linux-x64-glibc/deno
STAMP=node_modules/.tsrunc-npm-stamp
want="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ ! -x "$DENO" ] || [ "$want" != "$have" ]; then
  say "npm install"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
  if [ ! -x "$DENO" ]; then
    say "npm install did not produce $DENO"
    exit 1
  fi
  # package-lock.json may have been rewritten by npm install: hash after it.
  cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1 >"$STAMP"
fi

#!/usr/bin/env bash
# Build a single-file tsrunc: build/tsrunc-compiled, with `deno compile`.
#
# The input is the bundle (build/lib/tsrunc.js, npm deps already inlined, so no
# node_modules gets embedded) plus libcore.so, the executor and version.json, embedded
# with --include beside the entry module. At run time ffi/paths.ts reads the two native
# files from the binary's embedded file system into sealed memfds and uses them as
# /proc/self/fd/N: nothing is extracted to disk (so no --self-extracting).
#
# Permissions are the launcher's (libcore/launcher.c, between the "permissions" markers),
# so the single binary and the installed tree run with the same set.
#
# deno compile needs "denort", Deno's runtime-only binary for the same version. It
# is downloaded from dl.deno.land on first use and cached in $DENO_DIR; without
# network, point DENORT_BIN at a denort binary of the pinned Deno version. The result
# is checked: it must answer --version as tsrunc (a full `deno` given as DENORT_BIN
# would build, but not run the bundle).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=${BUILD:-$REPO/build}
DENO=${DENO:-$REPO/node_modules/@deno/linux-x64-glibc/deno}
OUT=${OUT:-$BUILD/tsrunc-compiled}
TIMEOUT=${COMPILE_TIMEOUT:-120}

die() { echo "compile: $*" >&2; exit 1; }

[ -x "$DENO" ] || die "$DENO missing: run scripts/setup.sh"
for f in "$BUILD/lib/tsrunc.js" "$BUILD/libcore.so" "$BUILD/executor" "$BUILD/version.json"; do
  [ -e "$f" ] || die "$f missing: run 'make build' first"
done
if [ -n "${DENORT_BIN:-}" ] && [ ! -x "$DENORT_BIN" ]; then
  die "DENORT_BIN=$DENORT_BIN is not an executable file"
fi

# The launcher's permission flags, one per line between the markers.
mapfile -t PERMS < <(sed -n '/permissions: begin/,/permissions: end/p' libcore/launcher.c |
  grep -oE '"--[^"]+"' | tr -d '"')
[ "${#PERMS[@]}" -gt 0 ] || die "no permission flags found in libcore/launcher.c"

# Stage: the bundle and the files it reads beside it, as real files.
stage=$BUILD/compile
rm -rf "$stage"
mkdir -p "$stage"
cp -L "$BUILD"/lib/*.js "$BUILD/libcore.so" "$BUILD/executor" "$BUILD/version.json" "$stage/"
includes=()
for f in "$stage"/*; do
  [ "$(basename "$f")" = tsrunc.js ] || includes+=(--include "$f")
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
timeout "$TIMEOUT" "$DENO" compile --quiet --no-check --no-config --no-lock \
  "${PERMS[@]}" "${includes[@]}" --output "$OUT" "$stage/tsrunc.js" >"$log" 2>&1 || rc=$?

if [ "$rc" -ne 0 ]; then
  if [ "$rc" -eq 124 ]; then
    die "deno compile did not finish in ${TIMEOUT}s (downloading denort?); set DENORT_BIN=/path/to/denort"
  fi
  if grep -qE 'denort|dl\.deno\.land|Setting up base binary' "$log"; then
    ver=$("$DENO" --version | head -1 | cut -d' ' -f2)
    die "cannot get the denort runtime for deno $ver (no network?); set DENORT_BIN=/path/to/denort-$ver"
  fi
  cat "$log" >&2
  die "deno compile failed (status $rc)"
fi
if ! first=$(timeout 30 "$OUT" --version 2>&1 | head -1) || [ "${first#tsrunc version}" = "$first" ]; then
  rm -f "$OUT"
  die "the result does not run as tsrunc (is DENORT_BIN a denort of the same Deno version?): $first"
fi
echo "compile: wrote $OUT ($(du -h "$OUT" | cut -f1)); $first"

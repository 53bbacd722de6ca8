#!/usr/bin/env bash
# Build a single-file tsrunc: build/tsrunc-compiled, with `deno compile`.
#
# The input is the bundle (build/lib/*.js, npm deps already inlined, so no
# node_modules gets embedded) plus libcore.so and the executor, embedded with
# --include next to the entry module, where the TypeScript side looks for them
# (new URL(".", import.meta.url)). --self-extracting puts the embedded files on
# disk at first run, so dlopen() of libcore.so and C code opening the executor see
# real files (set COMPILE_FLAGS= to try the in-memory file system instead).
#
# deno compile needs "denort", Deno's runtime-only binary for the same version. It
# is downloaded from dl.deno.land on first use and cached in $DENO_DIR; without
# network, point DENORT_BIN at a denort binary of the pinned Deno version.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=${BUILD:-$REPO/build}
DENO=${DENO:-$REPO/node_modules/@deno/linux-x64-glibc/deno}
OUT=${OUT:-$BUILD/tsrunc-compiled}
COMPILE_FLAGS=${COMPILE_FLAGS---self-extracting}
TIMEOUT=${COMPILE_TIMEOUT:-120}

# What the runtime needs: files (state, cgroups, /proc, bundles), env, FFI
# (libcore.so), subprocesses (hooks, newuidmap), sys (uid/gid, hostname). No network
# (a compiled binary never prompts, so what is not granted is denied).
PERMS=(--allow-read --allow-write --allow-env --allow-ffi --allow-run --allow-sys)

die() { echo "compile: $*" >&2; exit 1; }

[ -x "$DENO" ] || die "$DENO missing: run scripts/setup.sh"
for f in "$BUILD/lib/tsrunc.js" "$BUILD/libcore.so" "$BUILD/executor"; do
  [ -e "$f" ] || die "$f missing: run 'make build' first"
done
if [ -n "${DENORT_BIN:-}" ] && [ ! -x "$DENORT_BIN" ]; then
  die "DENORT_BIN=$DENORT_BIN is not an executable file"
fi

# Stage: the JS chunks and the two native files side by side, as real files.
stage=$BUILD/compile
rm -rf "$stage"
mkdir -p "$stage"
cp -L "$BUILD"/lib/*.js "$BUILD/libcore.so" "$BUILD/executor" "$stage/"

includes=(--include "$stage/libcore.so" --include "$stage/executor")
for f in "$stage"/*.js; do
  [ "$(basename "$f")" = tsrunc.js ] || includes+=(--include "$f")
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
# shellcheck disable=SC2086 # COMPILE_FLAGS is a word list
timeout "$TIMEOUT" "$DENO" compile --quiet --no-check --no-config --no-lock \
  "${PERMS[@]}" $COMPILE_FLAGS "${includes[@]}" \
  --output "$OUT" "$stage/tsrunc.js" >"$log" 2>&1 || rc=$?

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
echo "compile: wrote $OUT ($(du -h "$OUT" | cut -f1))"

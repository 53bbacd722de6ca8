#!/usr/bin/env bash
# Install or uninstall tsrunc (called by `make install` / `make uninstall`).
#
#   scripts/install.sh install      # needs `make build` done first
#   scripts/install.sh uninstall
#
# Environment: PREFIX (default /usr/local), DESTDIR (default empty, for packaging),
# BUILD (default build/ in the repository).
#
# Installed layout:
#   $DESTDIR$PREFIX/sbin/tsrunc            the launcher (C; execs deno on tsrunc.js)
#   $DESTDIR$PREFIX/lib/tsrunc/deno        the pinned Deno binary
#   $DESTDIR$PREFIX/lib/tsrunc/tsrunc.js   the bundle entry, plus its *.js chunks
#   $DESTDIR$PREFIX/lib/tsrunc/libcore.so  FFI library
#   $DESTDIR$PREFIX/lib/tsrunc/executor    static container-side executor
#   $DESTDIR$PREFIX/lib/tsrunc/version.json  commit and libseccomp version (--version)
#   $DESTDIR$PREFIX/share/man/man8/tsrunc.8, tsrunc-COMMAND.8   man pages (make docs)
#   $DESTDIR$PREFIX/share/bash-completion/completions/tsrunc   bash completion (make docs)
#
# The launcher finds its lib directory as ../lib/tsrunc from its own location, so the
# tree works wherever it is unpacked (make dist). Files are replaced by rename, so
# running tsrunc processes are never disturbed, and unchanged files are not rewritten,
# so a second install is quick.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD

action=${1:-install}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BUILD=${BUILD:-$REPO/build}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd || echo "$BUILD")

LIBDIR=$PREFIX/lib/tsrunc
DEST_LIB=$DESTDIR$LIBDIR
DEST_SBIN=$DESTDIR$PREFIX/sbin
DEST_MAN=$DESTDIR$PREFIX/share/man/man8
DEST_COMPLETION=$DESTDIR$PREFIX/share/bash-completion/completions/tsrunc
DENO_SRC=$REPO/node_modules/@deno/linux-x64-glibc/deno

say() { printf 'install: %s\n' "$*" >&2; }

# put SRC DEST MODE: copy unless identical, atomically (temp file + rename).
put() {
  local src=$1 dst=$2 mode=$3
  if [ -f "$dst" ] && [ ! -L "$dst" ] && cmp -s "$src" "$dst"; then
    chmod "$mode" "$dst"
    return 0
  fi
  local tmp
  tmp=$(mktemp "$(dirname "$dst")/.$(basename "$dst").XXXXXX")
  cp -L "$src" "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dst"
  say "$dst"
}

case $action in
install)
  for f in "$BUILD/lib/tsrunc.js" "$BUILD/libcore.so" "$BUILD/executor" "$BUILD/tsrunc-launcher" \
    "$BUILD/man/tsrunc.8" "$BUILD/completion/tsrunc.bash" "$DENO_SRC"; do
    if [ ! -e "$f" ]; then
      say "missing $f: run 'make build' first"
      exit 1
    fi
  done
  mkdir -p "$DEST_LIB" "$DEST_SBIN"
  put "$DENO_SRC" "$DEST_LIB/deno" 0755
  put "$BUILD/libcore.so" "$DEST_LIB/libcore.so" 0644
  put "$BUILD/executor" "$DEST_LIB/executor" 0755
  if [ -f "$BUILD/version.json" ]; then
    put "$BUILD/version.json" "$DEST_LIB/version.json" 0644
  fi

  # JavaScript: chunks first, then the entry, then drop chunks no longer referenced
  # (chunk names carry a content hash).
  shopt -s nullglob
  declare -A keep=()
  for f in "$BUILD"/lib/*.js; do
    name=$(basename "$f")
    keep[$name]=1
    [ "$name" = tsrunc.js ] || put "$f" "$DEST_LIB/$name" 0644
  done
  put "$BUILD/lib/tsrunc.js" "$DEST_LIB/tsrunc.js" 0644
  for f in "$DEST_LIB"/*.js; do
    name=$(basename "$f")
    [ -n "${keep[$name]:-}" ] || rm -f "$f"
  done

  # Man pages and completion; pages of commands that are gone are dropped.
  mkdir -p "$DEST_MAN" "$(dirname "$DEST_COMPLETION")"
  declare -A pages=()
  for f in "$BUILD"/man/tsrunc.8 "$BUILD"/man/tsrunc-*.8; do
    name=$(basename "$f")
    pages[$name]=1
    put "$f" "$DEST_MAN/$name" 0644
  done
  for f in "$DEST_MAN"/tsrunc-*.8; do
    [ -n "${pages[$(basename "$f")]:-}" ] || rm -f "$f"
  done
  put "$BUILD/completion/tsrunc.bash" "$DEST_COMPLETION" 0644

  put "$BUILD/tsrunc-launcher" "$DEST_SBIN/tsrunc" 0755
  ;;
uninstall)
  rm -f "$DEST_SBIN/tsrunc"
  rm -rf "$DEST_LIB"
  rm -f "$DEST_MAN/tsrunc.8" "$DEST_MAN"/tsrunc-*.8 "$DEST_COMPLETION"
  say "removed $DEST_SBIN/tsrunc, $DEST_LIB, $DEST_MAN/tsrunc{,-*}.8 and $DEST_COMPLETION"
  ;;
*)
  echo "usage: $0 install|uninstall" >&2
  exit 2
  ;;
esac

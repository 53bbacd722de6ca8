#!/usr/bin/env bash
# Make the release tarball (called by `make dist`; needs `make build` done first).
#
#   scripts/dist.sh [OUT_DIR]       # default build/dist
#
# Writes OUT_DIR/tsrunc-VERSION-linux-x64.tar.gz (VERSION from cli/version.ts): the tree
# scripts/install.sh installs with PREFIX=/usr/local, with paths relative to the prefix
# (sbin/tsrunc, lib/tsrunc/..., share/man/man8/..., share/bash-completion/...), so
#
#   tar -C /usr/local -xzf tsrunc-VERSION-linux-x64.tar.gz
#
# installs it; any other directory works too (the launcher finds ../lib/tsrunc from its
# own location). Only files are archived, no directory entries, so unpacking never
# changes the owner or mode of an existing /usr/local/share or the like. The archive is
# reproducible: sorted names, owner root, mtime of the last commit (or
# $SOURCE_DATE_EPOCH), gzip without a timestamp. Environment: BUILD (default build/).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=${BUILD:-$REPO/build}
OUT=${1:-$BUILD/dist}
PREFIX=/usr/local

say() { printf 'dist: %s\n' "$*" >&2; }

version=$(sed -n 's/^export const VERSION = "\([^"]*\)";$/\1/p' cli/version.ts)
if [ -z "$version" ]; then
  say "no VERSION in cli/version.ts"
  exit 1
fi
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
name=tsrunc-$version-linux-x64.tar.gz

stage=$(mktemp -d "${TMPDIR:-/tmp}/tsrunc-dist.XXXXXX")
trap 'rm -rf "$stage"' EXIT

if ! PREFIX=$PREFIX DESTDIR=$stage BUILD=$BUILD scripts/install.sh install 2>"$stage/install.log"; then
  cat "$stage/install.log" >&2
  exit 1
fi

root=$stage$PREFIX
(cd "$root" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort) >"$stage/files"
mkdir -p "$OUT"
tmp=$(mktemp "$OUT/.$name.XXXXXX")
trap 'rm -rf "$stage" "$tmp"' EXIT
tar --create --format=gnu --no-recursion --numeric-owner --owner=0 --group=0 \
  --mtime="@$epoch" -C "$root" --files-from="$stage/files" |
  gzip -n >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$OUT/$name"
say "$OUT/$name ($(wc -l <"$stage/files") files)"

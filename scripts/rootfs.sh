#!/usr/bin/env bash
# Build a minimal busybox root filesystem for demos, tests and benchmarks.
#
#   scripts/rootfs.sh DEST        -> DEST/rootfs   (config.json is not written here:
#                                    use `tsrunc spec` in DEST, see the Makefile's demo)
#
# The busybox binary is Debian's static one (package busybox-static, /bin/busybox).
# Layout: every applet is a symlink in /bin to busybox; /sbin, /usr/bin and /usr/sbin
# are symlinks to it (merged-/usr style), so any usual path (/bin/true, /usr/bin/env,
# /sbin/ip) works. etc/ has passwd and group with root, nobody and user (uid 1000).
#
# Idempotent: a stamp (DEST/.rootfs.stamp, outside the rootfs) records the busybox
# checksum and the layout version; a second run with both unchanged does nothing.
# Set BUSYBOX=/path/to/static/busybox to use another binary.
set -euo pipefail

LAYOUT_VERSION=1

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DEST" >&2
  exit 2
fi
DEST=$1
ROOTFS=$DEST/rootfs
STAMP=$DEST/.rootfs.stamp

BUSYBOX=${BUSYBOX:-/bin/busybox}
if [ ! -x "$BUSYBOX" ]; then
  echo "rootfs.sh: $BUSYBOX not found (apt-get install busybox-static, or scripts/setup.sh)" >&2
  exit 1
fi
if ! "$BUSYBOX" true 2>/dev/null || ldd "$BUSYBOX" >/dev/null 2>&1; then
  # A dynamically linked busybox would not run inside the container.
  echo "rootfs.sh: $BUSYBOX is not a working static busybox (need busybox-static)" >&2
  exit 1
fi

want="v$LAYOUT_VERSION $(sha256sum <"$BUSYBOX" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$ROOTFS/bin/busybox" ]; then
  exit 0
fi

mkdir -p "$DEST"
rm -f "$STAMP"

# Build beside the final place and swap it in, so a half-built rootfs is never used.
tmp=$(mktemp -d "$DEST/.rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/rootfs
mkdir -p "$r"
chmod 0755 "$r"

mkdir -p "$r"/{bin,dev,etc,home,mnt,opt,proc,run,sys,usr,var/log} "$r/home/user"
mkdir -m 0700 "$r/root"
mkdir -m 1777 "$r/tmp" "$r/var/tmp"
chown 1000:1000 "$r/home/user"

cp "$BUSYBOX" "$r/bin/busybox"
chmod 0755 "$r/bin/busybox"
(
  cd "$r/bin"
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$applet"
  done
)
ln -s bin "$r/sbin"
ln -s ../bin "$r/usr/bin"
ln -s ../bin "$r/usr/sbin"
ln -s ../run "$r/var/run"

cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$r/etc/group" <<'EOF'
root:x:0:
users:x:100:user
user:x:1000:
nogroup:x:65534:
EOF
cat >"$r/etc/shadow" <<'EOF'
root:*:19000:0:99999:7:::
user:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
EOF
chmod 0640 "$r/etc/shadow"
echo tsrunc >"$r/etc/hostname"
cat >"$r/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
: >"$r/etc/resolv.conf"

rm -rf "$ROOTFS.old"
if [ -e "$ROOTFS" ]; then
  mv "$ROOTFS" "$ROOTFS.old"
fi
mv "$r" "$ROOTFS"
rm -rf "$ROOTFS.old"
echo "$want" >"$STAMP"

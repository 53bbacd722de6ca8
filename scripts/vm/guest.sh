#!/bin/bash
# Runs in the test VM (tsrunc-vm.service, after multi-user.target) for
# `scripts/vm.sh run`, from the run's 9p share (/run/vmrun): mounts the checkout and
# the other shares, installs tsrunc (staged by the host), runs the command with its output on the two virtio
# serial ports the host streams, and leaves its exit status in /run/vmrun/rc. The unit
# powers the VM off when this script ends (SuccessAction/FailureAction=poweroff-immediate).
set -u
# shellcheck source=/dev/null
. /run/vmrun/run.env # REPO, SHARES=(tag:ro|rw:dir...), INSTALL, CMD=(...)

# The virtio ports by name (devtmpfs has /dev/vportNpM; udev's by-name links may lag).
port() {
  local d
  for d in /sys/class/virtio-ports/*; do
    [ "$(cat "$d/name" 2>/dev/null)" = "$1" ] && echo "/dev/${d##*/}" && return 0
  done
  echo /dev/console
}
exec >"$(port vm.stdout)" 2>"$(port vm.stderr)" </dev/null

# Phase times for `vm.sh run --timing`: guest uptime in seconds at each phase's start.
mark() { echo "$1 $(cut -d' ' -f1 /proc/uptime)" >>/run/vmrun/times; }
mark boot-done

finish() {
  echo "$1" >/run/vmrun/rc.tmp && mv /run/vmrun/rc.tmp /run/vmrun/rc
  sync
  exit 0
}

# Each share at its host path; cache=mmap: executables and mmap work, and the host may
# still change the tree.
opts=trans=virtio,version=9p2000.L,msize=262144,cache=mmap
for share in "${SHARES[@]}"; do
  tag=${share%%:*} rest=${share#*:}
  mode=${rest%%:*} dir=${rest#*:}
  mkdir -p "$dir" && mount -t 9p -o "$opts,$mode" "$tag" "$dir" || {
    echo "vm: cannot mount $dir" >&2
    finish 125
  }
done

mark install
# tsrunc: the host staged `scripts/install.sh install` (PREFIX=/usr/local) in the share.
if [ "$INSTALL" = 1 ] && ! cp -a /run/vmrun/install/usr/local/. /usr/local/; then
  echo "vm: cannot install tsrunc from the staged tree" >&2
  finish 125
fi

export HOME=/root LANG=C.UTF-8 TERM=dumb
cd "$REPO" || finish 125
mark command
"${CMD[@]}"
rc=$?
mark command-done
finish $rc

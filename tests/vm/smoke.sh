#!/bin/bash
# Smoke test of the test VM, run inside it as root:
#
#   scripts/vm.sh run -- tests/vm/smoke.sh        (what `make test-vm` does)
#
# Checks that the VM is what VM tests rely on (systemd as PID 1, the unified cgroup v2
# hierarchy) and that the tsrunc installed from this checkout runs a busybox container
# whose memory limit lands in its cgroup's memory.max. The last line is
# "N passed, N failed"; the exit status is 0 only when nothing failed.
set -u
. "$(dirname "$0")/_lib.sh"

TSRUNC=${TSRUNC:-/usr/local/sbin/tsrunc}
LIMIT=67108864 # 64 MiB
CGROUP=/tsrunc-vm-smoke

check "PID 1 is systemd" equals "$(cat /proc/1/comm)" systemd
check "/sys/fs/cgroup is cgroup2" equals "$(stat -f -c %T /sys/fs/cgroup)" cgroup2fs
check "the memory controller is enabled" grep -qw memory /sys/fs/cgroup/cgroup.subtree_control
check "tsrunc --version" "$TSRUNC" --version

bundle=$(mktemp -d /tmp/smoke-bundle.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
make_bundle() {
  scripts/rootfs.sh "$bundle" &&
    (cd "$bundle" && "$TSRUNC" spec) &&
    jq --argjson limit "$LIMIT" --arg cg "$CGROUP" '
      .process.terminal = false
      | .process.args = ["sh", "-c", "echo hello from $(hostname); cat /sys/fs/cgroup/memory.max"]
      | .hostname = "smoke"
      | .linux.cgroupsPath = $cg
      | .linux.resources.memory.limit = $limit
      | .linux.namespaces += [{"type": "cgroup"}]' \
      "$bundle/config.json" >"$bundle/config.new" && mv "$bundle/config.new" "$bundle/config.json"
}
check "a busybox bundle (scripts/rootfs.sh, tsrunc spec)" make_bundle

# The container prints its greeting and the memory.max of its own cgroup (in a cgroup
# namespace /sys/fs/cgroup is the container's cgroup; without one, as with runc, the
# whole hierarchy).
run_container() {
  "$TSRUNC" run --bundle "$bundle" smoke-run >"$bundle/out" 2>&1 &&
    equals "$(cat "$bundle/out")" "hello from smoke"$'\n'"$LIMIT"
}
check "tsrunc run: the container's output, memory.max $LIMIT inside" run_container
sed 's/^/      | /' "$bundle/out" 2>/dev/null

# Seen from the VM: the created container's cgroup under /sys/fs/cgroup.
created_cgroup() {
  "$TSRUNC" create --bundle "$bundle" smoke-create >/dev/null 2>&1 </dev/null || return 1
  local got rc=0
  got=$(cat "/sys/fs/cgroup$CGROUP/memory.max" 2>&1) || rc=1
  "$TSRUNC" delete --force smoke-create
  [ "$rc" -eq 0 ] && equals "$got" "$LIMIT" && [ ! -d "/sys/fs/cgroup$CGROUP" ]
}
check "tsrunc create: /sys/fs/cgroup$CGROUP/memory.max is $LIMIT, gone after delete" created_cgroup

summary

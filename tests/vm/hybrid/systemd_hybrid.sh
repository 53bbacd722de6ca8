#!/bin/bash
# The systemd cgroup driver on a hybrid host (systemd with its v1 controllers, the
# layout these development machines have), run inside the test VM booted with
# systemd.unified_cgroup_hierarchy=0 (tests/vm/all.sh does that for this directory):
#
#   VM_APPEND=systemd.unified_cgroup_hierarchy=0 scripts/vm.sh run -- tests/vm/hybrid/systemd_hybrid.sh
#
# The scope is made in the v1 hierarchies systemd runs (memory, pids...) with the
# config's limits; delete stops it. The last line is "N passed, N failed".
set -u
. "$(dirname "$0")/../_lib.sh"

TSRUNC=${TSRUNC:-/usr/local/sbin/tsrunc}
RT=("$TSRUNC" --systemd-cgroup)
UNIT=tsrunc-vmhy.scope

bundle=$(mktemp -d /tmp/hybrid-bundle.XXXXXX)
cleanup() {
  "${RT[@]}" delete --force vmhy >/dev/null 2>&1
  rm -rf "$bundle"
}
trap cleanup EXIT

check "the host is hybrid (v1 memory controller, systemd)" test -f /sys/fs/cgroup/memory/memory.limit_in_bytes
make_bundle() {
  scripts/rootfs.sh "$bundle" >/dev/null && (cd "$bundle" && "$TSRUNC" spec) &&
    jq '.process.terminal = false | .process.args = ["sleep", "600"]
      | .linux.cgroupsPath = "system.slice:tsrunc:vmhy"
      | .linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 40}}' \
      "$bundle/config.json" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"
}
check "a bundle with limits" make_bundle
create() {
  "${RT[@]}" run -d --bundle "$bundle" vmhy </dev/null >/dev/null 2>"$bundle/err" || {
    cat "$bundle/err"
    return 1
  }
}
check "run -d --systemd-cgroup" create
check "the scope is active" equals "$(systemctl is-active $UNIT)" active
check "MemoryLimit of the unit (v1)" equals "$(systemctl show $UNIT -p MemoryLimit --value)" 67108864
check "memory.limit_in_bytes of the scope" equals \
  "$(cat /sys/fs/cgroup/memory/system.slice/$UNIT/memory.limit_in_bytes)" 67108864
check "pids.max of the scope" equals "$(cat /sys/fs/cgroup/pids/system.slice/$UNIT/pids.max)" 40
pid_in() {
  local pid
  pid=$("${RT[@]}" state vmhy | jq -r .pid) && grep -q "/system.slice/$UNIT$" "/proc/$pid/cgroup"
}
check "the init is in the scope" pid_in
check "pause / resume (the v1 freezer)" bash -c "'$TSRUNC' pause vmhy && '$TSRUNC' resume vmhy"
check "delete --force" "${RT[@]}" delete --force vmhy
unit_not_found() { [ "$(systemctl show $UNIT -p LoadState --value)" = not-found ]; }
check "the unit is gone" within 10 unit_not_found

summary

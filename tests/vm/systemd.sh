#!/bin/bash
# The systemd cgroup driver on a real systemd (PID 1) and a real cgroup v2 kernel, run
# inside the test VM as root:
#
#   scripts/vm.sh run -- tests/vm/systemd.sh
#
# A container with --systemd-cgroup and cgroupsPath "system.slice:tsrunc:NAME" lives in
# the transient scope tsrunc-NAME.scope, whose properties (systemctl show) and cgroup
# files carry the config's limits; update changes both; exec joins it; pause, ps and
# kill --all work on it; delete stops the unit, and the name can be used again. The last
# line is "N passed, N failed".
set -u
. "$(dirname "$0")/_lib.sh"

TSRUNC=${TSRUNC:-/usr/local/sbin/tsrunc}
RT=("$TSRUNC" --systemd-cgroup)
UNIT=tsrunc-vmsd.scope
CG=/sys/fs/cgroup/system.slice/$UNIT

prop() { systemctl show "$UNIT" -p "$1" --value; }

bundle=$(mktemp -d /tmp/systemd-bundle.XXXXXX)
cleanup() {
  "${RT[@]}" delete --force vmsd >/dev/null 2>&1
  rm -rf "$bundle"
}
trap cleanup EXIT

make_bundle() {
  scripts/rootfs.sh "$bundle" >/dev/null &&
    (cd "$bundle" && "$TSRUNC" spec) &&
    jq '.process.terminal = false
      | .process.args = ["sh", "-c", "cat /proc/self/cgroup; exec sleep 600"]
      | .linux.cgroupsPath = "system.slice:tsrunc:vmsd"
      | .linux.resources.memory.limit = 67108864
      | .linux.resources.pids.limit = 50
      | .linux.resources.blockIO = {"weight": 500}
      | .linux.resources.cpu = {"shares": 1024, "quota": 50000, "period": 100000}
      | .annotations = {"org.systemd.property.CollectMode": "'"'inactive-or-failed'"'"}' \
      "$bundle/config.json" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"
}
check "a busybox bundle with limits and cgroupsPath system.slice:tsrunc:vmsd" make_bundle

check "create --systemd-cgroup" detached "${RT[@]}" create --bundle "$bundle" vmsd
check "the scope is active" equals "$(systemctl is-active "$UNIT")" active
check "MemoryMax of the unit is the config's" equals "$(prop MemoryMax)" 67108864
check "TasksMax of the unit" equals "$(prop TasksMax)" 50
check "CPUQuotaPerSecUSec of the unit (50%)" equals "$(prop CPUQuotaPerSecUSec)" 500ms
check "CPUWeight from shares 1024 (runc's conversion)" equals "$(prop CPUWeight)" 39
check "IOWeight from blkio weight 500 (runc's conversion)" equals "$(prop IOWeight)" 4950
check "Delegate=yes" equals "$(prop Delegate)" yes
check "an org.systemd.property.* annotation" equals "$(prop CollectMode)" inactive-or-failed
check "memory.max of the scope's cgroup" equals "$(cat "$CG/memory.max")" 67108864
check "pids.max of the scope's cgroup" equals "$(cat "$CG/pids.max")" 50
init_pid() { "${RT[@]}" state vmsd | jq -r .pid; }
check "the init is in the scope" grep -qx "0::/system.slice/$UNIT" "/proc/$(init_pid)/cgroup"

check "start" detached "${RT[@]}" start vmsd
check "state is running" equals "$("${RT[@]}" state vmsd | jq -r .status)" running

check "update --memory 128M" "${RT[@]}" update --memory 134217728 vmsd
check "update changed the unit's MemoryMax" equals "$(prop MemoryMax)" 134217728
check "update changed memory.max" equals "$(cat "$CG/memory.max")" 134217728

exec_cgroup() { "${RT[@]}" exec vmsd cat /proc/self/cgroup; }
check "an exec'd process is in the scope" equals "$(exec_cgroup)" "0::/system.slice/$UNIT"
ps_sleep() { "${RT[@]}" ps vmsd | grep -q sleep; }
check "ps lists the init" ps_sleep
check "pause" "${RT[@]}" pause vmsd
check "state is paused (cgroup.freeze)" equals "$("${RT[@]}" state vmsd | jq -r .status)" paused
check "resume" "${RT[@]}" resume vmsd
check "kill --all KILL" "${RT[@]}" kill --all vmsd KILL
stopped() { [ "$("${RT[@]}" state vmsd | jq -r .status)" = stopped ]; }
check "the container stops" within 20 stopped
check "delete" "${RT[@]}" delete vmsd
unit_gone() {
  within 10 unit_not_found || {
    systemctl status "$UNIT"
    return 1
  }
}
unit_not_found() { [ "$(systemctl show "$UNIT" -p LoadState --value)" = not-found ]; }
check "delete stopped the unit" unit_gone
check "the scope's cgroup is gone" test ! -d "$CG"
check "the same name again (run -d)" detached "${RT[@]}" run --bundle "$bundle" -d vmsd
check "delete --force" "${RT[@]}" delete --force vmsd
bad_path() {
  jq '.linux.cgroupsPath = "/not/systemd"' "$bundle/config.json" >"$bundle/c.json" &&
    mv "$bundle/c.json" "$bundle/config.json" || return 1
  local out
  if out=$("${RT[@]}" run --bundle "$bundle" vmsd-bad 2>&1); then
    echo "ran"
    return 1
  fi
  grep -q "must be slice:prefix:name" <<<"$out" && equals "$(wc -l <<<"$out")" 1
}
check "a cgroupsPath that is not slice:prefix:name is refused in one line" bad_path

summary

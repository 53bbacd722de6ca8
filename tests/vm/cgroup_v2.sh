#!/bin/bash
# tsrunc's own cgroupfs driver on a real cgroup v2 kernel (no --systemd-cgroup), run
# inside the test VM as root:
#
#   scripts/vm.sh run -- tests/vm/cgroup_v2.sh
#
# What the fake-cgroupfs unit tests cannot show: the v2 files take runc's values, the
# device eBPF program loads and enforces, cgroup.freeze pauses, memory.events tells an
# OOM kill, a cgroup namespace shows "/", and delete removes the cgroup. The last line is
# "N passed, N failed".
set -u
. "$(dirname "$0")/_lib.sh"

TSRUNC=${TSRUNC:-/usr/local/sbin/tsrunc}
CGPATH=/tsrunc-vm-v2
CG=/sys/fs/cgroup$CGPATH

bundle=$(mktemp -d /tmp/v2-bundle.XXXXXX)
cleanup() {
  for id in v2 v2oom v2ev v2dev v2nest v2thr; do "$TSRUNC" delete --force "$id" >/dev/null 2>&1; done
  rm -rf "$bundle"
}
trap cleanup EXIT

# config JQ-FILTER: edit the bundle's config.json
config() {
  jq "$1" "$bundle/config.json" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"
}

make_bundle() {
  scripts/rootfs.sh "$bundle" >/dev/null && (cd "$bundle" && "$TSRUNC" spec) &&
    config '.process.terminal = false
      | .process.args = ["sh", "-c", "cat /proc/self/cgroup; exec sleep 600"]
      | .linux.cgroupsPath = "'$CGPATH'"
      | .linux.namespaces += [{"type": "cgroup"}]
      | .linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 100663296}
      | .linux.resources.cpu = {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0"}
      | .linux.resources.pids = {"limit": 42}
      | .linux.resources.blockIO = {"weight": 500}
      | .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]
      | .linux.resources.unified = {"memory.high": "50331648"}'
}
check "a bundle with memory, cpu, pids, io, hugetlb and unified resources" make_bundle

check "run -d" detached "$TSRUNC" run --bundle "$bundle" -d v2
check "memory.max" equals "$(cat $CG/memory.max)" 67108864
check "memory.low from the reservation" equals "$(cat $CG/memory.low)" 33554432
check "memory.swap.max is swap minus limit (runc)" equals "$(cat $CG/memory.swap.max)" 33554432
check "memory.high from unified" equals "$(cat $CG/memory.high)" 50331648
check "cpu.weight from shares 512 (runc's conversion)" equals "$(cat $CG/cpu.weight)" 20
check "cpu.max" equals "$(cat $CG/cpu.max)" "20000 100000"
check "cpuset.cpus" equals "$(cat $CG/cpuset.cpus)" 0
check "pids.max" equals "$(cat $CG/pids.max)" 42
check "hugetlb.2MB.max" equals "$(cat $CG/hugetlb.2MB.max)" 4194304
io_weight() {
  [ -e $CG/io.weight ] || return 0 # no io controller on this kernel: nothing to check
  equals "$(awk '/^default/ {print $2}' $CG/io.weight)" 4950
}
check "io.weight from blkio weight 500 (runc's conversion)" io_weight
ns_root() { "$TSRUNC" exec v2 cat /proc/self/cgroup; }
check "in its cgroup namespace the container's cgroup is /" equals "$(ns_root)" "0::/"
check "pause" "$TSRUNC" pause v2
check "cgroup.freeze is 1, state paused" equals \
  "$(cat $CG/cgroup.freeze) $("$TSRUNC" state v2 | jq -r .status)" "1 paused"
check "resume" "$TSRUNC" resume v2
check "cgroup.freeze is 0, state running" equals \
  "$(cat $CG/cgroup.freeze) $("$TSRUNC" state v2 | jq -r .status)" "0 running"
stats() { "$TSRUNC" events --stats v2 | jq -e '.data.memory.usage.usage > 0 and .data.pids.current >= 1'; }
check "events --stats reads the v2 files" stats
check "update --pids-limit 7" "$TSRUNC" update --pids-limit 7 v2
check "update wrote pids.max" equals "$(cat $CG/pids.max)" 7
check "kill --all" "$TSRUNC" kill --all v2 KILL
stopped() { [ "$("$TSRUNC" state "$1" | jq -r .status)" = stopped ]; }
check "the container stops" within 20 stopped v2
check "delete" "$TSRUNC" delete v2
check "delete removed the cgroup" test ! -d $CG

# An OOM kill: 8 MiB of memory, a shell that wants more.
oom() {
  config '.process.args = ["sh", "-c", "x=$(head -c 67108864 /dev/zero | tr \"\\\\0\" a); echo survived"]
    | .linux.resources = {"memory": {"limit": 8388608, "swap": 8388608}}'
  "$TSRUNC" run --bundle "$bundle" v2oom >/dev/null 2>&1
  local rc=$?
  [ "$rc" -eq 137 ] || {
    echo "exit status $rc, want 137 (SIGKILL by the OOM killer)"
    return 1
  }
}
check "a container over its memory.max is OOM-killed (exit 137)" oom

# events: an OOM kill in the container (memory.events' oom_kill) is an {"type":"oom"} event.
oom_event() {
  config '.process.args = ["sleep", "600"]
    | .linux.resources = {"memory": {"limit": 8388608, "swap": 8388608}}'
  detached "$TSRUNC" run -d --bundle "$bundle" v2ev || return 1
  timeout 60 "$TSRUNC" events --interval 1s v2ev >"$bundle/events" 2>&1 &
  local events=$!
  sleep 10 # events is running (Deno starts slowly under emulation)
  "$TSRUNC" exec v2ev sh -c 'x=$(head -c 67108864 /dev/zero | tr "\\0" a)' >/dev/null 2>&1
  local found=0
  within 20 grep -q '"type":"oom"' "$bundle/events" || found=1
  kill "$events" 2>/dev/null
  wait "$events" 2>/dev/null
  "$TSRUNC" delete --force v2ev
  [ "$found" -eq 0 ] || {
    echo "no oom event in:"
    tail -3 "$bundle/events"
    return 1
  }
}
check "events reports an OOM kill in the container" oom_event

# Device rules: the eBPF program lets /dev/null through and refuses a node the rules do
# not allow (made with linux.devices, which adds no rule, as runc).
devices() {
  config '.process.args = ["sh", "-c", "echo ok >/dev/null && echo null-ok; echo x >/dev/fuse2 || echo fuse-denied"]
    | .linux.resources = {}
    | .linux.devices = [{"path": "/dev/fuse2", "type": "c", "major": 10, "minor": 229}]'
  local out
  out=$("$TSRUNC" run --bundle "$bundle" v2dev 2>&1)
  grep -q null-ok <<<"$out" && grep -q fuse-denied <<<"$out" &&
    grep -q "Operation not permitted" <<<"$out" || {
    echo "$out"
    return 1
  }
}
check "the device filter allows /dev/null and denies an unlisted node (EPERM)" devices

# fails_in_one_line PATTERN ID: run the bundle as ID; it must fail with one line matching
# PATTERN and leave no state behind.
fails_in_one_line() {
  local out
  if out=$("$TSRUNC" run --bundle "$bundle" "$2" 2>&1 </dev/null); then
    echo "ran: $out"
    return 1
  fi
  grep -Eq "$1" <<<"$out" && equals "$(wc -l <<<"$out")" 1 &&
    ! "$TSRUNC" state "$2" >/dev/null 2>&1 || {
    echo "$out"
    return 1
  }
}

# The no-internal-processes rule: controllers cannot be enabled below a cgroup that has
# processes of its own.
nested() {
  config '.process.args = ["true"] | .linux.resources = {"memory": {"limit": 67108864}}
    | .linux.cgroupsPath = "/vmnest/c" | .linux.devices = []'
  mkdir -p /sys/fs/cgroup/vmnest
  sleep 60 &
  local sleeper=$!
  echo $sleeper >/sys/fs/cgroup/vmnest/cgroup.procs
  fails_in_one_line "busy" v2nest
  local rc=$?
  kill $sleeper
  wait $sleeper 2>/dev/null
  [ ! -d /sys/fs/cgroup/vmnest/c ] || { echo "/vmnest/c left behind"; rc=1; }
  rmdir /sys/fs/cgroup/vmnest
  return $rc
}
check "below a cgroup with processes: one-line error (busy), nothing left" nested

# A threaded subtree has no memory controller.
threaded() {
  config '.linux.cgroupsPath = "/vmthr/t/c"'
  mkdir -p /sys/fs/cgroup/vmthr/t && echo threaded >/sys/fs/cgroup/vmthr/t/cgroup.type
  fails_in_one_line "memory|subtree_control" v2thr
  local rc=$?
  [ ! -d /sys/fs/cgroup/vmthr/t/c ] || { echo "/vmthr/t/c left behind"; rc=1; }
  rmdir /sys/fs/cgroup/vmthr/t /sys/fs/cgroup/vmthr
  return $rc
}
check "in a threaded subtree, a memory limit: one-line error, nothing left" threaded

summary

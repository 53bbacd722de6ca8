#!/usr/bin/env bash
# make test-vm: the VM suite, in two boots of the test VM (scripts/vm.sh):
#   1. the unified cgroup v2 hierarchy (Debian 12's default): tests/vm/*.sh
#   2. hybrid (systemd.unified_cgroup_hierarchy=0): tests/vm/hybrid/*.sh
# or, with arguments, just `scripts/vm.sh run -- tests/vm/all.sh ARGS...` in the first.
# The last line is the total: "N passed, N failed"; the status is 0 only if all passed.
set -uo pipefail

cd "$(dirname "$0")/.."
passed=0
failed=0
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# boot LABEL VM_APPEND FILE...: one boot running tests/vm/all.sh on FILE... (all when none)
boot() {
  local label=$1 append=$2
  shift 2
  echo "== test VM, $label"
  VM_APPEND=$append scripts/vm.sh run ${VM_ARGS:-} -- tests/vm/all.sh "$@" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  local summary
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
  if [ -z "$summary" ]; then
    failed=$((failed + 1)) # the VM failed before the suite's summary
    return
  fi
  read -r p _ f _ <<<"$summary"
  passed=$((passed + p))
  failed=$((failed + f))
}

if [ $# -gt 0 ]; then
  boot "cgroup v2" "" "$@"
else
  boot "cgroup v2" ""
  boot "hybrid cgroups" "systemd.unified_cgroup_hierarchy=0" tests/vm/hybrid/*.sh
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && exit "$status"
exit 1

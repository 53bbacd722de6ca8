#!/usr/bin/env bash
# Run tsrunc's tests and print, as the very last line, "N passed, N failed".
#
#   scripts/test.sh                 unit tests, then (as root) integration tests
#   scripts/test.sh --unit          unit tests only (no root needed)
#   scripts/test.sh --integration   integration tests only (root)
#   scripts/test.sh --engines       engine tests only (root: containerd, Docker, Podman)
#   scripts/test.sh [...] -- ARGS   extra arguments for `deno test` (e.g. --filter X)
#
# Integration tests get, in the environment:
#   TSRUNC               the tsrunc command under test (default $PREFIX/sbin/tsrunc,
#                        i.e. what `make install` put there), if it exists
#   TSRUNC_TEST_BUNDLE   a directory whose rootfs/ is a busybox root filesystem
#                        (build/bundle, made by scripts/rootfs.sh; no config.json)
#   DENO_JOBS            parallelism of `deno test --parallel` (default 2)
#
# Counts are Deno's test counts (steps are not counted). A suite that dies before
# printing its summary (type errors, crash) counts as one failure.
set -uo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
DENO=${DENO:-$REPO/node_modules/@deno/linux-x64-glibc/deno}
PREFIX=${PREFIX:-/usr/local}

run_unit=1
run_integration=1
run_engines=1
extra=()
while [ $# -gt 0 ]; do
  case $1 in
  --unit) run_integration=0; run_engines=0 ;;
  --integration) run_unit=0; run_engines=0 ;;
  --engines) run_unit=0; run_integration=0 ;;
  --) shift; extra=("$@"); break ;;
  *) echo "usage: $0 [--unit|--integration|--engines] [-- deno-test-args...]" >&2; exit 2 ;;
  esac
  shift
done

if [ ! -x "$DENO" ]; then
  echo "test.sh: $DENO missing: run scripts/setup.sh (or make deps)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

export DENO_NO_UPDATE_CHECK=1
# Plain output in logs (CI); colours on a terminal.
[ -t 1 ] || export NO_COLOR=${NO_COLOR:-1}
total_passed=0
total_failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# suite NAME DIR [deno test flags...]
suite() {
  local name=$1 dir=$2
  shift 2
  if [ -z "$(find "$dir" -name '*test.ts' 2>/dev/null | head -1)" ]; then
    echo "== $name: no tests in $dir"
    return 0
  fi
  echo "== $name tests ($dir)"
  "$DENO" test -A --permit-no-files "$@" "${extra[@]}" "$dir" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # Summary line: "ok | 12 passed (3 steps) | 0 failed (1s)" or "FAILED | 3 passed | 1 failed ..."
  local summary
  summary=$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -1)
  if [ -z "$summary" ]; then
    echo "== $name: deno test ended (status $rc) without a summary: counted as 1 failure"
    total_failed=$((total_failed + 1))
    return 0
  fi
  local p f
  p=$(sed -E 's/^[^|]*\| ([0-9]+) passed.*/\1/' <<<"$summary")
  f=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
  [[ $f =~ ^[0-9]+$ ]] || f=0
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    # e.g. an uncaught error after the tests ran, or leaked resources at exit
    echo "== $name: deno test exited with status $rc: counted as 1 failure"
    f=1
  fi
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
}

if [ "$run_unit" = 1 ]; then
  suite unit tests/unit --parallel
fi

if [ "$run_integration" = 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "== integration tests skipped: they need root"
  else
    if [ -z "${TSRUNC:-}" ] && [ -x "$PREFIX/sbin/tsrunc" ]; then
      export TSRUNC=$PREFIX/sbin/tsrunc
    fi
    export TSRUNC_TEST_BUNDLE=${TSRUNC_TEST_BUNDLE:-$REPO/build/bundle}
    # Containers with no or a relative cgroupsPath go below this cgroup, not below the
    # test runner's own (which may belong to the machine's services).
    export TSRUNC_CGROUP_PARENT=${TSRUNC_CGROUP_PARENT:-/tsrunc-test}
    if ! scripts/rootfs.sh "$TSRUNC_TEST_BUNDLE"; then
      echo "== integration: could not build the test rootfs: counted as 1 failure"
      total_failed=$((total_failed + 1))
    else
      DENO_JOBS=${DENO_JOBS:-2} suite integration tests/integration --parallel
    fi
    # The parent cgroups tsrunc made for the tests (empty once every container is gone).
    for dir in /sys/fs/cgroup/*"$TSRUNC_CGROUP_PARENT" /sys/fs/cgroup/*/*"$TSRUNC_CGROUP_PARENT"; do
      [ -d "$dir" ] && find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
    true
  fi
fi

if [ "$run_engines" = 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "== engine tests skipped: they need root"
  else
    if [ -z "${TSRUNC:-}" ] && [ -x "$PREFIX/sbin/tsrunc" ]; then
      export TSRUNC=$PREFIX/sbin/tsrunc
    fi
    export TSRUNC_TEST_BUNDLE=${TSRUNC_TEST_BUNDLE:-$REPO/build/bundle}
    scripts/rootfs.sh "$TSRUNC_TEST_BUNDLE" >/dev/null
    # The engines run one at a time: each starts its own daemons.
    suite engines tests/engines
  fi
fi

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]

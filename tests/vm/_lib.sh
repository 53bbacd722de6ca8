# shellcheck shell=bash
# What every VM test file shares (sourced, not run): one result line per check, and the
# summary "N passed, N failed" that tests/vm/all.sh adds up.

passed=0
failed=0

# check NAME CMD...: "ok NAME" or "FAIL NAME" with the end of CMD's output indented.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "ok    $name"
    passed=$((passed + 1))
  else
    echo "FAIL  $name"
    [ -n "$out" ] && sed 's/^/      /' <<<"$out" | tail -20
    failed=$((failed + 1))
  fi
}

# equals GOT WANT
equals() {
  [ "$1" = "$2" ] || {
    echo "got '$1', want '$2'"
    return 1
  }
}

# detached CMD...: a command that leaves a container running with its stdio: give it
# none, so that a $(...) capturing the output does not wait for the container to end.
detached() {
  local err
  err=$(mktemp)
  "$@" </dev/null >/dev/null 2>"$err" || {
    cat "$err"
    rm -f "$err"
    return 1
  }
  rm -f "$err"
}

# within SECONDS CMD...: CMD succeeds within SECONDS (tried every 0.2 s).
within() {
  local tries=$(($1 * 5))
  shift
  for _ in $(seq "$tries"); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

# The last line of a test file; its status is 0 only when nothing failed.
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

#!/bin/bash
# Every VM test file in one boot (what `make test-vm` runs):
#
#   scripts/vm.sh run -- tests/vm/all.sh [FILE...]     (default: tests/vm/*.sh but this one)
#
# Each file prints "N passed, N failed" last; the totals are printed as the last line.
set -u
cd "$(dirname "$0")/../.."
files=("$@")
[ ${#files[@]} -gt 0 ] || files=($(ls tests/vm/*.sh | grep -v -e '/all\.sh$' -e '/_'))
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for f in "${files[@]}"; do
  echo "== $f"
  start=$(date +%s)
  bash "$f" 2>&1 | tee "$log"
  out=$(tail -1 "$log")
  echo "== $f: $out ($(($(date +%s) - start)) s)"
  if [[ $out =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
  else
    failed=$((failed + 1)) # died before its summary
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/bash
# A rootless user on a systemd + cgroup v2 host, run inside the test VM as root (it makes
# the user): tsrunc --systemd-cgroup as that user puts its container in a scope of the
# user's own systemd (its private socket, the delegated subtree of user@UID.service),
# with a memory limit there, in a user namespace of the user's one id.
#
#   scripts/vm.sh run -- tests/vm/rootless.sh
#
# The last line is "N passed, N failed".
set -u
. "$(dirname "$0")/_lib.sh"

TSRUNC=${TSRUNC:-/usr/local/sbin/tsrunc}
USER_NAME=tsrvm
USER_ID=1500
RUNTIME_DIR=/run/user/$USER_ID
UNIT=tsrunc-rl.scope

as_user() {
  runuser -u "$USER_NAME" -- env XDG_RUNTIME_DIR="$RUNTIME_DIR" HOME="/home/$USER_NAME" "$@"
}

bundle=/home/$USER_NAME/bundle
cleanup() {
  as_user "$TSRUNC" --systemd-cgroup delete --force rl >/dev/null 2>&1
}
trap cleanup EXIT

user_manager() {
  useradd -m -u $USER_ID "$USER_NAME" && loginctl enable-linger "$USER_NAME" || return 1
  within 30 test -S "$RUNTIME_DIR/systemd/private" || {
    echo "no $RUNTIME_DIR/systemd/private"
    return 1
  }
}
check "a user with a running user manager (loginctl enable-linger)" user_manager

make_bundle() {
  scripts/rootfs.sh "$bundle" >/dev/null && chown -R "$USER_NAME:" "$bundle" &&
    as_user sh -c "cd $bundle && $TSRUNC spec --rootless" &&
    as_user sh -c "jq '.process.terminal = false
      | .process.args = [\"sleep\", \"600\"]
      | .linux.cgroupsPath = \":tsrunc:rl\"
      | .linux.resources = {\"memory\": {\"limit\": 67108864}, \"pids\": {\"limit\": 30}}' \
      $bundle/config.json >$bundle/c.json && mv $bundle/c.json $bundle/config.json"
}
check "a rootless bundle (tsrunc spec --rootless) with limits" make_bundle

run_d() {
  as_user "$TSRUNC" --systemd-cgroup run -d --bundle "$bundle" rl </dev/null >/dev/null 2>"/tmp/rl.err" || {
    cat /tmp/rl.err
    return 1
  }
}
check "run -d --systemd-cgroup as the user" run_d
init_cgroup() {
  local pid
  pid=$(as_user "$TSRUNC" state rl | jq -r .pid) && cat "/proc/$pid/cgroup"
}
cg_path="/user.slice/user-$USER_ID.slice/user@$USER_ID.service/user.slice/$UNIT"
check "the init is in the user manager's scope" equals "$(init_cgroup)" "0::$cg_path"
check "the scope's memory.max" equals "$(cat "/sys/fs/cgroup$cg_path/memory.max")" 67108864
check "the scope's pids.max" equals "$(cat "/sys/fs/cgroup$cg_path/pids.max")" 30
user_unit_memory() {
  as_user systemctl --user show "$UNIT" -p MemoryMax --value
}
check "the user's unit has MemoryMax" equals "$(user_unit_memory)" 67108864
check "delete --force as the user" as_user "$TSRUNC" --systemd-cgroup delete --force rl
check "the scope is gone" test ! -d "/sys/fs/cgroup$cg_path"

summary

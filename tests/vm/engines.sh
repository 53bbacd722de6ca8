#!/bin/bash
# Container engines on a cgroup v2 + systemd host, each with tsrunc as its runtime and
# the systemd cgroup driver, run inside the test VM as root:
#
#   scripts/vm.sh run -- tests/vm/engines.sh
#
# Podman (its default systemd cgroup manager), Docker (the systemd cgroup driver) and
# containerd (ctr with SystemdCgroup) each run a busybox container through tsrunc with a
# memory limit that shows up in the container's systemd unit and in its memory.max,
# exec into it, stop and remove it. The VM has no network: the image is imported from
# the busybox rootfs. The last line is "N passed, N failed".
set -u
. "$(dirname "$0")/_lib.sh"

TSRUNC=${TSRUNC:-/usr/local/sbin/tsrunc}
LIMIT=67108864

# unit_memory_max PID: MemoryMax of the systemd unit whose cgroup holds PID.
unit_memory_max() {
  local unit
  unit=$(awk -F/ '/^0::/ {print $NF}' "/proc/$1/cgroup")
  systemctl show "$unit" -p MemoryMax --value
}

work=$(mktemp -d /tmp/engines.XXXXXX)
cleanup() {
  podman rm -f -t 0 vmpod >/dev/null 2>&1
  docker rm -f vmdock >/dev/null 2>&1
  ctr -n vm task kill -s KILL vmctr >/dev/null 2>&1
  ctr -n vm container rm vmctr >/dev/null 2>&1
  systemctl stop docker docker.socket containerd >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

image() {
  scripts/rootfs.sh "$work" >/dev/null &&
    tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" . &&
    podman import -q "$work/rootfs.tar" localhost/busybox:vm >/dev/null
}
check "a busybox image (podman import of the rootfs)" image

# --- Podman: cgroup_manager systemd (its default here), conmon, tsrunc -----------------
podman_run() {
  podman --runtime "$TSRUNC" run -d --name vmpod --network none --memory "$LIMIT" \
    localhost/busybox:vm sleep 600 >/dev/null
}
check "podman run -d --memory 64m (runtime tsrunc, cgroup manager systemd)" podman_run
pod_pid() { podman inspect -f '{{.State.Pid}}' vmpod; }
check "podman: the container's scope has MemoryMax=$LIMIT" equals "$(unit_memory_max "$(pod_pid)")" $LIMIT
check "podman: memory.max inside is $LIMIT" equals \
  "$(podman --runtime "$TSRUNC" exec vmpod cat /sys/fs/cgroup/memory.max)" $LIMIT
check "podman: exec" equals "$(podman --runtime "$TSRUNC" exec vmpod echo hi)" hi
check "podman stop" podman --runtime "$TSRUNC" stop -t 1 vmpod
check "podman rm" podman --runtime "$TSRUNC" rm vmpod

# --- Docker: the systemd cgroup driver, tsrunc as an added runtime --------------------
docker_up() {
  mkdir -p /etc/docker
  cat >/etc/docker/daemon.json <<EOF
{"runtimes": {"tsrunc": {"path": "$TSRUNC"}},
 "exec-opts": ["native.cgroupdriver=systemd"],
 "iptables": false, "ip6tables": false, "bridge": "none"}
EOF
  systemctl start docker &&
    docker info --format '{{.CgroupDriver}} {{.CgroupVersion}}' | grep -qx "systemd 2" &&
    docker import "$work/rootfs.tar" busybox:vm >/dev/null
}
check "dockerd with the systemd cgroup driver on cgroup v2" docker_up
docker_run() {
  docker run -d --name vmdock --runtime tsrunc --network none --memory "$LIMIT" \
    busybox:vm sleep 600 >/dev/null
}
check "docker run -d --runtime tsrunc --memory 64m" docker_run
dock_pid() { docker inspect -f '{{.State.Pid}}' vmdock; }
check "docker: the container's scope has MemoryMax=$LIMIT" equals "$(unit_memory_max "$(dock_pid)")" $LIMIT
check "docker: exec" equals "$(docker exec vmdock echo hi)" hi
check "docker stop" docker stop -t 1 vmdock
check "docker rm" docker rm vmdock

# --- containerd: ctr with the runc shim, tsrunc as its binary, SystemdCgroup ----------
ctr_up() {
  systemctl start containerd &&
    docker save busybox:vm -o "$work/image.tar" &&
    ctr -n vm images import --no-unpack=false "$work/image.tar" >/dev/null
}
check "containerd, the image imported (docker save)" ctr_up
ctr_image() { ctr -n vm images ls -q | grep busybox | head -1; }
ctr_run() {
  ctr -n vm run -d --runc-binary "$TSRUNC" --runc-systemd-cgroup \
    --cgroup "system.slice:ctr:vmctr" --memory-limit "$LIMIT" \
    "$(ctr_image)" vmctr sleep 600 >/dev/null
}
check "ctr run -d --runc-binary tsrunc --runc-systemd-cgroup --memory-limit 64m" ctr_run
ctr_pid() { ctr -n vm task ls | awk '$1 == "vmctr" {print $2}'; }
check "containerd: the scope has MemoryMax=$LIMIT" equals "$(unit_memory_max "$(ctr_pid)")" $LIMIT
check "containerd: exec" equals "$(ctr -n vm task exec --exec-id e1 vmctr echo hi)" hi
ctr_stop() {
  ctr -n vm task kill -s KILL vmctr && sleep 1 && ctr -n vm task rm vmctr &&
    ctr -n vm container rm vmctr
}
check "containerd: kill, task rm, container rm" ctr_stop

summary

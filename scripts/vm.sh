#!/usr/bin/env bash
# A cached Debian 12 test VM: systemd as PID 1 on the unified cgroup v2 hierarchy,
# for tests that need what this host lacks (cgroup v2, systemd, a clean machine).
#
#   scripts/vm.sh build [--no-engines] [--check]   build or refresh the cache in build/vm/
#                                         (--check: change nothing, fail if it is stale)
#   scripts/vm.sh run [--timeout SECS] [--console] [--timing] [--no-install] [--share DIR]... -- CMD [ARGS...]
#   scripts/vm.sh clean                   remove build/vm/ (keeps build/vm/cache/)
#
# `run` builds first (a no-op when cached), boots the VM under QEMU's TCG emulation
# (nested KVM does not work on these machines), waits for systemd's multi-user.target,
# installs tsrunc from this checkout's build/ (scripts/install.sh, PREFIX=/usr/local)
# and runs CMD as root, with the checkout as its working directory, streaming CMD's
# stdout and stderr here as it runs. It exits with CMD's exit status (124 on timeout,
# 125 when the VM failed before CMD ended); the VM is always powered off and nothing
# is left running or behind. --console streams the VM's serial console (kernel and
# systemd) to stderr too; without it the console is shown only when the VM fails.
#
# What the guest sees:
#   /                  overlayfs: build/vm/rootfs (9p, read-only) below a tmpfs, so every
#                      boot starts clean, nothing a test does persists, and any number
#                      of VMs can share the tree
#   $REPO              this checkout at the same path as on the host (9p, read-write;
#                      files the guest writes there are root's, as they would be here)
#   $REPO/../shared    the shared docs beside it (9p, read-only), if they exist
#   node_modules       at its real path too (read-only) when it links out of the checkout
#   --share DIR        at its own path (read-write)
#   /var/lib/{containers,docker,containerd}, /tmp   tmpfs (an overlay upper directory
#                      cannot be on the overlay root)
# 9p rather than virtiofs: it is built into QEMU, where virtiofs needs a virtiofsd
# daemon per share and shared guest memory, more processes to start and to kill.
#
# The cache (build/vm/; `make clean` removes it with build/):
#   cache/             downloaded .debs (debootstrap's and apt's), kept across rebuilds
#   kernel/            Debian 12's kernel package unpacked (dpkg -x; not installed here):
#                      vmlinuz, vmlinux (its ELF, booted via PVH), modules/
#   rootfs/            debootstrap of bookworm (minbase) + packages + configuration
#   initrd.img         busybox initramfs: loads the virtio/9p/overlay modules, mounts
#                      the root and switch_roots to systemd
#   stamps/STEP        one per step, holding a hash of the step's code and inputs: a
#                      step runs again only when they change (or its output is gone)
#
# Environment: VM_TIMEOUT (default 1800 s), VM_MEM (MiB, default 4096), VM_SMP (2),
# VM_ENGINES=0 (run builds as `build --no-engines`: no engines, compilers, python),
# VM_MIRROR (http://deb.debian.org/debian), VM_KERNEL (a linux-image-* package name),
# VM_DIR (the cache, default build/vm), VM_CACHE (its .debs, default $VM_DIR/cache),
# VM_APPEND (more kernel parameters, e.g. "loglevel=7 systemd.show_status=1" with --console).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
VM=${VM_DIR:-$REPO/build/vm}
CACHE=${VM_CACHE:-$VM/cache}
STAMPS=$VM/stamps
ROOTFS=$VM/rootfs
SUITE=bookworm
MIRROR=${VM_MIRROR:-http://deb.debian.org/debian}
export DEBIAN_FRONTEND=noninteractive

HOST_PACKAGES=(qemu-system-x86 debootstrap busybox-static cpio xz-utils kmod)

# debootstrap --include: systemd as init, and what every VM test uses.
BASE_PACKAGES=(systemd systemd-sysv dbus udev kmod busybox-static jq ca-certificates
  iproute2 procps libseccomp2 util-linux)

# Second stage (apt-get in the tree, with Debian's updates and security suites as on
# the host): the engines and what the test suites run (scripts/test.sh, tests/).
ENGINE_PACKAGES=(podman containerd docker.io runc crun uidmap dbus-user-session tini apparmor criu
  iptables make gcc libc6-dev libseccomp-dev pkg-config python3 python3-jsonschema strace)

# Guest kernel modules, loaded by the initramfs with their dependencies, in order.
INITRD_MODULES=(virtio_pci virtio_console virtio_rng 9pnet_virtio 9p overlay)

say() { printf 'vm: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# --- build steps ------------------------------------------------------------------
# Each step_NAME is run by `step NAME KEY...` when its stamp does not hold the hash of
# its own code and KEY (the inputs, including the stamps of the steps it builds on).

stamp_of() { cat "$STAMPS/$1" 2>/dev/null || echo none; }

step() {
  local name=$1
  shift
  local key
  key=$( (declare -f "step_$name" && printf '%s\n' "$@") | sha256sum | cut -c1-16)
  if [ "$(stamp_of "$name")" = "$key" ] && "check_$name"; then
    return 0
  fi
  if [ "$dry_run" = 1 ]; then
    stale=1
    return 0
  fi
  say "building $name"
  local t0=$SECONDS
  rm -f "$STAMPS/$name"
  "step_$name"
  mkdir -p "$STAMPS"
  echo "$key" >"$STAMPS/$name"
  say "built $name in $((SECONDS - t0)) s"
}

apt_updated=0
apt_update() {
  [ "$apt_updated" = 1 ] || apt-get update -qq
  apt_updated=1
}

check_host() { true; }
step_host() {
  local missing=() p
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt_update
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

check_kernel() { [ -f "$VM/kernel/vmlinux" ] && [ -f "$VM/kernel/modules/modules.dep" ]; }
step_kernel() {
  local pkg=${VM_KERNEL:-}
  if [ -z "$pkg" ]; then
    apt_update
    pkg=$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
    [ -n "$pkg" ] || die "cannot tell the kernel package linux-image-amd64 depends on"
  fi
  mkdir -p "$CACHE/kernel"
  local deb
  deb=$(ls "$CACHE/kernel/${pkg}_"*.deb 2>/dev/null | tail -1 || true)
  if [ -z "$deb" ]; then
    (cd "$CACHE/kernel" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null)
    deb=$(ls "$CACHE/kernel/${pkg}_"*.deb | tail -1)
  fi
  local tmp=$VM/kernel.new
  rm -rf "$tmp"
  mkdir -p "$tmp"
  dpkg -x "$deb" "$tmp/pkg"
  local kver
  kver=$(ls "$tmp/pkg/lib/modules" | head -1)
  mv "$tmp/pkg/boot/vmlinuz-$kver" "$tmp/vmlinuz"
  # The uncompressed ELF inside the bzImage (xz, Debian's CONFIG_KERNEL_XZ): QEMU boots
  # it through its PVH entry point, without the BIOS boot path and the decompression,
  # ~4 s sooner under TCG.
  python3 - "$tmp/vmlinuz" "$tmp/vmlinux" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
start = data.find(b"\xfd7zXZ\x00")
if start < 0:
    sys.exit("vm: no xz stream in " + sys.argv[1])
elf = lzma.LZMADecompressor().decompress(data[start:])
if elf[:4] != b"\x7fELF":
    sys.exit("vm: the xz stream in " + sys.argv[1] + " is not an ELF kernel")
open(sys.argv[2], "wb").write(elf)
PY
  mv "$tmp/pkg/lib/modules/$kver" "$tmp/modules"
  rm -rf "$tmp/pkg"
  # The package leaves modules.dep to its postinst: made here for modprobe and udev.
  mkdir -p "$tmp/depmod/lib/modules"
  ln -s ../../../modules "$tmp/depmod/lib/modules/$kver"
  depmod -b "$tmp/depmod" "$kver"
  rm -rf "$tmp/depmod"
  echo "$kver" >"$tmp/version"
  rm -rf "$VM/kernel"
  mv "$tmp" "$VM/kernel"
}

check_rootfs() { [ -x "$ROOTFS/sbin/init" ]; }
step_rootfs() {
  local tmp=$VM/rootfs.new
  rm -rf "$tmp"
  mkdir -p "$CACHE/debs"
  local include
  include=$(IFS=,; echo "${BASE_PACKAGES[*]}")
  debootstrap --variant=minbase --include="$include" --cache-dir="$CACHE/debs" \
    "$SUITE" "$tmp" "$MIRROR" >"$VM/debootstrap.log" 2>&1 ||
    die "debootstrap failed: see $VM/debootstrap.log"
  rm -rf "$ROOTFS"
  mv "$tmp" "$ROOTFS"
}

# in_tree CMD...: run CMD chrooted in the tree with /proc, the apt cache and the host's
# resolver, in a private mount namespace (so nothing stays mounted if we die).
in_tree() {
  unshare --mount --propagation private -- /bin/sh -ec '
    root=$1; cache=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --bind "$cache" "$root/var/cache/apt/archives"
    exec chroot "$root" "$@"' in_tree "$ROOTFS" "$CACHE/debs" "$@"
}

check_engines() { [ -x "$ROOTFS/usr/bin/podman" ]; }
step_engines() {
  # The host's suites (updates, security), so versions match what the host runs.
  cp /etc/apt/sources.list.d/debian.sources "$ROOTFS/etc/apt/sources.list.d/debian.sources" 2>/dev/null &&
    rm -f "$ROOTFS/etc/apt/sources.list"
  # Snapshot mirrors serve Release files past their Valid-Until date.
  printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n' \
    >"$ROOTFS/etc/apt/apt.conf.d/99vm-no-valid-until"
  cp -L /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  # No service starts in the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
  chmod 0755 "$ROOTFS/usr/sbin/policy-rc.d"
  in_tree apt-get update -qq
  in_tree apt-get -y -q -o Dpkg::Use-Pty=0 dist-upgrade >"$VM/engines.log" 2>&1 ||
    die "apt-get dist-upgrade in the tree failed: see $VM/engines.log"
  in_tree apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends \
    "${ENGINE_PACKAGES[@]}" >>"$VM/engines.log" 2>&1 ||
    die "apt-get install in the tree failed: see $VM/engines.log"
  rm -f "$ROOTFS/usr/sbin/policy-rc.d"
  rm -rf "$ROOTFS"/var/lib/apt/lists/*_Packages "$ROOTFS"/var/lib/apt/lists/*_Translation-*
}

check_config() { [ -f "$ROOTFS/etc/systemd/system/tsrunc-vm.service" ]; }
step_config() {
  local r=$ROOTFS kver
  kver=$(cat "$VM/kernel/version")
  # The kernel's modules, for udev and modprobe (overlay, veth, bridge, nf_tables...).
  rm -rf "$r/lib/modules"
  mkdir -p "$r/lib/modules"
  cp -a "$VM/kernel/modules" "$r/lib/modules/$kver"

  echo tsrunc-vm >"$r/etc/hostname"
  printf '127.0.0.1\tlocalhost\n127.0.1.1\ttsrunc-vm\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
    >"$r/etc/hosts"
  : >"$r/etc/resolv.conf"
  # Root has no password; nobody logs in anyway: no getty.
  chroot "$r" passwd -dq root
  # Boot to multi-user.target only, without what a test VM has no use for (each
  # unit costs a second or more under TCG).
  chroot "$r" systemctl set-default -q multi-user.target
  local unit
  for unit in serial-getty@ttyS0.service getty@tty1.service console-getty.service \
    getty.target apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer man-db.timer dpkg-db-backup.timer systemd-tmpfiles-clean.timer \
    podman-auto-update.timer podman-auto-update.service podman-restart.service \
    systemd-timesyncd.service systemd-journal-flush.service systemd-update-utmp.service \
    systemd-update-utmp-runlevel.service systemd-binfmt.service \
    proc-sys-fs-binfmt_misc.automount systemd-random-seed.service; do
    ln -sfn /dev/null "$r/etc/systemd/system/$unit"
  done
  # The engines are started by the tests that need them, not at every boot.
  chroot "$r" systemctl disable -q docker.service docker.socket containerd.service \
    podman.service podman.socket 2>/dev/null || true
  # The journal stays in memory (/run/log/journal): nothing persists anyway.
  mkdir -p "$r/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\n' >"$r/etc/systemd/journald.conf.d/vm.conf"

  # Containers' storage: an overlay upper directory cannot be on the overlay root.
  cat >"$r/etc/fstab" <<'EOF'
# / is an overlay (read-only 9p tree below a tmpfs), made by the initramfs.
tmpfs /var/lib/containers tmpfs mode=0700 0 0
tmpfs /var/lib/docker tmpfs mode=0710 0 0
tmpfs /var/lib/containerd tmpfs mode=0711 0 0
tmpfs /tmp tmpfs mode=1777,nosuid,nodev 0 0
EOF
  mkdir -p "$r/var/lib/containers" "$r/var/lib/docker" "$r/var/lib/containerd"

  # The run: the host shares a directory with tag "vmrun" holding guest.sh (from this
  # checkout, so changing it needs no rebuild), the command and its settings.
  cat >"$r/etc/systemd/system/tsrunc-vm.service" <<'EOF'
[Unit]
Description=Run the command given to scripts/vm.sh run, then power off
After=multi-user.target
# Nothing persists (the root is a tmpfs overlay, guest.sh syncs the shares): no
# orderly shutdown needed.
SuccessAction=poweroff-immediate
FailureAction=poweroff-immediate

[Service]
Type=oneshot
StandardInput=null
StandardOutput=journal+console
StandardError=journal+console
ExecStartPre=/bin/mkdir -p /run/vmrun
ExecStartPre=/bin/mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 vmrun /run/vmrun
ExecStart=/bin/bash /run/vmrun/guest.sh

[Install]
WantedBy=multi-user.target
EOF
  chroot "$r" systemctl enable -q tsrunc-vm.service
}

check_initrd() { [ -f "$VM/initrd.img" ]; }
step_initrd() {
  local kver tmp=$VM/initrd.new
  kver=$(cat "$VM/kernel/version")
  rm -rf "$tmp"
  mkdir -p "$tmp"/{bin,dev,proc,sys,lower,ovl,newroot,lib/modules}
  cp /bin/busybox "$tmp/bin/busybox"
  ln -s busybox "$tmp/bin/sh"
  # The modules in dependency order (modprobe's own resolution, against the unpacked
  # tree), decompressed: busybox's insmod reads plain .ko files.
  local kroot=$VM/initrd.kroot
  rm -rf "$kroot"
  mkdir -p "$kroot/lib/modules"
  ln -s "$VM/kernel/modules" "$kroot/lib/modules/$kver"
  local order=() m path name deps
  for m in "${INITRD_MODULES[@]}"; do
    deps=$(modprobe -d "$kroot" -S "$kver" --show-depends "$m") || die "initrd: no module $m"
    while read -r kind path _; do
      [ "$kind" = insmod ] || continue
      name=$(basename "$path")
      name=${name%.xz}
      if [[ ! " ${order[*]} " == *" $name "* ]]; then
        order+=("$name")
        case $path in
        *.xz) xz -dc "$path" >"$tmp/lib/modules/$name" ;;
        *) cp "$path" "$tmp/lib/modules/$name" ;;
        esac
      fi
    done <<<"$deps"
  done
  rm -rf "$kroot"
  printf '%s\n' "${order[@]}" >"$tmp/lib/modules/order"
  cat >"$tmp/init" <<'EOF'
#!/bin/sh
# The VM's initramfs: load the modules, make / an overlay of the read-only 9p tree
# (tag "root") below a tmpfs, and hand over to systemd.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() { echo "initramfs: $*" >/dev/console; dmesg | tail -n 20 >/dev/console; sleep 1; poweroff -f; }
while read -r m; do
  insmod "/lib/modules/$m" 2>/dev/null || grep -q "^${m%.ko} " /proc/modules ||
    echo "initramfs: insmod $m failed" >/dev/console
done </lib/modules/order
# The tree does not change while VMs run: the page cache may keep it (cache=loose).
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro root /lower ||
  fail "cannot mount the 9p root"
mount -t tmpfs -o mode=0755 tmpfs /ovl
mkdir -p /ovl/upper /ovl/work
mount -t overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work overlay /newroot ||
  fail "cannot mount the overlay root"
mount --move /dev /newroot/dev
umount /proc /sys
exec switch_root /newroot /sbin/init
EOF
  chmod 0755 "$tmp/init"
  (cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) |
    gzip -1 >"$VM/initrd.img.new"
  rm -rf "$tmp"
  mv "$VM/initrd.img.new" "$VM/initrd.img"
}

# build [--no-engines] [--check]: run the steps whose stamps are stale; with --check,
# change nothing and fail if any is. (The steps are not called in an `||` list: that
# would turn off `set -e` in them.)
dry_run=0
stale=0
build() {
  local engines=1
  dry_run=0
  stale=0
  while [ $# -gt 0 ]; do
    case $1 in
    --no-engines) engines=0 ;;
    --check) dry_run=1 ;;
    *) die "usage: $0 build [--no-engines] [--check]" ;;
    esac
    shift
  done
  [ "$(id -u)" -eq 0 ] || die "the VM needs root (debootstrap, chroot, qemu's 9p passthrough)"
  mkdir -p "$VM" "$CACHE"
  step host "${HOST_PACKAGES[@]}"
  step kernel "${VM_KERNEL:-}"
  step rootfs "$SUITE" "$MIRROR" "${BASE_PACKAGES[@]}"
  if [ "$engines" = 1 ]; then
    step engines "$(stamp_of rootfs)" "${ENGINE_PACKAGES[@]}"
  fi
  step config "$(stamp_of rootfs)" "$(stamp_of engines)" "$(stamp_of kernel)"
  step initrd "$(stamp_of kernel)" "${INITRD_MODULES[@]}" "$(sha256sum </bin/busybox)"
  [ "$stale" = 0 ]
}

# --- run --------------------------------------------------------------------------

run() {
  local timeout=${VM_TIMEOUT:-1800} console=0 timing=0 install=1 extra_shares=()
  while [ $# -gt 0 ]; do
    case $1 in
    --timeout) timeout=$2; shift ;;
    --timeout=*) timeout=${1#*=} ;;
    --console) console=1 ;;
    --timing) timing=1 ;;
    --no-install) install=0 ;;
    --share)
      [ -d "$2" ] || die "--share: no directory $2"
      extra_shares+=("$(cd "$2" && pwd):rw")
      shift
      ;;
    --) shift; break ;;
    *) die "usage: $0 run [--timeout SECS] [--console] [--timing] [--no-install] [--share DIR]... -- CMD [ARGS...]" ;;
    esac
    shift
  done
  [ $# -gt 0 ] || die "usage: $0 run [--timeout SECS] [--console] [--timing] [--no-install] [--share DIR]... -- CMD [ARGS...]"
  [[ $timeout =~ ^[0-9]+$ ]] || die "--timeout: not a number of seconds: $timeout"

  # VMs run under a shared lock, side by side; a rebuild takes it exclusively, so it
  # waits for the VMs using the tree (and they for it).
  local bargs=()
  [ "${VM_ENGINES:-1}" = 1 ] || bargs=(--no-engines)
  exec 9>"$VM.lock"
  flock -s 9
  if ! build --check "${bargs[@]}"; then
    flock -u 9
    flock -x 9
    build "${bargs[@]}"
    flock -s 9
  fi

  local tmp qpid="" t0=$SECONDS
  tmp=$(mktemp -d /tmp/tsrunc-vm.XXXXXX)
  # shellcheck disable=SC2064
  trap "vm_cleanup '$tmp'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  mkdir "$tmp/share"
  cp scripts/vm/guest.sh "$tmp/share/guest.sh"
  # tsrunc as `make install` puts it, staged here by the same script (PREFIX=/usr/local)
  # for the guest to copy in one go: install.sh in the guest forks some 300 processes,
  # ~17 s under TCG; one cp of the staged tree takes ~1.5 s.
  if [ "$install" = 1 ]; then
    local log
    if ! log=$(PREFIX=/usr/local DESTDIR="$tmp/share/install" BUILD="$REPO/build" \
      scripts/install.sh install 2>&1); then
      printf '%s\n' "$log" >&2
      die "cannot stage tsrunc from $REPO/build (run 'make build' first)"
    fi
  fi
  {
    printf 'REPO=%q\n' "$REPO"
    printf 'INSTALL=%q\n' "$install"
    printf 'CMD=('
    printf '%q ' "$@"
    printf ')\n'
  } >"$tmp/share/run.env"
  : >"$tmp/stdout"
  : >"$tmp/stderr"
  : >"$tmp/console"

  # The 9p shares besides the root: the checkout, ../shared, node_modules when it is a
  # link out of the checkout (a worktree's may be), and --share DIRs, each at its own
  # path. guest.sh mounts them in this order.
  local shares=("$REPO:rw") dirs=() spec i=0
  [ -d "$(dirname "$REPO")/shared" ] && shares+=("$(dirname "$REPO")/shared:ro")
  local nm
  nm=$(readlink -f "$REPO/node_modules" 2>/dev/null || true)
  if [ -n "$nm" ] && [ -d "$nm" ] && [[ $nm != "$REPO"/* ]]; then
    shares+=("$nm:ro")
  fi
  shares+=("${extra_shares[@]}")
  local share_dev=()
  for spec in "${shares[@]}"; do
    local dir=${spec%:*} mode=${spec##*:} ro=""
    [ "$mode" = ro ] && ro=",readonly=on"
    share_dev+=(-fsdev "local,id=share$i,path=$dir,security_model=passthrough$ro"
      -device "virtio-9p-pci,fsdev=share$i,mount_tag=share$i")
    dirs+=("share$i:$mode:$dir")
    i=$((i + 1))
  done
  printf 'SHARES=(' >>"$tmp/share/run.env"
  printf '%q ' "${dirs[@]}" >>"$tmp/share/run.env"
  printf ')\n' >>"$tmp/share/run.env"

  local append="console=ttyS0 panic=1 loglevel=4 rw systemd.unified_cgroup_hierarchy=1"
  append+=" systemd.show_status=auto mitigations=off random.trust_cpu=on ${VM_APPEND:-}"
  qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m "${VM_MEM:-4096}" -smp "${VM_SMP:-2}" \
    -nodefaults -no-user-config -display none -monitor none -no-reboot -nic none \
    -kernel "$VM/kernel/vmlinux" -initrd "$VM/initrd.img" -append "$append" \
    -serial "file:$tmp/console" \
    -device virtio-rng-pci \
    -fsdev "local,id=root,path=$ROOTFS,security_model=passthrough,readonly=on" \
    -device virtio-9p-pci,fsdev=root,mount_tag=root \
    "${share_dev[@]}" \
    -fsdev "local,id=vmrun,path=$tmp/share,security_model=passthrough" \
    -device virtio-9p-pci,fsdev=vmrun,mount_tag=vmrun \
    -device virtio-serial-pci \
    -chardev "file,id=out,path=$tmp/stdout" -device virtserialport,chardev=out,name=vm.stdout \
    -chardev "file,id=err,path=$tmp/stderr" -device virtserialport,chardev=err,name=vm.stderr \
    </dev/null >"$tmp/qemu.log" 2>&1 &
  qpid=$!
  echo "$qpid" >"$tmp/qemu.pid"
  # Stream CMD's output as it comes; tail ends once qemu is gone and all is read.
  tail -q -c +1 -f --pid="$qpid" "$tmp/stdout" &
  local tails=($!)
  tail -q -c +1 -f --pid="$qpid" "$tmp/stderr" >&2 &
  tails+=($!)
  if [ "$console" = 1 ]; then
    tail -q -c +1 -f --pid="$qpid" "$tmp/console" >&2 &
    tails+=($!)
  fi

  local timed_out=0
  while kill -0 "$qpid" 2>/dev/null; do
    if [ $((SECONDS - t0)) -ge "$timeout" ]; then
      timed_out=1
      kill "$qpid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  local qrc=0
  wait "$qpid" || qrc=$?
  rm -f "$tmp/qemu.pid"
  wait "${tails[@]}" 2>/dev/null || true

  if [ "$timing" = 1 ] && [ -f "$tmp/share/times" ]; then
    awk -v wall=$((SECONDS - t0)) '{ t[$1] = $2 }
      END { printf "vm: timing: booted (multi-user) at %.1f s guest uptime, install %.1f s, command %.1f s; %d s wall in all\n",
        t["boot-done"], t["command"] - t["install"], t["command-done"] - t["command"], wall }' \
      "$tmp/share/times" >&2
  fi
  local rc
  if [ "$timed_out" = 1 ]; then
    say "timed out after ${timeout} s: VM killed"
    rc=124
  elif [ -f "$tmp/share/rc" ]; then
    rc=$(cat "$tmp/share/rc")
  else
    say "the VM stopped before the command ended (qemu status $qrc)"
    rc=125
  fi
  if [ "$rc" -ge 124 ] && [ ! -f "$tmp/share/rc" ]; then
    if [ "$console" = 0 ]; then
      say "last lines of the console:"
      tail -n 40 "$tmp/console" | tr -d '\r' >&2
    fi
    [ -s "$tmp/qemu.log" ] && sed 's/^/qemu: /' "$tmp/qemu.log" >&2
  fi
  return "$rc"
}

# On exit: kill the qemu we started (if still there), remove the run's files.
vm_cleanup() {
  local tmp=$1 pid
  if [ -f "$tmp/qemu.pid" ]; then
    pid=$(cat "$tmp/qemu.pid")
    kill "$pid" 2>/dev/null && sleep 0.5
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}

case ${1:-} in
build)
  shift
  mkdir -p "$VM"
  exec 9>"$VM.lock"
  flock -x 9
  build "$@"
  ;;
run)
  shift
  mkdir -p "$VM"
  run "$@"
  ;;
clean)
  exec 9>"$VM.lock"
  flock -x 9
  find "$VM" -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} +
  ;;
*)
  echo "usage: $0 build [--no-engines] | run [--timeout SECS] [--console] [--timing] [--no-install] [--share DIR]... -- CMD... | clean" >&2
  exit 2
  ;;
esac

/**
 * The starter config.json of `tsrunc spec`: field for field, and key for key, what runc's
 * `runc spec` writes (runc 1.1 `libcontainer/specconv/example.go`: Example() and, with
 * `--rootless`, ToRootless()).
 *
 * The one difference: runc 1.1.5 writes `"ociVersion": "1.0.2-dev"` (the spec version it
 * was built against); tsrunc implements runtime-spec 1.3.0 and says so.
 */

import type { Mount, OciSpec } from "./types.ts";

/** Options of defaultSpec(). */
export interface DefaultSpecOptions {
  /** Generate the rootless variant (`runc spec --rootless`). */
  rootless: boolean;
  /** Host uid mapped to root in the rootless variant (runc: the effective uid). Default 0. */
  uid?: number;
  /** Host gid mapped to root in the rootless variant (runc: the effective gid). Default 0. */
  gid?: number;
}

/** The runtime-spec version tsrunc implements and writes. */
export const OCI_VERSION = "1.3.0";

/**
 * Build the starter spec runc's `spec` command writes.
 * @param options rootless variant and the ids it maps
 */
export function defaultSpec(options: DefaultSpecOptions): OciSpec {
  const { rootless } = options;
  const caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
  const mounts: Mount[] = [
    { destination: "/proc", type: "proc", source: "proc" },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      // ToRootless drops uid=/gid= options: an unprivileged user namespace maps no group 5.
      options: [
        "nosuid",
        "noexec",
        "newinstance",
        "ptmxmode=0666",
        "mode=0620",
        ...(rootless ? [] : ["gid=5"]),
      ],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    {
      destination: "/dev/mqueue",
      type: "mqueue",
      source: "mqueue",
      options: ["nosuid", "noexec", "nodev"],
    },
    // Without the network namespace's owner being ours, sysfs cannot be mounted: runc's
    // rootless spec bind-mounts the host's /sys read-only instead.
    rootless
      ? {
        destination: "/sys",
        type: "none",
        source: "/sys",
        options: ["rbind", "nosuid", "noexec", "nodev", "ro"],
      }
      : {
        destination: "/sys",
        type: "sysfs",
        source: "sysfs",
        options: ["nosuid", "noexec", "nodev", "ro"],
      },
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
    },
  ];

  const maskedPaths = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
    "/proc/scsi",
  ];
  const readonlyPaths = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
  ];

  // Key order is Go's struct field order in specs-go (Linux: uidMappings, gidMappings,
  // sysctl, resources, cgroupsPath, namespaces, ..., maskedPaths, readonlyPaths).
  const linux: OciSpec["linux"] = rootless
    ? {
      uidMappings: [{ containerID: 0, hostID: options.uid ?? 0, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: options.gid ?? 0, size: 1 }],
      // ToRootless: no network namespace (nobody could configure it), a user namespace
      // last, and no cgroup resources (an unprivileged user may not own the cgroup).
      namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, {
        type: "user",
      }],
      maskedPaths,
      readonlyPaths,
    }
    : {
      resources: { devices: [{ allow: false, access: "rwm" }] },
      namespaces: [
        { type: "pid" },
        { type: "network" },
        { type: "ipc" },
        { type: "uts" },
        { type: "mount" },
      ],
      maskedPaths,
      readonlyPaths,
    };

  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      cwd: "/",
      // runc 1.1 dropped the inheritable set from its example (CVE-2022-29162).
      capabilities: {
        bounding: [...caps],
        effective: [...caps],
        permitted: [...caps],
        ambient: [...caps],
      },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: "rootfs", readonly: true },
    hostname: "runc",
    mounts,
    linux,
  };
}

/**
 * One line of words per plan op, for `tsrunc explain` and debug logs: numbers become the
 * names a user wrote in config.json (flags, namespaces, capabilities, rlimits), so the
 * plan reads as what the executor will do. Pure.
 */
import { MS } from "./mount_options.ts";
import type { PlanOp } from "./ops.ts";
import { CAPABILITIES, NAMESPACE_FLAGS, RLIMITS, SCHED_POLICIES } from "./tables.ts";

/** mount(2) flags as mount(8) options, in the order mount(8) prints them. */
const MOUNT_FLAG_NAMES: readonly [number, string][] = [
  [MS.RDONLY, "ro"],
  [MS.NOSUID, "nosuid"],
  [MS.NODEV, "nodev"],
  [MS.NOEXEC, "noexec"],
  [MS.SYNCHRONOUS, "sync"],
  [MS.MANDLOCK, "mand"],
  [MS.DIRSYNC, "dirsync"],
  [MS.NOSYMFOLLOW, "nosymfollow"],
  [MS.NOATIME, "noatime"],
  [MS.NODIRATIME, "nodiratime"],
  [MS.BIND, "bind"],
  [MS.REC, "rec"],
  [MS.RELATIME, "relatime"],
  [MS.STRICTATIME, "strictatime"],
  [MS.LAZYTIME, "lazytime"],
  [MS.PRIVATE, "private"],
  [MS.SLAVE, "slave"],
  [MS.SHARED, "shared"],
  [MS.UNBINDABLE, "unbindable"],
];

/** "nosuid,noexec,nodev"; "" for none. */
export function mountFlagsText(flags: number): string {
  return MOUNT_FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name).join(",");
}

/** CLONE_NEW* flags as namespace names: "mount,uts,ipc,pid,network". */
function namespacesText(flags: number): string {
  const names = Object.entries(NAMESPACE_FLAGS).filter(([, bit]) => flags & bit);
  return names.length ? names.map(([name]) => name).join(",") : "none";
}

function capsText(mask: bigint): string {
  const names = CAPABILITIES.filter((_, bit) => mask & (1n << BigInt(bit)));
  return names.length ? names.join(",") : "none";
}

function nameOf(table: Readonly<Record<string, number>>, value: number): string {
  return Object.entries(table).find(([, v]) => v === value)?.[0] ?? String(value);
}

function limitText(value: number): string {
  return value < 0 ? "unlimited" : String(value);
}

function octal(mode: number, digits = 4): string {
  return "0" + (mode & 0o7777).toString(8).padStart(digits - 1, "0");
}

function quoted(args: readonly string[]): string {
  return args.map((a) => /^[\w./:=,+@%-]+$/.test(a) ? a : JSON.stringify(a)).join(" ");
}

/** What one op does, in one line. */
export function describeOp(op: PlanOp): string {
  switch (op.op) {
    case "joinNs":
      return `join ${namespacesText(op.nsType)} namespace ${op.path}`;
    case "timeOffsets":
      return `new time namespace: monotonic ${op.monotonicSecs}s${op.monotonicNanosecs}ns, boottime ${op.boottimeSecs}s${op.boottimeNanosecs}ns`;
    case "openFifo":
      return `open the exec fifo ${op.path}`;
    case "clone":
      return op.kind === "init"
        ? `clone the init into new namespaces: ${namespacesText(op.flags)}` +
          (op.mountSources?.length ? ` (${op.mountSources.length} bind sources opened)` : "")
        : "clone the process (in the container's pid namespace)";
    case "enterContainer":
      return `enter the namespaces of init ${op.pid}: ${namespacesText(op.flags)}`;
    case "sync":
      return `report "${op.phase}" to tsrunc` + (op.waitReply ? " and wait for it" : "");
    case "becomeRoot":
      return "become root of the new user namespace";
    case "setsid":
      return "new session (setsid)";
    case "hostname":
      return `hostname ${op.name}`;
    case "domainname":
      return `domainname ${op.name}`;
    case "keyring":
      return `session keyring ${op.name}`;
    case "propagation": {
      const kind = mountFlagsText(op.flags & ~MS.REC);
      return `make ${op.path || "."} ${op.flags & MS.REC ? `r${kind}` : kind}`;
    }
    case "openRoot":
      return `open the rootfs ${op.path}`;
    case "mount": {
      const flags = mountFlagsText(op.flags & ~MS.BIND & ~MS.REC);
      const options = [flags, op.data].filter(Boolean).join(",");
      const what = op.flags & MS.BIND
        ? `bind${op.flags & MS.REC ? " (recursive)" : ""} ${op.source}`
        : `mount ${op.fstype}${op.source === op.fstype ? "" : ` ${op.source}`}`;
      return `${what} on ${op.target}` + (options ? ` (${options})` : "");
    }
    case "remount":
      return `remount ${op.target} (${mountFlagsText(op.flags & ~MS.BIND) || "defaults"})`;
    case "mountSetattr":
      return `set mount attributes of ${op.target} (set 0x${op.attrSet.toString(16)}, clear 0x${
        op.attrClr.toString(16)
      })`;
    case "copyUp":
      return `copy ${op.target}'s contents up into the tmpfs mounted there`;
    case "mkdir":
      return `mkdir ${op.target} (${octal(op.mode)}, for ${op.purpose})`;
    case "mknod": {
      const type = (op.mode & 0o170000) === 0o060000
        ? "b"
        : (op.mode & 0o170000) === 0o010000
        ? "p"
        : "c";
      return `mknod ${op.target} ${type} ${op.major}:${op.minor} ${
        octal(op.mode)
      } ${op.uid}:${op.gid}`;
    }
    case "symlink":
      return `symlink ${op.target} -> ${op.linkTarget}`;
    case "hook":
      return `run ${op.status === "creating" ? "createContainer" : "startContainer"} hook ${
        quoted(op.args)
      }` + (op.timeoutSecs ? ` (timeout ${op.timeoutSecs} s)` : "");
    case "pivotRoot":
      return "pivot_root into the rootfs";
    case "chroot":
      return op.moveRoot
        ? "move the rootfs to / and chroot (--no-pivot)"
        : "chroot into the rootfs";
    case "detachMount":
      return `detach ${op.path}`;
    case "mask":
      return `mask ${op.path}`;
    case "readonlyPath":
      return `make ${op.path} read-only`;
    case "dumpable":
      return op.dumpable ? "dumpable (for tsrunc's /proc writes)" : "not dumpable";
    case "readonlyRoot":
      return "make / read-only";
    case "writeFile":
      return `write ${JSON.stringify(op.content)} to ${op.path}`;
    case "rlimit":
      return `rlimit ${nameOf(RLIMITS, op.resource)} soft ${limitText(op.soft)} hard ${
        limitText(op.hard)
      }`;
    case "personality":
      return `personality 0x${op.persona.toString(16)}`;
    case "scheduler":
      return `scheduler ${
        nameOf(SCHED_POLICIES, op.policy)
      } (priority ${op.priority}, nice ${op.nice})`;
    case "ioPriority":
      return `I/O priority class ${op.value >> 13}, level ${op.value & 0x1fff}`;
    case "cpuAffinity":
      return `CPU affinity ${op.cpus.join(",")}`;
    case "closeSync":
      return "close the sync socket";
    case "waitStart":
      return "wait for `start` (the exec fifo)";
    case "resolveExec":
      return `look up ${op.program} in ${op.searchPath}`;
    case "chdir":
      return `chdir ${op.path}`;
    case "umask":
      return `umask ${octal(op.mask)}`;
    case "capBounding":
      return `capability bounding set: ${capsText(op.keep)}`;
    case "setUser":
      return `user ${op.uid}:${op.gid}` +
        (op.groups.length ? `, groups ${op.groups.join(",")}` : "") +
        (op.setGroups ? "" : " (setgroups denied)");
    case "capSet":
      return `capabilities: effective ${capsText(op.effective)}; permitted ${
        capsText(op.permitted)
      }; inheritable ${capsText(op.inheritable)}; ambient ${capsText(op.ambient)}`;
    case "noNewPrivs":
      return "no_new_privs";
    case "closeFds":
      return `close-on-exec every fd from ${op.firstToClose}`;
    case "exec":
      return `execve ${quoted(op.args)} (${op.env.length} environment variables)`;
    case "openPty":
      return `open a pty, owned by uid ${op.uid}` +
        (op.rows ? `, ${op.columns}x${op.rows}` : "") + ", as the controlling terminal";
    case "keepAfterParent":
      return "outlive tsrunc (no parent-death signal)";
    case "unshare":
      return `new ${namespacesText(op.flags)} namespace`;
    case "joinCgroup":
      return "join the memory cgroup (late, so the setup is not charged to it)";
    case "seccomp":
      return `seccomp filter: default action 0x${
        op.defaultAction.toString(16)
      }, ${op.rules.length} rules` +
        (op.notify ? ", notify listener to tsrunc" : "") +
        (op.loadNow ? ", loaded now" : ", built");
    case "seccompLoad":
      return "load the seccomp filter";
  }
}

/**
 * The plan: an ordered list of operations the C executor performs, one after the other,
 * with no decisions of its own. Every "what" and "in which order" is decided in
 * TypeScript (core/plan/build.ts); the executor only knows "how".
 *
 * Ops before `clone` run in the executor process in the host's namespaces; `clone`
 * creates the container's init (a sibling of the executor: CLONE_PARENT makes it a
 * child of tsrunc), the executor reports the init pid and exits, and the init runs the
 * remaining ops. Paths named `target` are resolved inside the rootfs opened by
 * `openRoot` without following symlinks out of it, until `pivotRoot`/`chroot`; after
 * that they are container paths.
 *
 * Keep OP_CODES in step with libcore/plan.h.
 */

/** Join an existing namespace (setns) given its path and CLONE_NEW* type. */
export interface JoinNsOp {
  op: "joinNs";
  nsType: number;
  path: string;
}

/** Create a time namespace for the init and set its clock offsets (seconds, nanoseconds). */
export interface TimeOffsetsOp {
  op: "timeOffsets";
  monotonicSecs: number;
  monotonicNanosecs: number;
  boottimeSecs: number;
  boottimeNanosecs: number;
}

/** Open the exec fifo (O_PATH) while its host path is still reachable. */
export interface OpenFifoOp {
  op: "openFifo";
  path: string;
}

/**
 * Clone the container's init (or, for `exec`, its new process) with these CLONE_NEW*
 * flags; the executor reports the pid and exits.
 */
export interface CloneOp {
  op: "clone";
  flags: number;
  kind: "init" | "exec";
  /**
   * Bind sources (host paths) the executor opens for the init, in the init's new mount
   * namespace but with the host's credentials, and hands it: a user namespace's root
   * need not be able to reach them (runc's mount source fds). Mounts name them by index.
   */
  mountSources?: string[];
}

/**
 * `exec`: join the namespaces (CLONE_NEW* flags) of the container's init through its
 * pidfd (an fd tsrunc passes the executor) and take the init's root as ours.
 */
export interface EnterContainerOp {
  op: "enterContainer";
  pidfd: number;
  pid: number;
  flags: number;
}

/**
 * Open a pty in the container's /dev/ptmx, send its master to tsrunc, make its peer the
 * controlling terminal and stdio; rows/columns 0 leave the size alone.
 */
export interface OpenPtyOp {
  op: "openPty";
  rows: number;
  columns: number;
  /** tsrunc proxies the pty to its own terminal, which adds the CR: clear ONLCR (runc). */
  clearOnlcr: boolean;
  /** The pty's owner: the process's uid (its group stays the one devpts gives, gid=5). */
  uid: number;
}

/**
 * unshare(2) namespaces in the init: the cgroup namespace is made only once tsrunc has
 * put the init in its cgroups, so that the container sees its own cgroup as "/".
 */
export interface UnshareOp {
  op: "unshare";
  flags: number;
}

/**
 * Join a cgroup through an open cgroup.procs (an fd tsrunc passed) by writing "0": the
 * init joins its memory cgroup only now, so that its own setup is not charged there.
 */
export interface JoinCgroupOp {
  op: "joinCgroup";
  fd: number;
}

/** One seccomp rule: the syscalls, the action, and the conditions that must all hold. */
export interface SeccompRule {
  action: number;
  names: string[];
  args: { index: number; op: number; value: bigint; valueTwo: bigint }[];
}

/**
 * Load a seccomp filter (libseccomp): SCMP_ACT_* values, libseccomp arch names, flag
 * bits of core/plan/seccomp.ts. With `notify` the listener fd goes to tsrunc on the sync
 * socket.
 */
export interface SeccompOp {
  op: "seccomp";
  defaultAction: number;
  flags: number;
  architectures: string[];
  rules: SeccompRule[];
  notify: boolean;
  /** Load at once; else the filter is only built (errors show at create) for seccompLoad. */
  loadNow: boolean;
  /**
   * Every syscall the profile names: one newer than all of them (unknown to the profile)
   * gets ENOSYS instead of the default action, as runc's stub gives it, so that programs
   * fall back (clone3 to clone, faccessat2 to faccessat). Empty: no stub (the default
   * action lets unknown syscalls through, or is ENOSYS already).
   */
  enosysAbove: string[];
}

/** Load the filter a `seccomp` op built earlier: as late as possible, before execve. */
export interface SeccompLoadOp {
  op: "seccompLoad";
}

/** `exec`: the process outlives tsrunc from here on (clears the parent-death signal). */
export interface KeepAfterParentOp {
  op: "keepAfterParent";
}

/**
 * Report a phase to tsrunc over the sync socket; when `waitReply` is set, block until
 * tsrunc answers. The answer's payload (the state JSON as "creating", NUL, as "created")
 * is kept for `hook` ops.
 */
export interface SyncOp {
  op: "sync";
  phase: SyncPhase;
  waitReply: boolean;
}

/** Phases the init reports (see ffi/messages.ts). */
export type SyncPhase = "ready" | "prestart" | "created";

/** Become uid 0 / gid 0 inside a new user namespace, once tsrunc has written the maps. */
export interface BecomeRootOp {
  op: "becomeRoot";
}

/** setsid(2): the process leads its own session (a pty becomes its terminal). */
export interface SetsidOp {
  op: "setsid";
}

/** sethostname(2). */
export interface HostnameOp {
  op: "hostname";
  name: string;
}

/** setdomainname(2). */
export interface DomainnameOp {
  op: "domainname";
  name: string;
}

/** Join a new session keyring (keyctl JOIN_SESSION_KEYRING), then add permission bits. */
export interface KeyringOp {
  op: "keyring";
  name: string;
  permAdd: number;
}

/** mount(NULL, path, NULL, flags): change propagation of a host-absolute path, e.g. "/". */
export interface PropagationOp {
  op: "propagation";
  path: string;
  flags: number;
}

/** Open the rootfs directory (host path); later `target`s resolve inside it. */
export interface OpenRootOp {
  op: "openRoot";
  path: string;
}

/**
 * What to create at a mount target when it is missing. "realDir": a directory reached
 * without any symlink on the way (procfs and sysfs: mounted through a symlink, they would
 * land where a later mount can make /proc resolve somewhere else).
 */
export type TargetKind = "dir" | "file" | "none" | "realDir";

/**
 * mount(2) onto a target inside the rootfs. `source` is a host path for binds (or a
 * device name such as "proc"). The target is created (as `kind`) when missing.
 */
export interface MountOp {
  op: "mount";
  source: string;
  target: string;
  fstype: string;
  flags: number;
  data: string;
  kind: TargetKind;
  /** Bind from the clone's mountSources[sourceFd] instead of the source path. */
  sourceFd?: number;
}

/** mount(NULL, target, NULL, MS_REMOUNT | flags): change per-mount flags of a target. */
export interface RemountOp {
  op: "remount";
  target: string;
  flags: number;
}

/** mount_setattr(2) with AT_RECURSIVE: e.g. recursive read-only (rro). */
export interface MountSetattrOp {
  op: "mountSetattr";
  target: string;
  attrSet: number;
  attrClr: number;
  propagation: number;
}

/** Copy the contents of a directory of the rootfs into the tmpfs just mounted on it. */
export interface CopyUpOp {
  op: "copyUp";
  target: string;
}

/** mkdir inside the rootfs (parents created too). */
export interface MkdirOp {
  op: "mkdir";
  target: string;
  mode: number;
  /** What the directory is for, named in errors (e.g. "process.cwd"). */
  purpose: string;
}

/** mknod a device inside the rootfs and chown it. `mode` includes S_IFCHR/S_IFBLK/S_IFIFO. */
export interface MknodOp {
  op: "mknod";
  target: string;
  mode: number;
  major: number;
  minor: number;
  uid: number;
  gid: number;
}

/** symlink(linkTarget, target) inside the rootfs; an existing entry is left alone. */
export interface SymlinkOp {
  op: "symlink";
  linkTarget: string;
  target: string;
}

/** Run one hook from the executor (createContainer/startContainer) with the state on stdin. */
export interface HookOp {
  op: "hook";
  path: string;
  args: string[];
  env: string[];
  timeoutSecs: number;
  /** Which state the hook reads on stdin: "creating" before pivot_root, "created" after start. */
  status: "creating" | "created";
  /**
   * Run it in the rootfs directory (createContainer, as runc: hooks use paths relative to
   * it); else in the process's cwd, where the init is by then (startContainer).
   */
  inRootfsDir: boolean;
}

/** pivot_root into the rootfs and detach the old root. */
export interface PivotRootOp {
  op: "pivotRoot";
}

/**
 * chroot into the rootfs: with --no-pivot after moving it onto / (moveRoot); without a
 * mount namespace of the container's own in place, since / is then the caller's.
 */
export interface ChrootOp {
  op: "chroot";
  moveRoot: boolean;
}

/**
 * --no-pivot, before the chroot: take a host mount (an absolute path) out of the
 * container's mount namespace (made a slave first, so that nothing reaches the host),
 * or cover it with an empty tmpfs where it cannot be unmounted.
 */
export interface DetachMountOp {
  op: "detachMount";
  path: string;
}

/**
 * Hide a container path: the container's /dev/null (checked to be the null device, 1:3)
 * over files, a read-only empty tmpfs over dirs. A missing path is skipped.
 */
export interface MaskOp {
  op: "mask";
  path: string;
  /** statfs f_type the path must resolve onto (0: any): procfs for /proc/...: fail closed. */
  fsMagic: number;
}

/** Bind a container path onto itself and make it read-only (missing paths are skipped). */
export interface ReadonlyPathOp {
  op: "readonlyPath";
  path: string;
  /** As MaskOp's. */
  fsMagic: number;
}

/**
 * prctl(PR_SET_DUMPABLE). The executor is not dumpable from its first instruction (no
 * process in the container may ptrace it or take its fds); only a caller without
 * CAP_SYS_PTRACE needs it dumpable, while it writes the executor's /proc files.
 */
export interface DumpableOp {
  op: "dumpable";
  dumpable: boolean;
}

/** Remount the container's / read-only. */
export interface ReadonlyRootOp {
  op: "readonlyRoot";
}

/**
 * Write a string into a file that must exist: a procfs file (sysctl, oom_score_adj, LSM
 * attributes), checked to be one, so that no symlink or mount turns the write into a
 * write of some other file (the CVE-2025-52881 class).
 */
export interface WriteFileOp {
  op: "writeFile";
  path: string;
  content: string;
  /** statfs f_type the file must be on (0: any). */
  fsMagic: number;
}

/** setrlimit(2). `-1` means RLIM_INFINITY. */
export interface RlimitOp {
  op: "rlimit";
  resource: number;
  soft: number;
  hard: number;
}

/** personality(2). */
export interface PersonalityOp {
  op: "personality";
  persona: number;
}

/** sched_setattr(2). */
export interface SchedulerOp {
  op: "scheduler";
  policy: number;
  nice: number;
  priority: number;
  flags: number;
  runtime: number;
  deadline: number;
  period: number;
}

/** ioprio_set(2) for the process itself. */
export interface IoPriorityOp {
  op: "ioPriority";
  value: number;
}

/** sched_setaffinity(2) to the listed CPUs. */
export interface CpuAffinityOp {
  op: "cpuAffinity";
  cpus: number[];
}

/** Close the sync socket: nothing more is reported to tsrunc. */
export interface CloseSyncOp {
  op: "closeSync";
}

/** Block until `tsrunc start` opens the exec fifo, then go on. */
export interface WaitStartOp {
  op: "waitStart";
}

/**
 * Find the program the way execvp would, inside the container, and report precisely why
 * it cannot run (not found in PATH, not executable, missing #! interpreter or ELF loader).
 */
export interface ResolveExecOp {
  op: "resolveExec";
  program: string;
  searchPath: string;
  cwd: string;
}

/** chdir(2). */
export interface ChdirOp {
  op: "chdir";
  path: string;
}

/** umask(2). */
export interface UmaskOp {
  op: "umask";
  mask: number;
}

/** Drop every capability not in the bounding set (PR_CAPBSET_DROP), 64-bit masks. */
export interface CapBoundingOp {
  op: "capBounding";
  keep: bigint;
}

/** setgroups + setresgid + setresuid, keeping capabilities across the switch. */
export interface SetUserOp {
  op: "setUser";
  uid: number;
  gid: number;
  groups: number[];
  /** setgroups(2) is denied in user namespaces with setgroups=deny. */
  setGroups: boolean;
}

/** capset(2) effective/permitted/inheritable, then raise the ambient set. */
export interface CapSetOp {
  op: "capSet";
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

/** prctl(PR_SET_NO_NEW_PRIVS). */
export interface NoNewPrivsOp {
  op: "noNewPrivs";
}

/** Mark every fd >= firstToClose close-on-exec (preserve-fds keep 3..3+N-1). */
export interface CloseFdsOp {
  op: "closeFds";
  firstToClose: number;
}

/** execve the program found by `resolveExec`. */
export interface ExecOp {
  op: "exec";
  args: string[];
  env: string[];
}

/** One step of the plan. */
export type PlanOp =
  | JoinNsOp
  | TimeOffsetsOp
  | OpenFifoOp
  | CloneOp
  | SyncOp
  | BecomeRootOp
  | SetsidOp
  | HostnameOp
  | DomainnameOp
  | KeyringOp
  | PropagationOp
  | OpenRootOp
  | MountOp
  | RemountOp
  | MountSetattrOp
  | CopyUpOp
  | MkdirOp
  | MknodOp
  | SymlinkOp
  | HookOp
  | PivotRootOp
  | ChrootOp
  | MaskOp
  | ReadonlyPathOp
  | ReadonlyRootOp
  | WriteFileOp
  | RlimitOp
  | PersonalityOp
  | SchedulerOp
  | IoPriorityOp
  | CpuAffinityOp
  | CloseSyncOp
  | WaitStartOp
  | ResolveExecOp
  | ChdirOp
  | UmaskOp
  | CapBoundingOp
  | SetUserOp
  | CapSetOp
  | NoNewPrivsOp
  | CloseFdsOp
  | ExecOp
  | EnterContainerOp
  | OpenPtyOp
  | KeepAfterParentOp
  | UnshareOp
  | JoinCgroupOp
  | SeccompOp
  | SeccompLoadOp
  | DumpableOp
  | DetachMountOp;

/** A whole plan. */
export type Plan = PlanOp[];

/** Wire codes of the ops; libcore/plan.h has the same table. */
export const OP_CODES: Readonly<Record<PlanOp["op"], number>> = {
  joinNs: 1,
  timeOffsets: 2,
  openFifo: 3,
  clone: 4,
  sync: 5,
  becomeRoot: 6,
  setsid: 7,
  hostname: 8,
  domainname: 9,
  keyring: 10,
  propagation: 11,
  openRoot: 12,
  mount: 13,
  remount: 14,
  mountSetattr: 15,
  copyUp: 16,
  mkdir: 17,
  mknod: 18,
  symlink: 19,
  hook: 20,
  pivotRoot: 21,
  chroot: 22,
  mask: 23,
  readonlyPath: 24,
  readonlyRoot: 25,
  writeFile: 26,
  rlimit: 27,
  personality: 28,
  scheduler: 29,
  ioPriority: 30,
  cpuAffinity: 31,
  closeSync: 32,
  waitStart: 33,
  resolveExec: 34,
  chdir: 35,
  umask: 36,
  capBounding: 37,
  setUser: 38,
  capSet: 39,
  noNewPrivs: 40,
  closeFds: 41,
  exec: 42,
  enterContainer: 43,
  openPty: 44,
  keepAfterParent: 45,
  unshare: 46,
  joinCgroup: 47,
  seccomp: 48,
  seccompLoad: 49,
  dumpable: 50,
  detachMount: 51,
};

/** Wire codes of sync phases; libcore/plan.h has the same table. */
export const PHASE_CODES: Readonly<Record<SyncPhase, number>> = {
  ready: 1,
  prestart: 2,
  created: 3,
};

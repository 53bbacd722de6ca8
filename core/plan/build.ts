/**
 * buildPlan(): a validated config plus command-line options in, the executor's plan
 * out. Pure: everything it needs from the host comes in `host`, gathered beforehand at
 * the edge that does I/O (core/lifecycle/host_facts.ts), so plans are unit-tested by
 * comparing values.
 *
 * The order follows runc's init and runtime-spec's lifecycle: namespaces, report the pid
 * (tsrunc writes id maps), mounts in config order, /dev, prestart/createRuntime hooks
 * (run by tsrunc), createContainer hooks, pivot_root, masks, process attributes,
 * report created, wait for `start`, startContainer hooks, execve.
 */
import type { OciSpec } from "../spec/types.ts";
import { checkCreatable } from "../spec/semantics.ts";
import { TsruncError } from "../../base/errors.ts";
import { MS, parseMountOptions } from "./mount_options.ts";
import type { Plan, PlanOp, SeccompLoadOp, SeccompOp } from "./ops.ts";
import { type Origins, tag, tagged } from "./origins.ts";
import { seccompOp } from "./seccomp.ts";
import { sysctlOps } from "./sysctl.ts";
import {
  CAPABILITIES,
  DEVICE_TYPES,
  IOPRIO_CLASSES,
  NAMESPACE_FLAGS,
  PERSONALITY_DOMAINS,
  PROC_SUPER_MAGIC,
  RLIMITS,
  SCHED_FLAGS,
  SCHED_POLICIES,
} from "./tables.ts";

/** What buildPlan needs to know about the host. */
export interface HostFacts {
  /** cgroup v1 hierarchies to show in a `cgroup` mount: name and host directory. */
  cgroupV1: { name: string; hostPath: string }[];
  /** Bind sources (absolute host paths) that exist and are not directories. */
  fileSources: ReadonlySet<string>;
  /** Whether the host has /proc/kcore, for the /dev/core link. */
  hasKcore: boolean;
  /** HOME of the process user from the rootfs' /etc/passwd, when the config sets none. */
  home?: string;
  /** Linux security modules the host has enabled. */
  lsm?: { apparmor: boolean; selinux: boolean };
  /**
   * The host's whole procfs and sysfs mounts outside the rootfs (--no-pivot only: they
   * stay in the container's mount namespace after a chroot).
   */
  hostPseudoFsMounts?: string[];
  /**
   * tsrunc runs without CAP_SYS_PTRACE (rootless): it can write the /proc files of the
   * executor (id maps, oom_score_adj) only while the executor is dumpable.
   */
  unprivilegedCaller?: boolean;
  /** The network namespace the config joins by path is tsrunc's own. */
  netnsIsHost?: boolean;
}

/** Everything that decides a plan. */
export interface PlanInput {
  spec: OciSpec;
  id: string;
  /** Absolute host path of the bundle. */
  bundle: string;
  /** Absolute host path of the rootfs. */
  rootfs: string;
  /** Host path of the exec fifo `start` opens. */
  fifoPath: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /** fd (in the executor) of a cgroup.procs the init joins just before execve. */
  lateCgroupFd?: number;
  /** Rootless with a single gid mapped: setgroups(2) is denied in the container. */
  setgroupsDenied?: boolean;
  /** The terminal is proxied by tsrunc (no console socket). */
  proxiedTerminal?: boolean;
  host: HostFacts;
}

/** A plan, the warnings met while building it, and the config path each op came from. */
export interface BuiltPlan {
  plan: Plan;
  warnings: string[];
  origins: Origins;
}

/** runc's default devices (libcontainer/specconv AllowedDevices with create). */
const DEFAULT_DEVICES = [
  { path: "/dev/null", major: 1, minor: 3 },
  { path: "/dev/zero", major: 1, minor: 5 },
  { path: "/dev/full", major: 1, minor: 7 },
  { path: "/dev/tty", major: 5, minor: 0 },
  { path: "/dev/urandom", major: 1, minor: 9 },
  { path: "/dev/random", major: 1, minor: 8 },
];

/** Where the host's cgroup2 hierarchy is (runc's fs2.UnifiedMountpoint). */
const CGROUP2_MOUNTPOINT = "/sys/fs/cgroup";

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const S_IFCHR = 0o020000;

/** Build the plan for `create`. */
export function buildPlan(input: PlanInput): BuiltPlan {
  const { spec } = input;
  const warnings: string[] = [];
  checkCreatable(spec);
  const process = spec.process!;
  const linux = spec.linux ?? {};
  const namespaces = linux.namespaces ?? [];
  const created = new Set(namespaces.filter((n) => !n.path).map((n) => n.type));
  // Without a mount namespace of its own the container's mounts are made in tsrunc's
  // (the spec: it inherits the runtime's namespace), as runc makes them.
  const ownMountNs = namespaces.some((n) => n.type === "mount");
  const newUserNs = created.has("user");

  // oom_score_adj is written by the executor for itself, while it is still in the host's
  // namespaces (the init inherits it): inside a user namespace the non-dumpable init could
  // not open its own /proc/self/oom_score_adj (owned by the host's root).
  const plan: PlanOp[] = oomScoreAdjOps(process, input.host.unprivilegedCaller === true);
  const origins: Origins = new Map();
  tag(origins, "process.oomScoreAdj", ...plan);
  // Join existing namespaces: user first (it grants the rights to join the others),
  // mount last (joining it changes how the later paths resolve).
  const joins = namespaces.filter((n) => n.path);
  const rank = (t: string) => (t === "user" ? 0 : t === "mount" ? 2 : 1);
  for (const ns of [...joins].sort((a, b) => rank(a.type) - rank(b.type))) {
    const join: PlanOp = { op: "joinNs", nsType: NAMESPACE_FLAGS[ns.type], path: ns.path! };
    tag(origins, `linux.namespaces[${namespaces.indexOf(ns)}]`, join);
    plan.push(join);
  }
  if (created.has("time")) {
    const offsets = linux.timeOffsets ?? {};
    tagged(plan, origins, "linux.timeOffsets", () =>
      plan.push({
        op: "timeOffsets",
        monotonicSecs: offsets.monotonic?.secs ?? 0,
        monotonicNanosecs: offsets.monotonic?.nanosecs ?? 0,
        boottimeSecs: offsets.boottime?.secs ?? 0,
        boottimeNanosecs: offsets.boottime?.nanosecs ?? 0,
      }));
  }
  plan.push({ op: "openFifo", path: input.fifoPath });
  // The time namespace was made by timeOffsets; the cgroup one comes after placement.
  let cloneFlags = 0;
  for (const type of created) {
    if (type !== "time" && type !== "cgroup") cloneFlags |= NAMESPACE_FLAGS[type];
  }
  // In a new user namespace its root may not reach the bind sources (a 0700 directory of
  // the host's root): the executor opens them for it.
  const mountSources = newUserNs ? bindSources(input) : [];
  tagged(plan, origins, "linux.namespaces", () =>
    plan.push({
      op: "clone",
      flags: cloneFlags,
      kind: "init",
      ...(mountSources.length > 0 ? { mountSources } : {}),
    }));

  // In the init: tsrunc writes the id maps and puts it in its cgroups while it waits here.
  // A caller without CAP_SYS_PTRACE can write the maps of a dumpable process only; the
  // init is alone in its new user namespace then, and no process of the container exists.
  const mapsWindow = newUserNs && input.host.unprivilegedCaller === true;
  if (mapsWindow) plan.push({ op: "dumpable", dumpable: true });
  plan.push({ op: "sync", phase: "ready", waitReply: true });
  if (mapsWindow) plan.push({ op: "dumpable", dumpable: false });
  // The cgroup namespace is made where the init is in all its cgroups: here, or after
  // its late join of the memory cgroup (below).
  const cgroupNs = created.has("cgroup");
  const unshareCgroup: PlanOp = { op: "unshare", flags: NAMESPACE_FLAGS.cgroup };
  tag(origins, "linux.namespaces", unshareCgroup);
  if (cgroupNs && input.lateCgroupFd === undefined) plan.push(unshareCgroup);
  if (newUserNs) plan.push({ op: "becomeRoot" });
  plan.push({ op: "setsid" });
  // runc's session keyring: "_ses.<id>", searchable by the container's user (KEY_USR_SEARCH).
  if (!input.noNewKeyring) {
    plan.push({ op: "keyring", name: `_ses.${input.id}`, permAdd: 0x080000 });
  }
  // In the container's uts namespace (checkCreatable).
  if (spec.hostname) {
    tagged(plan, origins, "hostname", () => plan.push({ op: "hostname", name: spec.hostname! }));
  }
  if (spec.domainname) {
    tagged(
      plan,
      origins,
      "domainname",
      () => plan.push({ op: "domainname", name: spec.domainname! }),
    );
  }

  pushRootfs(plan, input, { newUserNs, ownMountNs, mountSources, origins });
  // The file system is set up: what the init does from here on is small enough for any
  // memory limit (the user switch drops the rights to make a cgroup namespace).
  if (input.lateCgroupFd !== undefined) {
    plan.push({ op: "joinCgroup", fd: input.lateCgroupFd });
    if (cgroupNs) plan.push(unshareCgroup);
  }

  if (process.terminal) pushOpenPty(plan, process, input.proxiedTerminal === true, origins);
  if (linux.personality) {
    const domain = PERSONALITY_DOMAINS[linux.personality.domain ?? "LINUX"];
    if (domain === undefined) {
      throw new TsruncError(
        `config.json: linux.personality.domain: unknown domain "${linux.personality.domain}"`,
      );
    }
    tagged(
      plan,
      origins,
      "linux.personality",
      () => plan.push({ op: "personality", persona: domain }),
    );
  }
  const seccomp = linux.seccomp
    ? seccompOp(linux.seccomp, "config.json: linux.seccomp")
    : undefined;
  // Inherited descriptors are marked close-on-exec before any filter is loaded (early or
  // late): the filter may not allow close_range, and nothing but the wait and execve
  // may need allowing after it.
  plan.push({ op: "closeFds", firstToClose: 3 + input.preserveFds });
  const { env, lateSeccomp, labels } = pushProcess(plan, process, {
    home: input.host.home,
    where: "config.json: process",
    warnings,
    seccomp,
    lsm: input.host.lsm,
    setgroupsDenied: input.setgroupsDenied,
    origins,
  });
  if (linux.mountLabel && !input.host.lsm?.selinux) {
    throw new TsruncError("config.json: linux.mountLabel: SELinux is not enabled on this system");
  }

  // From `created` on the init outlives the create that made it: drop the parent-death
  // signal before saying so (tsrunc may exit the moment it reads it; a create that fails
  // after that kills the init itself).
  plan.push({ op: "keepAfterParent" });
  plan.push({ op: "sync", phase: "created", waitReply: false });
  plan.push({ op: "closeSync" });
  plan.push(...labels);
  // The filter before the wait, as runc: a created container's init must not be an
  // unfiltered process the container's own processes could make do a denied syscall.
  // Only the wait, the startContainer hooks (under the filter, as runc) and execve follow.
  if (lateSeccomp) plan.push(lateSeccomp);
  plan.push({ op: "waitStart" });
  (spec.hooks?.startContainer ?? []).forEach((hook, i) =>
    tagged(plan, origins, `hooks.startContainer[${i}]`, () => plan.push(hookOp(hook, "created")))
  );
  tagged(plan, origins, "process.args", () => plan.push({ op: "exec", args: process.args!, env }));
  return { plan, warnings, origins };
}

export type OciProcess = NonNullable<OciSpec["process"]>;

/** What pushProcess needs besides the process. */
export interface ProcessOptions {
  /** HOME from the container's /etc/passwd when the env sets none. */
  home?: string;
  /** Names the process in errors: "config.json: process" or "process.json: process". */
  where: string;
  warnings: string[];
  /** The filter, built here and loaded early or late (see there). */
  seccomp?: SeccompOp;
  /** Linux security modules the host has enabled. */
  lsm?: { apparmor: boolean; selinux: boolean };
  /** The user namespace denies setgroups(2) (rootless). */
  setgroupsDenied?: boolean;
  /** Where each op's origin (a `process.*` path) is recorded. */
  origins?: Origins;
}

/**
 * The process attributes, for the init and for `exec`: those that need root in the
 * container, then cwd and the program's lookup, then the user switch with its
 * capabilities. Returns the environment for `exec`. `where` names the process in errors.
 */
export function pushProcess(
  plan: PlanOp[],
  process: OciProcess,
  options: ProcessOptions,
): { env: string[]; lateSeccomp?: SeccompLoadOp; labels: PlanOp[] } {
  const { home, where, warnings, seccomp, setgroupsDenied = false, origins } = options;
  const from = <T>(path: string, push: () => T) => tagged(plan, origins, path, push);
  const lsm = options.lsm ?? { apparmor: false, selinux: false };
  const labels = lsmLabelOps(process, where, lsm, origins);
  (process.rlimits ?? []).forEach((limit, i) => {
    const resource = RLIMITS[limit.type];
    if (resource === undefined) {
      throw new TsruncError(`${where}.rlimits: unknown rlimit "${limit.type}"`);
    }
    from(`process.rlimits[${i}]`, () =>
      plan.push({
        op: "rlimit",
        resource,
        soft: rlimitValue(limit.soft),
        hard: rlimitValue(limit.hard),
      }));
  });
  if (process.scheduler) {
    const scheduler = process.scheduler;
    from("process.scheduler", () => plan.push(schedulerOp(scheduler)));
  }
  if (process.ioPriority) {
    const cls = IOPRIO_CLASSES[process.ioPriority.class];
    if (cls === undefined) {
      throw new TsruncError(
        `${where}.ioPriority.class: unknown class "${process.ioPriority.class}"`,
      );
    }
    const value = (cls << 13) | (process.ioPriority.priority ?? 0);
    from("process.ioPriority", () => plan.push({ op: "ioPriority", value }));
  }
  const finalCpus = process.execCPUAffinity?.final;
  if (finalCpus) {
    const cpus = parseCpuList(finalCpus, `${where}.execCPUAffinity.final`);
    from("process.execCPUAffinity.final", () => plan.push({ op: "cpuAffinity", cpus }));
  }

  const env = processEnv(process.env ?? [], home, where);
  const cwd = process.cwd ?? "/";
  from("process.cwd", () => plan.push({ op: "chdir", path: cwd }));
  from("process.args", () =>
    plan.push({
      op: "resolveExec",
      program: process.args![0],
      searchPath: envValue(env, "PATH") ?? DEFAULT_PATH,
      cwd,
    }));

  // seccomp as late as possible: just before execve when no_new_privs allows loading it
  // without rights; else while CAP_SYS_ADMIN is still there (as runc). A notify filter
  // needs tsrunc at the other end of the sync socket: before `created`.
  const early = seccomp && (!process.noNewPrivileges || seccomp.notify);
  // Built here in any case, so that its errors show at create; loaded here or late.
  if (seccomp) from("linux.seccomp", () => plan.push({ ...seccomp, loadNow: Boolean(early) }));
  const caps = process.capabilities ?? {};
  const mask = (set: string, names: readonly string[] | undefined) =>
    capabilityMask(names ?? [], `${where}.capabilities.${set}`, warnings);
  from(
    "process.capabilities.bounding",
    () => plan.push({ op: "capBounding", keep: mask("bounding", caps.bounding) }),
  );
  const user = process.user ?? { uid: 0, gid: 0 };
  if (setgroupsDenied && (user.additionalGids ?? []).length > 0) {
    throw new TsruncError(
      `${where}.user.additionalGids: a rootless container without newgidmap cannot have additional groups`,
    );
  }
  from("process.user", () =>
    plan.push({
      op: "setUser",
      uid: user.uid ?? 0,
      gid: user.gid ?? 0,
      groups: user.additionalGids ?? [],
      setGroups: !setgroupsDenied,
    }));
  from("process.user.umask", () => plan.push({ op: "umask", mask: user.umask ?? 0o022 }));
  from("process.capabilities", () =>
    plan.push({
      op: "capSet",
      effective: mask("effective", caps.effective),
      permitted: mask("permitted", caps.permitted),
      inheritable: mask("inheritable", caps.inheritable),
      ambient: mask("ambient", caps.ambient),
    }));
  if (process.noNewPrivileges) {
    from("process.noNewPrivileges", () => plan.push({ op: "noNewPrivs" }));
  }
  const lateSeccomp: SeccompLoadOp | undefined = seccomp && !early
    ? { op: "seccompLoad" }
    : undefined;
  if (lateSeccomp) tag(origins, "linux.seccomp", lateSeccomp);
  return { env, lateSeccomp, labels };
}

/**
 * process.oomScoreAdj, written by the executor for itself before it clones (or enters the
 * container): the process inherits it. An unprivileged caller's executor is made dumpable
 * for the write (its /proc/self files are root's otherwise); it is still in the host's
 * namespaces, out of the container's reach.
 */
export function oomScoreAdjOps(process: OciProcess, unprivilegedCaller: boolean): PlanOp[] {
  if (process.oomScoreAdj === undefined) return [];
  const write: PlanOp = {
    op: "writeFile",
    path: "/proc/self/oom_score_adj",
    content: String(process.oomScoreAdj),
    fsMagic: PROC_SUPER_MAGIC,
  };
  if (!unprivilegedCaller) return [write];
  return [{ op: "dumpable", dumpable: true }, write, { op: "dumpable", dumpable: false }];
}

/**
 * AppArmor profile and SELinux label of the process: written to /proc/self/attr just
 * before execve (they apply from it on). Asked for on a host without that LSM: an error,
 * as runc's ("apparmor/selinux is not enabled on this system").
 */
function lsmLabelOps(
  process: OciProcess,
  where: string,
  lsm: { apparmor: boolean; selinux: boolean },
  origins: Origins | undefined,
): PlanOp[] {
  const ops: PlanOp[] = [];
  if (process.apparmorProfile) {
    if (!lsm.apparmor) {
      throw new TsruncError(
        `${where}.apparmorProfile: AppArmor is not enabled on this system (profile "${process.apparmorProfile}")`,
      );
    }
    ops.push({
      op: "writeFile",
      path: "/proc/self/attr/apparmor/exec",
      content: `exec ${process.apparmorProfile}`,
      fsMagic: PROC_SUPER_MAGIC,
    });
    tag(origins, "process.apparmorProfile", ops[ops.length - 1]);
  }
  if (process.selinuxLabel) {
    if (!lsm.selinux) {
      throw new TsruncError(
        `${where}.selinuxLabel: SELinux is not enabled on this system (label "${process.selinuxLabel}")`,
      );
    }
    ops.push({
      op: "writeFile",
      path: "/proc/self/attr/exec",
      content: process.selinuxLabel,
      fsMagic: PROC_SUPER_MAGIC,
    });
    tag(origins, "process.selinuxLabel", ops[ops.length - 1]);
  }
  return ops;
}

/** openPty with the config's consoleSize (0 × 0: leave the pty's size to tsrunc). */
export function pushOpenPty(
  plan: PlanOp[],
  process: OciProcess,
  proxied: boolean,
  origins: Origins,
): void {
  const size = process.consoleSize;
  const op: PlanOp = {
    op: "openPty",
    rows: size?.height ?? 0,
    columns: size?.width ?? 0,
    clearOnlcr: proxied,
    uid: process.user?.uid ?? 0,
  };
  tag(origins, "process.terminal", op);
  plan.push(op);
}

/** What pushRootfs needs to know of the container's namespaces and its plan. */
interface RootfsContext {
  newUserNs: boolean;
  /** The container has a mount namespace (new or joined): else its mounts are tsrunc's. */
  ownMountNs: boolean;
  mountSources: readonly string[];
  origins: Origins;
}

/** Mounts, /dev, hooks around pivot_root, masks and read-only paths. */
function pushRootfs(
  plan: PlanOp[],
  input: PlanInput,
  { newUserNs, ownMountNs, mountSources, origins }: RootfsContext,
) {
  const { spec } = input;
  const linux = spec.linux ?? {};
  const from = <T>(path: string, push: () => T) => tagged(plan, origins, path, push);
  if (ownMountNs) {
    // Keep the container's mounts from propagating to the host: runc's default is
    // rslave. A shared / would make pivot_root fail: "shared" is applied only after it.
    const requested = linux.rootfsPropagation ? propagationFlag(linux.rootfsPropagation) : 0;
    const rootPropagation = requested && !(requested & MS.SHARED) ? requested : MS.SLAVE | MS.REC;
    const op: PlanOp = { op: "propagation", path: "/", flags: rootPropagation };
    if (rootPropagation === requested) tag(origins, "linux.rootfsPropagation", op);
    plan.push(op);
  }
  from("root.path", () => plan.push({ op: "openRoot", path: input.rootfs }));
  if (!ownMountNs) {
    // In the caller's mount namespace the caller's / is left as it is (runc makes it
    // rslave): the rootfs' own bind is made private instead, so that the mounts below it
    // reach no other mount namespace. delete takes that bind away with all below it.
    plan.push({ op: "propagation", path: input.rootfs, flags: MS.PRIVATE | MS.REC });
  }

  const mounts = spec.mounts ?? [];
  const readonlyLater: PlanOp[] = [];
  mounts.forEach((mount, index) =>
    from(
      `mounts[${index}]`,
      () => pushMount(plan, input, mount, index, { readonlyLater, mountSources, origins }),
    )
  );

  const devBound = mounts.some((m) => cleanPath(m.destination) === "/dev" && isBindMount(m));
  if (!devBound) pushDevices(plan, input, newUserNs, origins);

  // runc creates a missing cwd (before / may become read-only).
  const cwd = spec.process?.cwd;
  if (cwd && cleanPath(cwd) !== "/") {
    from(
      "process.cwd",
      () => plan.push({ op: "mkdir", target: cleanPath(cwd), mode: 0o755, purpose: "process.cwd" }),
    );
  }

  plan.push({ op: "sync", phase: "prestart", waitReply: true });
  (spec.hooks?.createContainer ?? []).forEach((hook, i) =>
    from(`hooks.createContainer[${i}]`, () => plan.push(hookOp(hook, "creating")))
  );

  if (!ownMountNs) {
    // The caller's / stays where it is.
    plan.push({ op: "chroot", moveRoot: false });
  } else if (input.noPivot) {
    // After a chroot the host's mounts are still in the container's mount namespace: a
    // whole procfs among them would let the container mount a fresh, unmasked one (the
    // kernel allows that while one is fully visible), so they go first, as with runc.
    for (const path of input.host.hostPseudoFsMounts ?? []) plan.push({ op: "detachMount", path });
    plan.push({ op: "chroot", moveRoot: true });
  } else {
    plan.push({ op: "pivotRoot" });
  }
  if (linux.rootfsPropagation) {
    const flags = propagationFlag(linux.rootfsPropagation);
    from("linux.rootfsPropagation", () => plan.push({ op: "propagation", path: "/", flags }));
  }
  from("linux.sysctl", () => plan.push(...sysctlOps(spec, input.host.netnsIsHost === true)));
  // Fail closed: a path under /proc must resolve onto the procfs the plan mounted there,
  // never onto some other file a symlink or a volume put in the way.
  const fsMagicOf = procFsOf(spec.mounts ?? []);
  (linux.readonlyPaths ?? []).forEach((path, i) =>
    from(
      `linux.readonlyPaths[${i}]`,
      () => plan.push({ op: "readonlyPath", path, fsMagic: fsMagicOf(path) }),
    )
  );
  (linux.maskedPaths ?? []).forEach((path, i) =>
    from(
      `linux.maskedPaths[${i}]`,
      () => plan.push({ op: "mask", path, fsMagic: fsMagicOf(path) }),
    )
  );
  plan.push(...readonlyLater);
  if (spec.root?.readonly) from("root.readonly", () => plan.push({ op: "readonlyRoot" }));
}

export type SpecMount = NonNullable<OciSpec["mounts"]>[number];

/**
 * Whether a config mount is a bind: a `bind`/`rbind` option, or type "bind" even without
 * one (runc 1.1.5 fails on that: "no such device").
 */
export function isBindMount(mount: SpecMount): boolean {
  return mount.type === "bind" || parseMountOptions(mount.options ?? []).bind;
}

/** The host paths of the config's bind mounts, each once. */
function bindSources(input: PlanInput): string[] {
  const sources = new Set<string>();
  for (const mount of input.spec.mounts ?? []) {
    if (isBindMount(mount)) sources.add(hostPath(input.bundle, mount.source ?? ""));
  }
  return [...sources];
}

/**
 * The statfs magic a container path must be on: procfs below a /proc the config mounts
 * proc on; 0 (anything) elsewhere. (Not sysfs: engines mask paths such as
 * /sys/fs/selinux that are other file systems on the host.)
 */
function procFsOf(mounts: readonly SpecMount[]): (path: string) => number {
  const proc = mounts.some((m) => m.type === "proc" && cleanPath(m.destination) === "/proc");
  return (path) => proc && cleanPath(path).startsWith("/proc/") ? PROC_SUPER_MAGIC : 0;
}

/** What pushMount adds to besides the plan, and the bind sources opened for the init. */
interface MountContext {
  /** Remounts read-only that come at the end (read-only tmpfs and /dev). */
  readonlyLater: PlanOp[];
  /** CloneOp.mountSources: a bind from one of them names it by index. */
  mountSources: readonly string[];
  origins: Origins;
}

function pushMount(
  plan: PlanOp[],
  input: PlanInput,
  mount: SpecMount,
  index: number,
  { readonlyLater, mountSources, origins }: MountContext,
) {
  const where = `config.json: mounts[${index}]`;
  const target = cleanPath(mount.destination);
  const options = parseMountOptions(mount.options ?? []);
  if (options.idmap) {
    throw new TsruncError(`${where}.options: idmap mounts are not supported yet`);
  }
  const fstype = mount.type ?? "";
  const data = options.data.join(",");
  const flags = options.flags & ~(MS.BIND | MS.REC | MS.REMOUNT);

  // isBindMount()'s rule, on the options parsed above.
  if (options.bind || fstype === "bind") {
    const source = hostPath(input.bundle, mount.source ?? "");
    const kind = input.host.fileSources.has(source) ? "file" : "dir";
    const sourceFd = mountSources.indexOf(source);
    plan.push({
      op: "mount",
      source,
      target,
      fstype: "",
      flags: MS.BIND | (options.recursiveBind ? MS.REC : 0),
      data: "",
      kind,
      ...(sourceFd >= 0 ? { sourceFd } : {}),
    });
    // A bind mount ignores every other flag: apply them with a remount.
    if (flags !== 0) plan.push({ op: "remount", target, flags: MS.BIND | flags });
  } else if (fstype === "cgroup" || fstype === "cgroup2") {
    pushCgroupMount(plan, input, target, fstype, options.flags);
  } else {
    if (options.tmpcopyup) plan.push({ op: "copyUp", target });
    // A read-only tmpfs (or /dev) is mounted writable and made read-only at the end, as
    // runc does: /dev/pts, /dev/shm, devices and tmpcopyup still have to go in it.
    const laterReadonly = (flags & MS.RDONLY) !== 0 && (fstype === "tmpfs" || target === "/dev");
    plan.push({
      op: "mount",
      source: mount.source ?? fstype,
      target,
      fstype,
      flags: laterReadonly ? flags & ~MS.RDONLY : flags,
      data,
      // procfs and sysfs only on a real directory, as runc ("must be mounted on ordinary
      // directory"): through a symlink they land where a later volume redirects /proc.
      kind: fstype === "proc" || fstype === "sysfs" ? "realDir" : "dir",
    });
    if (laterReadonly) {
      const remount: PlanOp = { op: "remount", target, flags };
      tag(origins, `mounts[${index}]`, remount);
      readonlyLater.push(remount);
    }
  }
  for (const propagation of options.propagation) {
    plan.push({ op: "propagation", path: relative(target), flags: propagation });
  }
  if (options.attrSet || options.attrClr) {
    plan.push({
      op: "mountSetattr",
      target,
      attrSet: options.attrSet,
      attrClr: options.attrClr,
      propagation: 0,
    });
  }
}

/**
 * A `cgroup` mount on a v1 host is a tmpfs with one bind per hierarchy, each showing the
 * container's own cgroup (what a cgroup namespace shows as "/"); on a v2 host it is cgroup2.
 */
function pushCgroupMount(
  plan: PlanOp[],
  input: PlanInput,
  target: string,
  fstype: string,
  flags: number,
) {
  const hierarchies = input.host.cgroupV1;
  const mountFlags = flags & ~(MS.BIND | MS.REC | MS.REMOUNT);
  const namespaces = input.spec.linux?.namespaces ?? [];
  const creates = (type: string) => namespaces.some((n) => n.type === type && !n.path);
  if (hierarchies.length === 0 && creates("user") && !creates("cgroup")) {
    // In a user namespace the kernel lets only a cgroup namespace of its own mount cgroup2
    // (EPERM otherwise, e.g. `spec --rootless` on a v2 host): the host's hierarchy is
    // bound instead, as runc falls back to.
    plan.push({
      op: "mount",
      source: CGROUP2_MOUNTPOINT,
      target,
      fstype: "",
      flags: MS.BIND,
      data: "",
      kind: "dir",
    });
    if (mountFlags !== 0) plan.push({ op: "remount", target, flags: MS.BIND | mountFlags });
    return;
  }
  if (fstype === "cgroup2" || hierarchies.length === 0) {
    plan.push({
      op: "mount",
      source: "cgroup2",
      target,
      fstype: "cgroup2",
      flags: mountFlags,
      data: "",
      kind: "dir",
    });
    return;
  }
  const perMount = mountFlags & ~MS.RDONLY;
  plan.push({
    op: "mount",
    source: "tmpfs",
    target,
    fstype: "tmpfs",
    flags: perMount,
    data: "mode=755",
    kind: "dir",
  });
  for (const h of hierarchies) {
    const sub = `${target}/${h.name}`;
    plan.push({
      op: "mount",
      source: h.hostPath,
      target: sub,
      fstype: "",
      flags: MS.BIND,
      data: "",
      kind: "dir",
    });
    plan.push({ op: "remount", target: sub, flags: MS.BIND | mountFlags });
  }
  if (mountFlags & MS.RDONLY) plan.push({ op: "remount", target, flags: mountFlags });
}

/** The default devices, linux.devices, and /dev's links (runc's createDevices + setupPtmx). */
function pushDevices(
  plan: PlanOp[],
  input: PlanInput,
  newUserNs: boolean,
  origins: Origins,
) {
  const devices = input.spec.linux?.devices ?? [];
  const all = [
    ...DEFAULT_DEVICES.filter((d) => !devices.some((c) => cleanPath(c.path) === d.path)).map((
      d,
    ) => ({
      ...d,
      mode: S_IFCHR | 0o666,
      uid: 0,
      gid: 0,
      origin: undefined as string | undefined,
    })),
    ...devices.map((d, i) => {
      const type = DEVICE_TYPES[d.type];
      if (type === undefined) {
        throw new TsruncError(`config.json: linux.devices[${i}].type: unknown type "${d.type}"`);
      }
      return {
        path: cleanPath(d.path),
        major: d.major ?? 0,
        minor: d.minor ?? 0,
        mode: type | (d.fileMode ?? 0o666),
        uid: d.uid ?? 0,
        gid: d.gid ?? 0,
        origin: `linux.devices[${i}]`,
      };
    }),
  ];
  for (const d of all) {
    const start = plan.length;
    if (newUserNs) {
      // mknod is not allowed in a user namespace: bind the host's node instead.
      plan.push({
        op: "mount",
        source: d.path,
        target: d.path,
        fstype: "",
        flags: MS.BIND,
        data: "",
        kind: "file",
      });
    } else {
      plan.push({
        op: "mknod",
        target: d.path,
        mode: d.mode,
        major: d.major,
        minor: d.minor,
        uid: d.uid,
        gid: d.gid,
      });
    }
    if (d.origin) tag(origins, d.origin, ...plan.slice(start));
  }
  const links: [string, string][] = [
    ["/proc/self/fd", "/dev/fd"],
    ["/proc/self/fd/0", "/dev/stdin"],
    ["/proc/self/fd/1", "/dev/stdout"],
    ["/proc/self/fd/2", "/dev/stderr"],
  ];
  if (input.host.hasKcore) links.push(["/proc/kcore", "/dev/core"]);
  const hasPts = (input.spec.mounts ?? []).some((m) => cleanPath(m.destination) === "/dev/pts");
  if (hasPts) links.push(["pts/ptmx", "/dev/ptmx"]);
  for (const [linkTarget, target] of links) plan.push({ op: "symlink", linkTarget, target });
}

function hookOp(
  hook: { path: string; args?: string[]; env?: string[]; timeout?: number },
  status: "creating" | "created",
): PlanOp {
  return {
    op: "hook",
    path: hook.path,
    args: hook.args ?? [hook.path],
    env: hook.env ?? [],
    timeoutSecs: hook.timeout ?? 0,
    status,
    inRootfsDir: status === "creating",
  };
}

function schedulerOp(s: NonNullable<NonNullable<OciSpec["process"]>["scheduler"]>): PlanOp {
  const policy = SCHED_POLICIES[s.policy];
  if (policy === undefined) {
    throw new TsruncError(`config.json: process.scheduler.policy: unknown policy "${s.policy}"`);
  }
  let flags = 0;
  for (const [i, name] of (s.flags ?? []).entries()) {
    const flag = SCHED_FLAGS[name];
    if (flag === undefined) {
      throw new TsruncError(`config.json: process.scheduler.flags[${i}]: unknown flag "${name}"`);
    }
    flags |= flag;
  }
  return {
    op: "scheduler",
    policy,
    nice: s.nice ?? 0,
    priority: s.priority ?? 0,
    flags,
    runtime: s.runtime ?? 0,
    deadline: s.deadline ?? 0,
    period: s.period ?? 0,
  };
}

function propagationFlag(value: string): number {
  const flags: Record<string, number> = {
    private: MS.PRIVATE,
    rprivate: MS.PRIVATE | MS.REC,
    shared: MS.SHARED,
    rshared: MS.SHARED | MS.REC,
    slave: MS.SLAVE,
    rslave: MS.SLAVE | MS.REC,
    unbindable: MS.UNBINDABLE,
    runbindable: MS.UNBINDABLE | MS.REC,
  };
  const flag = flags[value];
  if (flag === undefined) {
    throw new TsruncError(`config.json: linux.rootfsPropagation: unknown value "${value}"`);
  }
  return flag;
}

/** Capability names to a 64-bit mask; unknown names are warned about and skipped, as runc. */
export function capabilityMask(
  names: readonly string[],
  where: string,
  warnings: string[],
): bigint {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITIES.indexOf(name.toUpperCase());
    if (bit < 0) {
      warnings.push(`${where}: unknown capability "${name}" ignored`);
      continue;
    }
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** A "0-3,7" CPU list as numbers. */
export function parseCpuList(list: string, where: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(",").map((p) => p.trim()).filter(Boolean)) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new TsruncError(`${where}: invalid CPU list "${list}"`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new TsruncError(`${where}: invalid CPU list "${list}"`);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** RLIM_INFINITY is 2^64-1, beyond what a JSON number holds exactly: anything ≥ 2^63 is it. */
function rlimitValue(value: number): number {
  return value >= 2 ** 63 ? -1 : value;
}

/**
 * The environment as runc's init makes it: every entry must be NAME=value; a name given
 * twice keeps its first place and its last value; HOME is added when missing.
 */
function processEnv(env: readonly string[], home: string | undefined, where: string): string[] {
  const out: string[] = [];
  const index = new Map<string, number>();
  for (const entry of env) {
    const eq = entry.indexOf("=");
    if (eq <= 0) throw new TsruncError(`${where}.env: invalid environment variable "${entry}"`);
    const name = entry.slice(0, eq);
    const at = index.get(name);
    if (at === undefined) {
      index.set(name, out.length);
      out.push(entry);
    } else {
      out[at] = entry;
    }
  }
  if (home !== undefined && !index.has("HOME")) out.push(`HOME=${home}`);
  return out;
}

function envValue(env: readonly string[], name: string): string | undefined {
  const prefix = `${name}=`;
  for (let i = env.length - 1; i >= 0; i--) {
    if (env[i].startsWith(prefix)) return env[i].slice(prefix.length);
  }
  return undefined;
}

/** A container path made absolute and free of "." and repeated slashes. */
export function cleanPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

function relative(path: string): string {
  return path.replace(/^\/+/, "");
}

/** A host path from the config: relative ones are relative to the bundle, as with runc. */
export function hostPath(bundle: string, path: string): string {
  if (path.startsWith("/")) return path;
  return `${bundle.replace(/\/+$/, "")}/${path}`;
}

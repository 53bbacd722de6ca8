/**
 * TypeScript types of the OCI runtime-spec v1.3.0 container configuration (config.json),
 * mirroring `specs-go/config.go` field by field. Optionality follows the JSON schema
 * (`schema/config-schema.json`, `config-linux.json`, `defs*.json`): a field is required
 * here only when the schema requires it, because that is all validate.ts guarantees.
 *
 * The Linux parts are typed in full; the other platforms' sections are kept so that a
 * config written for them round-trips, but tsrunc never reads them.
 */

/** The runtime-spec `config.json` document. */
export interface OciSpec {
  /** Version of the runtime-spec the document complies with (SemVer). */
  ociVersion: string;
  /** The container's process; optional in the schema, required by `create`. */
  process?: Process;
  /** The container's root filesystem. */
  root?: Root;
  /** Hostname inside the container's UTS namespace. */
  hostname?: string;
  /** NIS domain name inside the container's UTS namespace. */
  domainname?: string;
  /** Additional mounts, in order, on top of the root filesystem. */
  mounts?: Mount[];
  /** Lifecycle hooks. */
  hooks?: Hooks;
  /** Arbitrary metadata. */
  annotations?: Record<string, string>;
  /** Linux-specific configuration. */
  linux?: Linux;
  /** Solaris-specific configuration (not used by tsrunc). */
  solaris?: Record<string, unknown>;
  /** Windows-specific configuration (not used by tsrunc). */
  windows?: Record<string, unknown>;
  /** Virtual-machine-specific configuration (not used by tsrunc). */
  vm?: Record<string, unknown>;
  /** z/OS-specific configuration (not used by tsrunc). */
  zos?: ZosConfig;
  /** FreeBSD-specific configuration (not used by tsrunc). */
  freebsd?: FreeBsdConfig;
}

/** The container's root filesystem. */
export interface Root {
  /** Path to the root filesystem, absolute or relative to the bundle. */
  path: string;
  /** Make the root filesystem read-only. */
  readonly?: boolean;
}

/** One mount of `mounts`. */
export interface Mount {
  /** Path inside the container; absolute (relative paths are deprecated: see validate.ts). */
  destination: string;
  /** Filesystem type (`proc`, `tmpfs`, `bind`, `none`...). */
  type?: string;
  /** Device name, directory (bind mounts) or a dummy. */
  source?: string;
  /** fstab-style options (`nosuid`, `rbind`, `mode=755`...): free strings. */
  options?: string[];
  /** uid mappings of an id-mapped mount. */
  uidMappings?: LinuxIdMapping[];
  /** gid mappings of an id-mapped mount. */
  gidMappings?: LinuxIdMapping[];
}

/** The container's process. */
export interface Process {
  /** Attach a pseudo-terminal to the process. */
  terminal?: boolean;
  /** Initial size of the console (used with `terminal`). */
  consoleSize?: ConsoleSize;
  /** User and groups the process runs as. */
  user?: User;
  /** argv; validate.ts requires a non-empty list. */
  args?: string[];
  /** Full command line (Windows only). */
  commandLine?: string;
  /** Environment, `KEY=value` strings. */
  env?: string[];
  /** Working directory inside the container; absolute. */
  cwd: string;
  /** Capability sets. */
  capabilities?: LinuxCapabilities;
  /** Resource limits (setrlimit). */
  rlimits?: PosixRlimit[];
  /** Set PR_SET_NO_NEW_PRIVS. */
  noNewPrivileges?: boolean;
  /** AppArmor profile to exec into. */
  apparmorProfile?: string;
  /** Value written to /proc/self/oom_score_adj. */
  oomScoreAdj?: number;
  /** Scheduling policy and attributes (sched_setattr). */
  scheduler?: Scheduler;
  /** SELinux label to exec with. */
  selinuxLabel?: string;
  /** I/O priority (ioprio_set). */
  ioPriority?: IoPriority;
  /** CPU affinity at exec time (`runc exec`-style processes and the init). */
  execCPUAffinity?: CpuAffinity;
}

/** Console size in characters. */
export interface ConsoleSize {
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
}

/** User and groups of a process. */
export interface User {
  /** User id in the container. */
  uid?: number;
  /** Group id in the container. */
  gid?: number;
  /** File mode creation mask. */
  umask?: number;
  /** Supplementary group ids. */
  additionalGids?: number[];
  /** User name (Windows only). */
  username?: string;
}

/** Capability sets of a process, as `CAP_*` names. */
export interface LinuxCapabilities {
  /** Bounding set. */
  bounding?: string[];
  /** Effective set. */
  effective?: string[];
  /** Inheritable set. */
  inheritable?: string[];
  /** Permitted set. */
  permitted?: string[];
  /** Ambient set. */
  ambient?: string[];
}

/** One resource limit. */
export interface PosixRlimit {
  /** `RLIMIT_*` name. */
  type: string;
  /** Hard limit; 2^64-1 is RLIM_INFINITY (a JSON number: above 2^53 it is approximate). */
  hard: number;
  /** Soft limit. */
  soft: number;
}

/** Scheduling policies (sched(7)). */
export type SchedulerPolicy =
  | "SCHED_OTHER"
  | "SCHED_FIFO"
  | "SCHED_RR"
  | "SCHED_BATCH"
  | "SCHED_ISO"
  | "SCHED_IDLE"
  | "SCHED_DEADLINE";

/** sched_setattr flags. */
export type SchedulerFlag =
  | "SCHED_FLAG_RESET_ON_FORK"
  | "SCHED_FLAG_RECLAIM"
  | "SCHED_FLAG_DL_OVERRUN"
  | "SCHED_FLAG_KEEP_POLICY"
  | "SCHED_FLAG_KEEP_PARAMS"
  | "SCHED_FLAG_UTIL_CLAMP_MIN"
  | "SCHED_FLAG_UTIL_CLAMP_MAX";

/** Scheduling attributes of a process (sched_setattr(2)). */
export interface Scheduler {
  /** Policy. */
  policy: SchedulerPolicy;
  /** Nice value (SCHED_OTHER, SCHED_BATCH). */
  nice?: number;
  /** Static priority (SCHED_FIFO, SCHED_RR). */
  priority?: number;
  /** Flags. */
  flags?: SchedulerFlag[];
  /** SCHED_DEADLINE runtime, ns. */
  runtime?: number;
  /** SCHED_DEADLINE deadline, ns. */
  deadline?: number;
  /** SCHED_DEADLINE period, ns. */
  period?: number;
}

/** I/O scheduling classes (ioprio_set(2)). */
export type IoPriorityClass = "IOPRIO_CLASS_RT" | "IOPRIO_CLASS_BE" | "IOPRIO_CLASS_IDLE";

/** I/O priority of a process. */
export interface IoPriority {
  /** Class. */
  class: IoPriorityClass;
  /** Priority within the class (0 highest .. 7). */
  priority?: number;
}

/** CPU affinity lists (`0-3,7`) applied around exec. */
export interface CpuAffinity {
  /** Affinity of the process before it joins the container's cgroup. */
  initial?: string;
  /** Affinity of the process right before execve. */
  final?: string;
}

/** One hook. */
export interface Hook {
  /** Absolute path of the executable, on the host (or in the container for some hooks). */
  path: string;
  /** argv, including argv[0]. */
  args?: string[];
  /** Environment, `KEY=value` strings. */
  env?: string[];
  /** Seconds before the hook is killed; at least 1. */
  timeout?: number;
}

/** Lifecycle hooks, by phase. */
export interface Hooks {
  /** Deprecated: after the namespaces exist, before pivot_root (runtime namespace). */
  prestart?: Hook[];
  /** After the namespaces exist, before pivot_root (runtime namespace). */
  createRuntime?: Hook[];
  /** After the namespaces exist, before pivot_root (container namespace). */
  createContainer?: Hook[];
  /** Before the user process is exec'd (container namespace). */
  startContainer?: Hook[];
  /** After the user process started (runtime namespace). */
  poststart?: Hook[];
  /** After the container is deleted (runtime namespace). */
  poststop?: Hook[];
}

/** Namespace kinds (namespaces(7)). */
export type LinuxNamespaceType =
  | "mount"
  | "pid"
  | "network"
  | "uts"
  | "ipc"
  | "user"
  | "cgroup"
  | "time";

/** A namespace to create (no path) or to join (path). */
export interface LinuxNamespace {
  /** Kind. */
  type: LinuxNamespaceType;
  /** `/proc/PID/ns/...`-style file to join instead of creating one. */
  path?: string;
}

/** One line of a uid_map or gid_map. */
export interface LinuxIdMapping {
  /** First id inside the namespace. */
  containerID: number;
  /** First id outside the namespace. */
  hostID: number;
  /** Number of ids. */
  size: number;
}

/** Offset of one clock in a time namespace. */
export interface LinuxTimeOffset {
  /** Seconds. */
  secs?: number;
  /** Nanoseconds. */
  nanosecs?: number;
}

/** Clock offsets of a new time namespace. */
export interface LinuxTimeOffsets {
  /** CLOCK_BOOTTIME offset. */
  boottime?: LinuxTimeOffset;
  /** CLOCK_MONOTONIC offset. */
  monotonic?: LinuxTimeOffset;
}

/** A device node to create in the container. */
export interface LinuxDevice {
  /** Path inside the container. */
  path: string;
  /** `c`, `b`, `u` (unbuffered character) or `p` (fifo). */
  type: string;
  /** Major number. */
  major?: number;
  /** Minor number. */
  minor?: number;
  /** Permission bits (decimal in JSON). */
  fileMode?: number;
  /** Owner. */
  uid?: number;
  /** Group. */
  gid?: number;
}

/** One device cgroup rule. */
export interface LinuxDeviceCgroup {
  /** Allow or deny. */
  allow: boolean;
  /** `a`, `c` or `b`. */
  type?: string;
  /** Major number; absent means all. */
  major?: number;
  /** Minor number; absent means all. */
  minor?: number;
  /** Some of `r`, `w`, `m`. */
  access?: string;
}

/** Memory cgroup settings, in bytes where it applies (-1 is unlimited). */
export interface LinuxMemory {
  /** Memory limit. */
  limit?: number;
  /** Soft limit. */
  reservation?: number;
  /** Memory + swap limit. */
  swap?: number;
  /** Deprecated kernel memory limit. */
  kernel?: number;
  /** Deprecated kernel TCP buffer limit. */
  kernelTCP?: number;
  /** Swappiness (cgroup v1). */
  swappiness?: number;
  /** Disable the OOM killer (cgroup v1). */
  disableOOMKiller?: boolean;
  /** Deprecated hierarchical accounting (cgroup v1). */
  useHierarchy?: boolean;
  /** Refuse an update that sets the limit below current usage. */
  checkBeforeUpdate?: boolean;
}

/** CPU cgroup settings. */
export interface LinuxCpu {
  /** Relative share (cgroup v1 cpu.shares). */
  shares?: number;
  /** CFS quota in µs per period; -1 is unlimited. */
  quota?: number;
  /** CFS burst in µs. */
  burst?: number;
  /** CFS period in µs. */
  period?: number;
  /** Realtime runtime in µs. */
  realtimeRuntime?: number;
  /** Realtime period in µs. */
  realtimePeriod?: number;
  /** cpuset.cpus list. */
  cpus?: string;
  /** cpuset.mems list. */
  mems?: string;
  /** cpu.idle (cgroup v2). */
  idle?: number;
}

/** Pids cgroup settings. */
export interface LinuxPids {
  /** Maximum number of tasks; 0 or -1 is unlimited. */
  limit: number;
}

/** A per-device blkio weight. */
export interface LinuxWeightDevice {
  /** Major number. */
  major: number;
  /** Minor number. */
  minor: number;
  /** Weight, 10..1000. */
  weight?: number;
  /** Leaf weight, 10..1000. */
  leafWeight?: number;
}

/** A per-device blkio throttle. */
export interface LinuxThrottleDevice {
  /** Major number. */
  major: number;
  /** Minor number. */
  minor: number;
  /** Bytes or operations per second. */
  rate?: number;
}

/** Block I/O cgroup settings. */
export interface LinuxBlockIo {
  /** Default weight. */
  weight?: number;
  /** Default leaf weight. */
  leafWeight?: number;
  /** Per-device weights. */
  weightDevice?: LinuxWeightDevice[];
  /** Per-device read bandwidth limits. */
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  /** Per-device write bandwidth limits. */
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  /** Per-device read IOPS limits. */
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  /** Per-device write IOPS limits. */
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

/** A hugetlb cgroup limit. */
export interface LinuxHugepageLimit {
  /** Page size, `^[1-9][0-9]*[KMG]B$` (`2MB`, `1GB`). */
  pageSize: string;
  /** Limit in bytes. */
  limit: number;
}

/** net_prio priority of one interface. */
export interface LinuxInterfacePriority {
  /** Interface name. */
  name: string;
  /** Priority. */
  priority: number;
}

/** net_cls / net_prio settings. */
export interface LinuxNetwork {
  /** net_cls class id. */
  classID?: number;
  /** net_prio priorities. */
  priorities?: LinuxInterfacePriority[];
}

/** RDMA cgroup limits of one device. */
export interface LinuxRdma {
  /** Maximum HCA handles. */
  hcaHandles?: number;
  /** Maximum HCA objects. */
  hcaObjects?: number;
}

/** cgroup settings. */
export interface LinuxResources {
  /** Device allow/deny rules, in order. */
  devices?: LinuxDeviceCgroup[];
  /** Memory. */
  memory?: LinuxMemory;
  /** CPU and cpuset. */
  cpu?: LinuxCpu;
  /** Pids. */
  pids?: LinuxPids;
  /** Block I/O. */
  blockIO?: LinuxBlockIo;
  /** hugetlb limits. */
  hugepageLimits?: LinuxHugepageLimit[];
  /** net_cls / net_prio. */
  network?: LinuxNetwork;
  /** RDMA limits by device name. */
  rdma?: Record<string, LinuxRdma>;
  /** Raw cgroup v2 files and values. */
  unified?: Record<string, string>;
}

/** Seccomp actions. */
export type LinuxSeccompAction =
  | "SCMP_ACT_KILL"
  | "SCMP_ACT_KILL_PROCESS"
  | "SCMP_ACT_KILL_THREAD"
  | "SCMP_ACT_TRAP"
  | "SCMP_ACT_ERRNO"
  | "SCMP_ACT_TRACE"
  | "SCMP_ACT_ALLOW"
  | "SCMP_ACT_LOG"
  | "SCMP_ACT_NOTIFY";

/** Seccomp architectures (libseccomp names). */
export type LinuxSeccompArch =
  | "SCMP_ARCH_X86"
  | "SCMP_ARCH_X86_64"
  | "SCMP_ARCH_X32"
  | "SCMP_ARCH_ARM"
  | "SCMP_ARCH_AARCH64"
  | "SCMP_ARCH_LOONGARCH64"
  | "SCMP_ARCH_M68K"
  | "SCMP_ARCH_MIPS"
  | "SCMP_ARCH_MIPS64"
  | "SCMP_ARCH_MIPS64N32"
  | "SCMP_ARCH_MIPSEL"
  | "SCMP_ARCH_MIPSEL64"
  | "SCMP_ARCH_MIPSEL64N32"
  | "SCMP_ARCH_PPC"
  | "SCMP_ARCH_PPC64"
  | "SCMP_ARCH_PPC64LE"
  | "SCMP_ARCH_S390"
  | "SCMP_ARCH_S390X"
  | "SCMP_ARCH_SH"
  | "SCMP_ARCH_SHEB"
  | "SCMP_ARCH_PARISC"
  | "SCMP_ARCH_PARISC64"
  | "SCMP_ARCH_RISCV64";

/** seccomp(2) filter flags. */
export type LinuxSeccompFlag =
  | "SECCOMP_FILTER_FLAG_TSYNC"
  | "SECCOMP_FILTER_FLAG_LOG"
  | "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
  | "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";

/** Seccomp argument comparison operators. */
export type LinuxSeccompOperator =
  | "SCMP_CMP_NE"
  | "SCMP_CMP_LT"
  | "SCMP_CMP_LE"
  | "SCMP_CMP_EQ"
  | "SCMP_CMP_GE"
  | "SCMP_CMP_GT"
  | "SCMP_CMP_MASKED_EQ";

/** A condition on one syscall argument. */
export interface LinuxSeccompArg {
  /** Argument index, 0..5. */
  index: number;
  /** Value to compare with. */
  value: number;
  /** Second value (the mask's comparand for SCMP_CMP_MASKED_EQ). */
  valueTwo?: number;
  /** Operator. */
  op: LinuxSeccompOperator;
}

/** A seccomp rule for a list of syscalls. */
export interface LinuxSyscall {
  /** Syscall names; at least one. */
  names: string[];
  /** Action when the rule matches. */
  action: LinuxSeccompAction;
  /** errno returned by SCMP_ACT_ERRNO / SCMP_ACT_TRACE. */
  errnoRet?: number;
  /** Argument conditions, all of which must hold. */
  args?: LinuxSeccompArg[];
}

/** Seccomp filter of the container's process. */
export interface LinuxSeccomp {
  /** Action for syscalls no rule matches. */
  defaultAction: LinuxSeccompAction;
  /** errno of the default action. */
  defaultErrnoRet?: number;
  /** Architectures the filter covers. */
  architectures?: LinuxSeccompArch[];
  /** seccomp(2) flags. */
  flags?: LinuxSeccompFlag[];
  /** Unix socket that receives the notify fd (SCMP_ACT_NOTIFY). */
  listenerPath?: string;
  /** Opaque data passed to the listener. */
  listenerMetadata?: string;
  /** Rules. */
  syscalls?: LinuxSyscall[];
}

/** Mount propagation of the root filesystem. */
/** runc takes the recursive forms too (containerd sets "rshared" and "rslave" for pods). */
export type RootfsPropagation =
  | "private"
  | "rprivate"
  | "shared"
  | "rshared"
  | "slave"
  | "rslave"
  | "unbindable"
  | "runbindable";

/** Intel RDT (resctrl) settings. */
export interface LinuxIntelRdt {
  /** resctrl group name. */
  closID?: string;
  /** Full schemata lines. */
  schemata?: string[];
  /** L3 cache schema line (`L3:...`). */
  l3CacheSchema?: string;
  /** Memory bandwidth schema line (`MB:...`). */
  memBwSchema?: string;
  /** Enable resctrl monitoring. */
  enableMonitoring?: boolean;
}

/** NUMA memory policy modes (set_mempolicy(2)). */
export type MemoryPolicyMode =
  | "MPOL_DEFAULT"
  | "MPOL_BIND"
  | "MPOL_INTERLEAVE"
  | "MPOL_WEIGHTED_INTERLEAVE"
  | "MPOL_PREFERRED"
  | "MPOL_PREFERRED_MANY"
  | "MPOL_LOCAL";

/** NUMA memory policy mode flags. */
export type MemoryPolicyFlag =
  | "MPOL_F_NUMA_BALANCING"
  | "MPOL_F_RELATIVE_NODES"
  | "MPOL_F_STATIC_NODES";

/** NUMA memory policy of the container's process. */
export interface LinuxMemoryPolicy {
  /** Mode. */
  mode?: MemoryPolicyMode;
  /** Node list (`0-3,7`). */
  nodes?: string;
  /** Mode flags. */
  flags?: MemoryPolicyFlag[];
}

/** Execution domains (personality(2)). */
export type LinuxPersonalityDomain = "LINUX" | "LINUX32";

/** personality(2) of the container's process. */
export interface LinuxPersonality {
  /** Execution domain. */
  domain?: LinuxPersonalityDomain;
  /** Additional flags (none are defined yet). */
  flags?: string[];
}

/** A network device moved into the container's network namespace. */
export interface LinuxNetDevice {
  /** Name inside the container; defaults to the host name. */
  name?: string;
}

/** Linux-specific configuration. */
export interface Linux {
  /** uid mappings of a new user namespace. */
  uidMappings?: LinuxIdMapping[];
  /** gid mappings of a new user namespace. */
  gidMappings?: LinuxIdMapping[];
  /** Clock offsets of a new time namespace. */
  timeOffsets?: LinuxTimeOffsets;
  /** Kernel parameters (`net.ipv4.ip_forward`) and values. */
  sysctl?: Record<string, string>;
  /** cgroup settings. */
  resources?: LinuxResources;
  /** cgroup path (or `slice:prefix:name` with the systemd driver). */
  cgroupsPath?: string;
  /** Namespaces to create or join. */
  namespaces?: LinuxNamespace[];
  /** Device nodes to create. */
  devices?: LinuxDevice[];
  /** Seccomp filter. */
  seccomp?: LinuxSeccomp;
  /** Propagation of the rootfs mount. */
  rootfsPropagation?: RootfsPropagation;
  /** Paths made inaccessible. */
  maskedPaths?: string[];
  /** Paths made read-only. */
  readonlyPaths?: string[];
  /** SELinux context of the mounts. */
  mountLabel?: string;
  /** Intel RDT. */
  intelRdt?: LinuxIntelRdt;
  /** NUMA memory policy. */
  memoryPolicy?: LinuxMemoryPolicy;
  /** Execution domain. */
  personality?: LinuxPersonality;
  /** Network devices to move into the container, by host name. */
  netDevices?: Record<string, LinuxNetDevice>;
}

/** z/OS namespace kinds. */
export type ZosNamespaceType = "mount" | "pid" | "uts" | "ipc";

/** z/OS-specific configuration (validated, never used). */
export interface ZosConfig {
  /** Namespaces. */
  namespaces?: { type: ZosNamespaceType; path?: string }[];
}

/** FreeBSD jail sharing modes. */
export type FreeBsdSharingMode = "disable" | "new" | "inherit";

/** FreeBSD-specific configuration (validated, never used). */
export interface FreeBsdConfig {
  /** Devices. */
  devices?: { path?: string; mode?: number }[];
  /** Jail parameters. */
  jail?: FreeBsdJail;
}

/** FreeBSD jail parameters. */
export interface FreeBsdJail {
  /** Parent jail. */
  parent?: string;
  /** Host name sharing. */
  host?: "new" | "inherit";
  /** IPv4 sharing. */
  ip4?: FreeBsdSharingMode;
  /** IPv4 addresses. */
  ip4Addr?: string[];
  /** IPv6 sharing. */
  ip6?: FreeBsdSharingMode;
  /** IPv6 addresses. */
  ip6Addr?: string[];
  /** Virtual network stack. */
  vnet?: "new" | "inherit";
  /** Interface for ip4Addr/ip6Addr. */
  interface?: string;
  /** Interfaces moved into the vnet. */
  vnetInterfaces?: string[];
  /** SysV message queues. */
  sysvmsg?: FreeBsdSharingMode;
  /** SysV semaphores. */
  sysvsem?: FreeBsdSharingMode;
  /** SysV shared memory. */
  sysvshm?: FreeBsdSharingMode;
  /** enforce_statfs. */
  enforceStatfs?: number;
  /** allow.* parameters. */
  allow?: {
    setHostname?: boolean;
    rawSockets?: boolean;
    chflags?: boolean;
    mount?: string[];
    quotas?: boolean;
    socketAf?: boolean;
    mlock?: boolean;
    reservedPorts?: boolean;
    suser?: boolean;
  };
}

/**
 * The pure mapping from runtime-spec `linux.resources` to the cgroup files and values runc
 * writes: cgroup v1 as runc's libcontainer/cgroups/fs, cgroup v2 as libcontainer/cgroups/fs2,
 * in the same order, with the same conversions. No I/O: core/cgroups/apply.ts performs the
 * writes, including the few runc decides from the kernel's answer (a file that may be missing,
 * a value the kernel refuses until a companion value is written), which each write carries.
 *
 * Where runc 1.1 lacks a field (cpu burst and idle came in 1.2) or later runc releases fixed a
 * bug (hugetlb rsvd limits, 1.1.10; unlimited memory with a swap limit on v2, 1.2.1; a missing
 * v2 swap file when swap is only disabled or unlimited, 1.2.0) the later behaviour is used.
 */
import { TsruncError } from "../../base/errors.ts";
import type { LinuxMemory, LinuxResources, LinuxThrottleDevice } from "../spec/types.ts";

/** One write to a cgroup file. */
export interface CgroupWrite {
  /** v1: the hierarchy name (`memory`, `cpu`, `blkio`...); v2: "" (the container's dir). */
  controller: string;
  /** File name inside the controller's directory (`memory.limit_in_bytes`). */
  file: string;
  /** What is written, as is. */
  value: string;
  /** An optional kernel feature: when the file does not exist, skip the write. */
  ifExists?: boolean;
  /** When the file does not exist, write this file and value instead (same directory). */
  fallback?: { file: string; value: string };
  /**
   * The kernel may refuse this value (EINVAL) until a companion value is written: then the
   * write is not an error, and the later write of the same file marked `retry` is done.
   */
  deferOnEinval?: boolean;
  /** Done only when the earlier write of this file was refused and deferred. */
  retry?: boolean;
}

/** Options of v1Writes(). */
export interface V1WriteOptions {
  /**
   * Current values of the container's memory cgroup (read by `update` from
   * memory.limit_in_bytes), which decide the order of the limit and memsw writes as runc
   * does. Absent: a new cgroup, whose limits are unlimited.
   */
  current?: { limit?: number; swap?: number };
}

const PATH = "linux.resources";

/** Kernel bounds of cpu.shares (kernel/sched: MIN_SHARES, MAX_SHARES). */
const MIN_SHARES = 2;
const MAX_SHARES = 262144;
/** The CFS period cgroup v2 uses when only a quota is given (cgroup-v2.rst, cpu.max). */
const DEFAULT_CPU_PERIOD = 100000;
/** v2 controllers in the kernel's cgroup.controllers order. */
const V2_CONTROLLERS = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"];

// ---------------------------------------------------------------------------------------
// Conversions (libcontainer/cgroups/utils.go)

/**
 * runc's ConvertCPUSharesToCgroupV2Value: cpu.shares 2..262144 to cpu.weight 1..10000,
 * linearly, with integer division: `1 + ((shares - 2) * 9999) / 262142`; 0 stays 0 (unset).
 */
export function convertCpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * runc's ConvertBlkIOToIOWeightValue: blkio weight 10..1000 to io.weight 1..10000:
 * `1 + ((weight - 10) * 9999) / 990`, integer division; 0 stays 0 (unset).
 */
export function convertBlkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * runc's ConvertMemorySwapToCgroupV2Value (1.2.1): the spec's swap is memory+swap, cgroup v2's
 * memory.swap.max is swap only. -1 is unlimited and 0 unset, kept as they are; an unlimited
 * memory with an unset swap makes the swap unlimited too (v1 compatibility); an unlimited
 * memory keeps a swap limit as it is.
 */
export function convertMemorySwapToV2(swap: number, limit: number): number {
  if (limit === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (limit === -1) return swap;
  if (limit === 0) fail("memory.swap", "unable to set swap limit without memory limit");
  if (limit < 0) fail("memory.limit", `invalid memory value: ${limit}`);
  if (swap < limit) fail("memory.swap", "memory+swap limit should be >= memory limit");
  return swap - limit;
}

// ---------------------------------------------------------------------------------------
// cgroup v1 (libcontainer/cgroups/fs)

/**
 * The cgroup v1 writes for r, in runc's order: cpuset, memory, cpu, pids, blkio, hugetlb,
 * net_cls, net_prio, rdma (runc's subsystem list; devices are handled elsewhere). Unset
 * fields write nothing. What runc ignores with a warning is added to warnings.
 *
 * cpu.rt_period_us/cpu.rt_runtime_us are also written by runc before the init joins the cpu
 * cgroup (a SCHED_RR process cannot join a cgroup without RT bandwidth): callers creating a
 * container apply them first (the writes of controller `cpu` whose file starts `cpu.rt_`).
 * @param r the resources (validated: core/spec/validate.ts)
 * @param warnings receives one line per ignored setting
 * @param options current memory limits, for `update`
 */
export function v1Writes(
  r: LinuxResources,
  warnings: string[],
  options: V1WriteOptions = {},
): CgroupWrite[] {
  if (r.unified !== undefined && Object.keys(r.unified).length > 0) {
    fail(
      "unified",
      "invalid configuration: unified resources need cgroup v2 (this host has its controllers on cgroup v1)",
    );
  }
  const out: CgroupWrite[] = [];
  const add = (controller: string, file: string, value: string, extra: Partial<CgroupWrite> = {}) =>
    out.push({ controller, file, value, ...extra });

  const cpu = r.cpu;
  if (cpu?.cpus) add("cpuset", "cpuset.cpus", cpu.cpus);
  if (cpu?.mems) add("cpuset", "cpuset.mems", cpu.mems);

  if (r.memory) v1Memory(r.memory, warnings, options, add);

  if (cpu) {
    const shares = int("cpu.shares", cpu.shares);
    if (shares) {
      // runc writes, reads back and refuses what the kernel clamped; the bounds are known.
      if (cpu.shares! > MAX_SHARES) {
        fail("cpu.shares", `the maximum allowed cpu-shares is ${MAX_SHARES}`);
      }
      if (cpu.shares! < MIN_SHARES) {
        fail("cpu.shares", `the minimum allowed cpu-shares is ${MIN_SHARES}`);
      }
      add("cpu", "cpu.shares", shares);
    }
    const quota = int("cpu.quota", cpu.quota);
    const period = int("cpu.period", cpu.period);
    const burst = cpu.burst === undefined ? undefined : integer("cpu.burst", cpu.burst);
    // A period smaller than the current one, or a burst larger, can be refused (EINVAL) while
    // the old quota is in place: runc retries them after writing the quota.
    if (period) add("cpu", "cpu.cfs_period_us", period, quota ? { deferOnEinval: true } : {});
    if (burst !== undefined) {
      add("cpu", "cpu.cfs_burst_us", burst, {
        ifExists: true, // Linux 5.14+
        ...(quota ? { deferOnEinval: true } : {}),
      });
    }
    if (quota) {
      add("cpu", "cpu.cfs_quota_us", quota);
      if (period) add("cpu", "cpu.cfs_period_us", period, { retry: true });
      if (burst !== undefined) add("cpu", "cpu.cfs_burst_us", burst, { retry: true });
    }
    if (cpu.idle !== undefined) add("cpu", "cpu.idle", integer("cpu.idle", cpu.idle));
    // rt_period_us and rt_runtime_us depend on each other (runc 1.1.13, #4284).
    const rtPeriod = int("cpu.realtimePeriod", cpu.realtimePeriod);
    const rtRuntime = int("cpu.realtimeRuntime", cpu.realtimeRuntime);
    if (rtPeriod) {
      add("cpu", "cpu.rt_period_us", rtPeriod, rtRuntime ? { deferOnEinval: true } : {});
    }
    if (rtRuntime) {
      add("cpu", "cpu.rt_runtime_us", rtRuntime);
      if (rtPeriod) add("cpu", "cpu.rt_period_us", rtPeriod, { retry: true });
    }
  }

  const pids = pidsMax(r);
  if (pids) add("pids", "pids.max", pids);

  const io = r.blockIO;
  if (io) {
    const weight = blkioWeight("blockIO.weight", io.weight);
    if (weight) {
      // With the BFQ scheduler the kernel has blkio.bfq.weight instead (runc 1.0, #3010).
      add("blkio", "blkio.weight", weight, {
        fallback: { file: "blkio.bfq.weight", value: weight },
      });
    }
    const leaf = blkioWeight("blockIO.leafWeight", io.leafWeight);
    if (leaf) add("blkio", "blkio.leaf_weight", leaf);
    (io.weightDevice ?? []).forEach((wd, i) => {
      const at = `blockIO.weightDevice[${i}]`;
      const dev = device(at, wd);
      const w = blkioWeight(`${at}.weight`, wd.weight);
      if (w) {
        add("blkio", "blkio.weight_device", `${dev} ${w}`, {
          fallback: { file: "blkio.bfq.weight_device", value: `${dev} ${w}` },
        });
      }
      const lw = blkioWeight(`${at}.leafWeight`, wd.leafWeight);
      if (lw) add("blkio", "blkio.leaf_weight_device", `${dev} ${lw}`);
    });
    for (const [key, file] of V1_THROTTLES) {
      throttles(key, io[key]).forEach(([dev, rate]) => add("blkio", file, `${dev} ${rate}`));
    }
  }

  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    const prefix = `hugetlb.${pageSize(i, h.pageSize)}`;
    const limit = integer(`hugepageLimits[${i}].limit`, h.limit);
    add("hugetlb", `${prefix}.limit_in_bytes`, limit);
    // Reservation limits (Linux 5.7+) are set to the same value (runc 1.1.10, #3859).
    add("hugetlb", `${prefix}.rsvd.limit_in_bytes`, limit, { ifExists: true });
  }

  const net = r.network;
  const classId = int("network.classID", net?.classID);
  if (classId) add("net_cls", "net_cls.classid", classId);
  for (const [i, p] of (net?.priorities ?? []).entries()) {
    const name = word(`network.priorities[${i}].name`, p.name);
    const priority = integer(`network.priorities[${i}].priority`, p.priority);
    add("net_prio", "net_prio.ifpriomap", `${name} ${priority}`);
  }

  for (const line of rdmaLines(r)) add("rdma", "rdma.max", line);
  return out;
}

/** The memory controller of v1 (fs/memory.go). */
function v1Memory(
  m: LinuxMemory,
  warnings: string[],
  options: V1WriteOptions,
  add: (controller: string, file: string, value: string, extra?: Partial<CgroupWrite>) => void,
): void {
  const limit = bytes("memory.limit", m.limit);
  let swap = bytes("memory.swap", m.swap);
  const reservation = bytes("memory.reservation", m.reservation);
  kernelMemoryWarning(m, warnings);
  const limitFile = "memory.limit_in_bytes";
  const swapFile = "memory.memsw.limit_in_bytes";

  // An unlimited memory with no swap given makes memory+swap unlimited too, when the kernel
  // accounts swap at all (memsw exists).
  let swapIfExists = false;
  if (limit === -1 && swap === 0) {
    swap = -1;
    swapIfExists = true;
  }
  const writeLimit = () => {
    if (limit !== 0) add("memory", limitFile, num(limit));
  };
  const writeSwap = () => {
    if (swap !== 0) add("memory", swapFile, num(swap), swapIfExists ? { ifExists: true } : {});
  };
  // The kernel keeps memsw >= limit at every step: when raising, memsw goes first.
  const current = options.current?.limit ?? Infinity;
  if (limit !== 0 && swap !== 0 && (swap === -1 || current < swap)) {
    writeSwap();
    writeLimit();
  } else {
    writeLimit();
    writeSwap();
  }
  if (reservation !== 0) add("memory", "memory.soft_limit_in_bytes", num(reservation));
  if (m.disableOOMKiller) add("memory", "memory.oom_control", "1");
  const swappiness = swappinessOf(m);
  if (swappiness !== undefined) {
    if (swappiness > 100) {
      fail(
        "memory.swappiness",
        `invalid value ${swappiness}, valid memory swappiness range is 0-100`,
      );
    }
    add("memory", "memory.swappiness", num(swappiness));
  }
}

const V1_THROTTLES = [
  ["throttleReadBpsDevice", "blkio.throttle.read_bps_device"],
  ["throttleWriteBpsDevice", "blkio.throttle.write_bps_device"],
  ["throttleReadIOPSDevice", "blkio.throttle.read_iops_device"],
  ["throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"],
] as const;

const V2_THROTTLES = [
  ["throttleReadBpsDevice", "rbps"],
  ["throttleWriteBpsDevice", "wbps"],
  ["throttleReadIOPSDevice", "riops"],
  ["throttleWriteIOPSDevice", "wiops"],
] as const;

// ---------------------------------------------------------------------------------------
// cgroup v2 (libcontainer/cgroups/fs2)

/**
 * The cgroup v2 writes for r, relative to the container's cgroup directory, in runc's order:
 * pids, memory, io, cpu, cpuset, hugetlb, rdma, then `unified`, written last so that it takes
 * precedence. v1-only settings runc ignores on v2 (swappiness, the OOM killer switch, realtime
 * CPU, net_cls/net_prio, leaf weights, kernel memory) are skipped with a warning.
 * @param r the resources (validated: core/spec/validate.ts)
 * @param warnings receives one line per ignored setting
 */
export function v2Writes(r: LinuxResources, warnings: string[]): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  const add = (file: string, value: string, extra: Partial<CgroupWrite> = {}) =>
    out.push({ controller: "", file, value, ...extra });

  const pids = pidsMax(r);
  if (pids) add("pids.max", pids);

  if (r.memory) v2Memory(r.memory, warnings, add);

  const io = r.blockIO;
  if (io) {
    const weight = blkioWeight("blockIO.weight", io.weight);
    if (weight) {
      // BFQ takes the v1 weight as it is; without BFQ, io.weight has a wider range.
      add("io.bfq.weight", weight, {
        fallback: { file: "io.weight", value: String(convertBlkioWeightToIoWeight(io.weight!)) },
      });
    }
    if (io.leafWeight) warnings.push(`${PATH}.blockIO.leafWeight: ignored on cgroup v2`);
    (io.weightDevice ?? []).forEach((wd, i) => {
      const at = `blockIO.weightDevice[${i}]`;
      const dev = device(at, wd);
      const w = blkioWeight(`${at}.weight`, wd.weight);
      // Per-device weights exist only with BFQ (io.bfq.weight, Linux 5.4+): runc skips them
      // without it.
      if (w) add("io.bfq.weight", `${dev} ${w}`, { ifExists: true });
      if (wd.leafWeight) warnings.push(`${PATH}.${at}.leafWeight: ignored on cgroup v2`);
    });
    for (const [key, name] of V2_THROTTLES) {
      throttles(key, io[key]).forEach(([dev, rate]) => add("io.max", `${dev} ${name}=${rate}`));
    }
  }

  const cpu = r.cpu;
  if (cpu) {
    if (cpu.idle !== undefined) add("cpu.idle", integer("cpu.idle", cpu.idle));
    if (int("cpu.shares", cpu.shares)) {
      // Out of 2..262144 the conversion leaves cpu.weight's 1..10000 (runc's Go underflows).
      if (cpu.shares! > MAX_SHARES || cpu.shares! < MIN_SHARES) {
        fail("cpu.shares", `must be between ${MIN_SHARES} and ${MAX_SHARES}, got ${cpu.shares}`);
      }
      add("cpu.weight", String(convertCpuSharesToWeight(cpu.shares!)));
    }
    int("cpu.quota", cpu.quota);
    int("cpu.period", cpu.period);
    const quota = cpu.quota ?? 0;
    const period = cpu.period ?? 0;
    const burst = cpu.burst === undefined ? undefined : integer("cpu.burst", cpu.burst);
    if (burst !== undefined) add("cpu.max.burst", burst, quota ? { deferOnEinval: true } : {});
    if (quota !== 0 || period !== 0) {
      const max = quota > 0 ? num(quota) : "max";
      add("cpu.max", `${max} ${num(period || DEFAULT_CPU_PERIOD)}`);
      if (burst !== undefined && quota) add("cpu.max.burst", burst, { retry: true });
    }
    if (cpu.realtimePeriod || cpu.realtimeRuntime) {
      warnings.push(
        `${PATH}.cpu.realtimePeriod/realtimeRuntime: ignored on cgroup v2 (no realtime group scheduling)`,
      );
    }
    if (cpu.cpus) add("cpuset.cpus", cpu.cpus);
    if (cpu.mems) add("cpuset.mems", cpu.mems);
  }

  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    const prefix = `hugetlb.${pageSize(i, h.pageSize)}`;
    const limit = integer(`hugepageLimits[${i}].limit`, h.limit);
    add(`${prefix}.max`, limit);
    add(`${prefix}.rsvd.max`, limit, { ifExists: true });
  }

  for (const line of rdmaLines(r)) add("rdma.max", line);

  if (r.network?.classID || r.network?.priorities?.length) {
    warnings.push(`${PATH}.network: ignored on cgroup v2 (net_cls and net_prio are v1 only)`);
  }

  for (const [key, value] of Object.entries(r.unified ?? {})) {
    unifiedKey(key);
    // Multi-line values (io.max for two devices) are written line by line (runc 1.2, #4186).
    const lines = value.split("\n").filter((line) => line !== "");
    for (const line of lines.length > 0 ? lines : [value]) add(key, line);
  }
  return out;
}

/** The memory controller of v2 (fs2/memory.go). */
function v2Memory(
  m: LinuxMemory,
  warnings: string[],
  add: (file: string, value: string, extra?: Partial<CgroupWrite>) => void,
): void {
  const limit = bytes("memory.limit", m.limit);
  const swap = bytes("memory.swap", m.swap);
  const reservation = bytes("memory.reservation", m.reservation);
  kernelMemoryWarning(m, warnings);
  if (m.disableOOMKiller) {
    warnings.push(`${PATH}.memory.disableOOMKiller: not supported on cgroup v2 (ignored)`);
  }
  if (swappinessOf(m) !== undefined) {
    warnings.push(`${PATH}.memory.swappiness: not supported on cgroup v2 (ignored)`);
  }
  if (limit === 0 && swap === 0 && reservation === 0) return;

  const swapOnly = convertMemorySwapToV2(swap, limit);
  // 0 means "leave as is" except when memory+swap equals memory: no swap at all.
  const swapValue = swapOnly === 0 ? (swap > 0 ? "0" : "") : v2Number(swapOnly);
  if (swapValue !== "") {
    // Without swap accounting there is no memory.swap.max: only a real limit is an error.
    add(
      "memory.swap.max",
      swapValue,
      swapValue === "max" || swapValue === "0" ? { ifExists: true } : {},
    );
  }
  if (limit !== 0) add("memory.max", v2Number(limit));
  if (reservation !== 0) add("memory.low", v2Number(reservation));
}

/**
 * The v2 controllers r's writes need, in cgroup.controllers order: what each parent's
 * cgroup.subtree_control must enable (`+cpu +memory ...`) for the files to exist.
 * @param r the resources; an invalid value throws as in v2Writes()
 */
export function v2Controllers(r: LinuxResources): string[] {
  const used = new Set<string>();
  for (const w of v2Writes(r, [])) {
    for (const file of [w.file, w.fallback?.file]) {
      if (file) used.add(file.slice(0, file.indexOf(".")));
    }
  }
  return V2_CONTROLLERS.filter((c) => used.has(c));
}

// ---------------------------------------------------------------------------------------
// Helpers

/** Throw the error of a linux.resources field: `linux.resources.memory.swap: ...`. */
export function fail(path: string, message: string): never {
  throw new TsruncError(`${PATH}.${path}: ${message}`);
}

/** An integer where 0 means unset: "" for undefined or 0, else as integer(). */
function int(path: string, value: number | undefined): string {
  if (value === undefined || value === 0) return "";
  return integer(path, value);
}

/** An integer as the kernel reads it (no exponent, no fraction). */
function integer(path: string, value: number): string {
  if (!Number.isInteger(value)) fail(path, `expected an integer, got ${value}`);
  return num(value);
}

/** An integer in decimal, exactly (no exponent for 2^63-like values). */
export function num(value: number): string {
  return BigInt(value).toString();
}

/** fs2's numToStr: -1 is "max". */
function v2Number(value: number): string {
  return value === -1 ? "max" : num(value);
}

/** A memory amount: -1 (unlimited), 0 (unset) or bytes. */
function bytes(path: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < -1) {
    fail(path, `must be -1 (unlimited) or a number of bytes, got ${value}`);
  }
  return value;
}

/** Swappiness, or undefined when unset (runc also reads -1 and its uint64 twin as unset). */
function swappinessOf(m: LinuxMemory): number | undefined {
  const s = m.swappiness;
  if (s === undefined || s === -1 || s >= 2 ** 64 - 1) return undefined;
  if (!Number.isInteger(s) || s < 0) fail("memory.swappiness", `invalid value ${s}`);
  return s;
}

function kernelMemoryWarning(m: LinuxMemory, warnings: string[]): void {
  if (m.kernel !== undefined || m.kernelTCP !== undefined) {
    warnings.push(
      `${PATH}.memory.kernel/kernelTCP: kernel memory settings are ignored and will be removed`,
    );
  }
}

/** pids.max: runc leaves 0 alone and writes "max" for a negative limit. */
function pidsMax(r: LinuxResources): string {
  const limit = r.pids?.limit;
  if (limit === undefined || limit === 0) return "";
  if (!Number.isInteger(limit)) fail("pids.limit", `expected an integer, got ${limit}`);
  return limit < 0 ? "max" : num(limit);
}

/** A blkio weight: the spec's range is 10..1000; 0 is unset. */
function blkioWeight(path: string, value: number | undefined): string {
  if (value === undefined || value === 0) return "";
  if (!Number.isInteger(value) || value < 10 || value > 1000) {
    fail(path, `must be between 10 and 1000, got ${value}`);
  }
  return String(value);
}

function device(path: string, d: { major: number; minor: number }): string {
  if (!Number.isInteger(d.major) || d.major < 0) fail(`${path}.major`, `invalid ${d.major}`);
  if (!Number.isInteger(d.minor) || d.minor < 0) fail(`${path}.minor`, `invalid ${d.minor}`);
  return `${d.major}:${d.minor}`;
}

/** [device, rate] of each throttle; an absent rate is 0 (runc's Go zero value). */
function throttles(key: string, list: LinuxThrottleDevice[] | undefined): [string, string][] {
  return (list ?? []).map((t, i) => [
    device(`blockIO.${key}[${i}]`, t),
    integer(`blockIO.${key}[${i}].rate`, t.rate ?? 0),
  ]);
}

/** The page size is part of a file name: only `2MB`-like sizes (the spec's pattern). */
function pageSize(i: number, size: string): string {
  if (!/^[1-9][0-9]*[KMG]B$/.test(size)) {
    fail(`hugepageLimits[${i}].pageSize`, `invalid page size ${JSON.stringify(size)}`);
  }
  return size;
}

/** A name written in a line of a cgroup file: no blanks, no newline. */
function word(path: string, value: string): string {
  if (value === "" || /\s/.test(value)) fail(path, `invalid name ${JSON.stringify(value)}`);
  return value;
}

/** rdma.max lines, `mlx4_0 hca_handle=2 hca_object=2000` (fscommon/rdma.go). */
function rdmaLines(r: LinuxResources): string[] {
  return Object.entries(r.rdma ?? {}).map(([dev, limits]) => {
    const at = `rdma[${JSON.stringify(dev)}]`;
    let line = word(at, dev);
    if (limits.hcaHandles !== undefined) {
      line += ` hca_handle=${integer(`${at}.hcaHandles`, limits.hcaHandles)}`;
    }
    if (limits.hcaObjects !== undefined) {
      line += ` hca_object=${integer(`${at}.hcaObjects`, limits.hcaObjects)}`;
    }
    return line;
  });
}

/** A unified key names one file of the container's cgroup: `controller.parameter`. */
function unifiedKey(key: string): void {
  const at = `unified[${JSON.stringify(key)}]`;
  if (key.includes("/") || key.includes("..") || key.includes("\0")) {
    fail(at, "must be a file name (no slashes)");
  }
  if (!/^[a-z][a-z0-9_]*\.[A-Za-z0-9_.]*[A-Za-z0-9_]$/.test(key)) {
    fail(at, "must be in the form CONTROLLER.PARAMETER");
  }
}

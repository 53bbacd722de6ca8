/**
 * `tsrunc update`'s side of the resources: runc update's flags read as a LinuxResources (value
 * parsing as runc's, sizes as docker/go-units' RAMInBytes), the merge of an update into the
 * resources state.json keeps, and runc's memory check before an update. The cgroup files an
 * update writes come from the same per-version mappings as create's (v1Writes, v2Writes).
 */
import { TsruncError } from "../../base/errors.ts";
import type { LinuxCpu, LinuxIntelRdt, LinuxMemory, LinuxResources } from "../spec/types.ts";
import { fail, num } from "./values.ts";

/**
 * runc update's resource flags (keys without dashes, as the CLI parser gives them: `memory`,
 * `cpu-share`...) as resources, with runc's parsing: memory sizes with units (`512m`, `1g`)
 * or -1, unsigned CPU periods, shares and bursts, signed quotas and runtimes. Only the flags
 * given are set. `--kernel-memory(-tcp)` are ignored with a warning, as runc 1.2 does; the
 * Intel RDT flags are read by intelRdtFromFlags().
 * @param flags flag values by name
 * @param warnings receives one line per ignored flag
 */
export function updateFromFlags(
  flags: Record<string, string | undefined>,
  warnings: string[] = [],
): LinuxResources {
  const get = (name: string): string | undefined => {
    const value = flags[name] ?? flags[`--${name}`];
    return value === undefined || value === "" ? undefined : value;
  };
  const r: LinuxResources = {};
  const cpu: LinuxCpu = (r.cpu = {});
  const memory = (r.memory = {} as LinuxMemory);

  const weight = get("blkio-weight");
  if (weight !== undefined) {
    const w = parseIntFlag("blkio-weight", weight);
    if (w !== 0) {
      if (w < 10 || w > 1000) flagError("blkio-weight", weight, "range is from 10 to 1000");
      r.blockIO = { weight: w };
    }
  }
  const cpus = get("cpuset-cpus");
  if (cpus !== undefined) cpu.cpus = cpus;
  const mems = get("cpuset-mems");
  if (mems !== undefined) cpu.mems = mems;
  const idle = get("cpu-idle");
  if (idle !== undefined) cpu.idle = parseIntFlag("cpu-idle", idle);

  const unsigned = [
    ["cpu-burst", "burst"],
    ["cpu-period", "period"],
    ["cpu-rt-period", "realtimePeriod"],
    ["cpu-share", "shares"],
    ["cpu-shares", "shares"],
  ] as const;
  for (const [name, field] of unsigned) {
    const value = get(name);
    if (value !== undefined && cpu[field] === undefined) cpu[field] = parseUintFlag(name, value);
  }
  for (
    const [name, field] of [["cpu-quota", "quota"], ["cpu-rt-runtime", "realtimeRuntime"]] as const
  ) {
    const value = get(name);
    if (value !== undefined) cpu[field] = parseIntFlag(name, value);
  }
  for (
    const [name, field] of [
      ["memory", "limit"],
      ["memory-swap", "swap"],
      ["memory-reservation", "reservation"],
    ] as const
  ) {
    const value = get(name);
    if (value === undefined) continue;
    if (value === "-1") {
      memory[field] = -1;
      continue;
    }
    try {
      memory[field] = ramInBytes(value);
    } catch (error) {
      flagError(name, value, (error as Error).message);
    }
  }
  for (const name of ["kernel-memory", "kernel-memory-tcp"]) {
    if (get(name) !== undefined) warnings.push(`setting --${name} is ignored and will be removed`);
  }
  const pids = get("pids-limit");
  if (pids !== undefined) r.pids = { limit: parseIntFlag("pids-limit", pids) };

  if (Object.keys(cpu).length === 0) delete r.cpu;
  if (Object.keys(memory).length === 0) delete r.memory;
  return r;
}

/**
 * runc update's `--l3-cache-schema` and `--mem-bw-schema`: the Intel RDT settings to update,
 * or undefined when neither is given.
 * @param flags flag values by name
 */
export function intelRdtFromFlags(
  flags: Record<string, string | undefined>,
): LinuxIntelRdt | undefined {
  const out: LinuxIntelRdt = {};
  for (
    const [name, field] of [
      ["l3-cache-schema", "l3CacheSchema"],
      ["mem-bw-schema", "memBwSchema"],
    ] as const
  ) {
    const value = flags[name] ?? flags[`--${name}`];
    if (value === undefined || value === "") continue;
    if (value.includes("\n")) flagError(name, value, "must be one line");
    out[field] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * What `update` stores: base with the fields runc's update takes from patch (blockIO.weight;
 * cpu shares, quota, burst, period, realtime, cpus, mems, idle; memory limit, reservation,
 * swap, checkBeforeUpdate; pids.limit; unified, replaced as a whole), other fields of patch
 * being ignored as runc ignores them. As runc's, an unlimited memory given without a swap makes
 * the swap unlimited too. Neither argument is modified.
 * @param base the stored resources
 * @param patch the update (updateFromFlags(), or a `--resources` file)
 */
export function mergeResources(base: LinuxResources, patch: LinuxResources): LinuxResources {
  const out = structuredClone(base);
  const set = <T extends object, K extends keyof T>(
    target: () => T,
    source: T | undefined,
    keys: readonly K[],
  ) => {
    for (const key of keys) {
      if (source?.[key] !== undefined) target()[key] = structuredClone(source[key]);
    }
  };
  set(() => (out.blockIO ??= {}), patch.blockIO, ["weight"]);
  set(() => (out.cpu ??= {}), patch.cpu, [
    "shares",
    "quota",
    "burst",
    "period",
    "realtimeRuntime",
    "realtimePeriod",
    "cpus",
    "mems",
    "idle",
  ]);
  const memory = patch.memory ? { ...patch.memory } : undefined;
  if (memory?.limit === -1 && memory.swap === undefined) memory.swap = -1;
  set(() => (out.memory ??= {}), memory, ["limit", "reservation", "swap", "checkBeforeUpdate"]);
  if (patch.pids !== undefined) out.pids = { limit: patch.pids.limit };
  if (patch.unified !== undefined) out.unified = { ...patch.unified };
  return out;
}

/**
 * docker/go-units RAMInBytes (v0.4, runc 1.1's): a decimal number with an optional binary
 * unit (`k`, `m`, `g`, `t`, `p`, any case, optionally followed by `i` and/or `b`, optionally
 * after one space), truncated to whole bytes: `512m`, `1.5g`, `10 KiB`, `100`.
 * @param text the size
 */
export function ramInBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(text);
  const value = match ? Number(match[1]) : NaN;
  if (!match || Number.isNaN(value)) throw new TsruncError(`invalid size: '${text}'`);
  const unit = (match[2] ?? "").toLowerCase();
  const size = Math.trunc(value * 1024 ** (" kmgtp".indexOf(unit || " ")));
  if (size > 2 ** 63 - 1) throw new TsruncError(`invalid size: '${text}' (too large)`);
  return size;
}

/**
 * runc's CheckMemoryUsage, for `update` with memory.checkBeforeUpdate: refuse a memory (or
 * memory+swap) limit at or below the current usage (memory.current), which would OOM at once.
 * Best effort as runc's: an unknown usage passes.
 * @param m the merged memory settings
 * @param usage bytes in use now, when known
 */
export function checkMemoryBeforeUpdate(m: LinuxMemory | undefined, usage?: number): void {
  if (!m?.checkBeforeUpdate || usage === undefined) return;
  const limit = m.limit ?? 0;
  const swap = m.swap ?? 0;
  if (swap > 0 && swap <= usage) {
    fail("memory.swap", `rejecting memory+swap limit ${num(swap)} <= usage ${num(usage)}`);
  }
  if (limit > 0 && limit <= usage) {
    fail("memory.limit", `rejecting memory limit ${num(limit)} <= usage ${num(usage)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Flag values (urfave/cli and Go strconv, as runc reads them)

function flagError(name: string, value: string, why: string): never {
  throw new TsruncError(`invalid value for --${name}: ${JSON.stringify(value)}: ${why}`);
}

/** Go strconv.ParseUint(value, 10, 64). */
function parseUintFlag(name: string, value: string): number {
  if (!/^[0-9]+$/.test(value)) flagError(name, value, "invalid syntax");
  return safe(name, value, BigInt(value));
}

/** Go strconv.ParseInt(value, 10, 64) (urfave/cli's int flags read the same). */
function parseIntFlag(name: string, value: string): number {
  if (!/^[+-]?[0-9]+$/.test(value)) flagError(name, value, "invalid syntax");
  return safe(name, value, BigInt(value));
}

function safe(name: string, value: string, n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    flagError(name, value, "value out of range");
  }
  return Number(n);
}

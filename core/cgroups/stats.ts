/**
 * A container's resource usage from its cgroup files, in the shape of runc's
 * `events --stats` data (runc's types.Stats: Go's omitempty drops zero fields), and
 * the OOM-kill counter `events` watches.
 */
import { type CgroupRecord, v1DirOf } from "./manager.ts";

type Json = Record<string, unknown>;

function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** A counter: a bigint beyond 2^53, so that limits near 2^63 print exactly. */
function num(text: string | undefined): number | bigint {
  const t = text?.trim() ?? "";
  if (!/^\d+$/.test(t)) return 0;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : BigInt(t);
}

/** "key value" lines as a map. */
function keyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? "").split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) out[key] = Number(value);
  }
  return out;
}

/** Go's omitempty: zero numbers, empty arrays and empty objects go. */
function omitEmpty(o: Json, keep: string[] = []): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    const empty = v === 0 || v === undefined || (Array.isArray(v) && v.length === 0) ||
      (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
    if (!empty || keep.includes(k)) out[k] = v;
  }
  return out;
}

/** Stats of a container's cgroups. */
export function readStats(record: CgroupRecord): Json {
  return record.version === 2 ? statsV2(record.dirs[""]) : statsV1(record);
}

const TICKS_TO_NS = 1e9 / 100; // USER_HZ

function statsV1(record: CgroupRecord): Json {
  const cpuacct = v1DirOf(record, "cpuacct");
  const cpu = v1DirOf(record, "cpu");
  const memory = v1DirOf(record, "memory");
  const pids = v1DirOf(record, "pids");
  const blkio = v1DirOf(record, "blkio");
  const hugetlb = v1DirOf(record, "hugetlb");

  const times = keyed(cpuacct && read(`${cpuacct}/cpuacct.stat`));
  const throttling = keyed(cpu && read(`${cpu}/cpu.stat`));
  const percpu = (cpuacct && read(`${cpuacct}/cpuacct.usage_percpu`) || "").trim().split(/\s+/)
    .filter(Boolean).map(Number);
  const cpuStats = {
    usage: omitEmpty({
      total: num(cpuacct && read(`${cpuacct}/cpuacct.usage`)),
      percpu,
      kernel: (times.system ?? 0) * TICKS_TO_NS,
      user: (times.user ?? 0) * TICKS_TO_NS,
    }, ["kernel", "user"]),
    throttling: omitEmpty({
      periods: throttling.nr_periods ?? 0,
      throttledPeriods: throttling.nr_throttled ?? 0,
      throttledTime: throttling.throttled_time ?? 0,
    }),
  };

  const entry = (prefix: string) =>
    memory
      ? omitEmpty({
        limit: num(read(`${memory}/${prefix}limit_in_bytes`)),
        usage: num(read(`${memory}/${prefix}usage_in_bytes`)),
        max: num(read(`${memory}/${prefix}max_usage_in_bytes`)),
        failcnt: num(read(`${memory}/${prefix}failcnt`)),
      }, ["limit", "failcnt"])
      : { limit: 0, failcnt: 0 };
  const raw = keyed(memory && read(`${memory}/memory.stat`));
  const memoryStats = omitEmpty({
    cache: raw.total_cache ?? raw.cache ?? 0,
    usage: entry("memory."),
    swap: entry("memory.memsw."),
    kernel: entry("memory.kmem."),
    kernelTCP: entry("memory.kmem.tcp."),
    raw,
  }, ["usage", "swap", "kernel", "kernelTCP"]);

  const pidsStats = omitEmpty({
    current: num(pids && read(`${pids}/pids.current`)),
    limit: pids && read(`${pids}/pids.max`)?.trim() !== "max"
      ? num(pids && read(`${pids}/pids.max`))
      : 0,
  });

  const blkioEntries = (file: string) => {
    const out: Json[] = [];
    for (const line of (blkio && read(`${blkio}/${file}`) || "").split("\n")) {
      const [dev, op, value] = line.trim().split(/\s+/);
      if (!dev || !dev.includes(":")) continue;
      const [major, minor] = dev.split(":").map(Number);
      out.push(omitEmpty({ major, minor, op, value: Number(value ?? op) }));
    }
    return out;
  };
  const blkioStats = omitEmpty({
    ioServiceBytesRecursive: blkioEntries("blkio.throttle.io_service_bytes_recursive"),
    ioServicedRecursive: blkioEntries("blkio.throttle.io_serviced_recursive"),
  });

  const hugetlbStats: Json = {};
  if (hugetlb) {
    for (const entry of Deno.readDirSync(hugetlb)) {
      const m = /^hugetlb\.(.+)\.usage_in_bytes$/.exec(entry.name);
      if (!m) continue;
      hugetlbStats[m[1]] = omitEmpty({
        usage: num(read(`${hugetlb}/hugetlb.${m[1]}.usage_in_bytes`)),
        max: num(read(`${hugetlb}/hugetlb.${m[1]}.max_usage_in_bytes`)),
        failcnt: num(read(`${hugetlb}/hugetlb.${m[1]}.failcnt`)),
      }, ["failcnt"]);
    }
  }
  return {
    cpu: cpuStats,
    memory: memoryStats,
    pids: pidsStats,
    blkio: blkioStats,
    hugetlb: hugetlbStats,
    intel_rdt: {},
    network_interfaces: null,
  };
}

function statsV2(dir: string): Json {
  const cpu = keyed(read(`${dir}/cpu.stat`));
  const mem = keyed(read(`${dir}/memory.stat`));
  const max = (file: string) => {
    const text = read(`${dir}/${file}`)?.trim();
    return text === undefined || text === "max" ? 2 ** 64 - 1 : Number(text);
  };
  const memEvents = keyed(read(`${dir}/memory.events`));
  const swapEvents = keyed(read(`${dir}/memory.swap.events`));
  return {
    cpu: {
      usage: omitEmpty({
        total: (cpu.usage_usec ?? 0) * 1000,
        kernel: (cpu.system_usec ?? 0) * 1000,
        user: (cpu.user_usec ?? 0) * 1000,
      }, ["kernel", "user"]),
      throttling: omitEmpty({
        periods: cpu.nr_periods ?? 0,
        throttledPeriods: cpu.nr_throttled ?? 0,
        throttledTime: (cpu.throttled_usec ?? 0) * 1000,
      }),
    },
    memory: omitEmpty({
      cache: mem.file ?? 0,
      usage: omitEmpty({
        limit: max("memory.max"),
        usage: num(read(`${dir}/memory.current`)),
        max: num(read(`${dir}/memory.peak`)),
        failcnt: memEvents.max ?? 0,
      }, ["limit", "failcnt"]),
      swap: omitEmpty({
        limit: max("memory.swap.max"),
        usage: num(read(`${dir}/memory.swap.current`)),
        failcnt: swapEvents.max ?? 0,
      }, ["limit", "failcnt"]),
      kernel: { limit: 0, failcnt: 0 },
      kernelTCP: { limit: 0, failcnt: 0 },
      raw: mem,
    }, ["usage", "swap", "kernel", "kernelTCP"]),
    pids: omitEmpty({
      current: num(read(`${dir}/pids.current`)),
      limit: read(`${dir}/pids.max`)?.trim() === "max" ? 0 : num(read(`${dir}/pids.max`)),
    }),
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** How many times the kernel's OOM killer has acted in the container's memory cgroup. */
export function oomKills(record: CgroupRecord): number {
  if (record.version === 2) return keyed(read(`${record.dirs[""]}/memory.events`)).oom_kill ?? 0;
  const memory = v1DirOf(record, "memory");
  return memory ? keyed(read(`${memory}/memory.oom_control`)).oom_kill ?? 0 : 0;
}

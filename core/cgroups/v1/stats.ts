/**
 * A container's usage from its v1 cgroup files (cpuacct, cpu, memory, pids, blkio, hugetlb),
 * in the shape of runc's `events --stats` data, and the OOM-kill counter `events` watches.
 */
import { type CgroupRecord, v1DirOf } from "../record.ts";
import { type CgroupStats, counter, keyed, omitEmpty, read } from "../files.ts";

const TICKS_TO_NS = 1e9 / 100; // USER_HZ

/** The stats of the container's v1 cgroups (runc fs GetStats). */
export function v1Stats(record: CgroupRecord): CgroupStats {
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
      total: counter(cpuacct && read(`${cpuacct}/cpuacct.usage`)),
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
        limit: counter(read(`${memory}/${prefix}limit_in_bytes`)),
        usage: counter(read(`${memory}/${prefix}usage_in_bytes`)),
        max: counter(read(`${memory}/${prefix}max_usage_in_bytes`)),
        failcnt: counter(read(`${memory}/${prefix}failcnt`)),
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
    current: counter(pids && read(`${pids}/pids.current`)),
    limit: pids && read(`${pids}/pids.max`)?.trim() !== "max"
      ? counter(pids && read(`${pids}/pids.max`))
      : 0,
  });

  const blkioEntries = (file: string) => {
    const out: CgroupStats[] = [];
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

  const hugetlbStats: CgroupStats = {};
  if (hugetlb) {
    for (const entry of Deno.readDirSync(hugetlb)) {
      const m = /^hugetlb\.(.+)\.usage_in_bytes$/.exec(entry.name);
      if (!m) continue;
      hugetlbStats[m[1]] = omitEmpty({
        usage: counter(read(`${hugetlb}/hugetlb.${m[1]}.usage_in_bytes`)),
        max: counter(read(`${hugetlb}/hugetlb.${m[1]}.max_usage_in_bytes`)),
        failcnt: counter(read(`${hugetlb}/hugetlb.${m[1]}.failcnt`)),
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

/** How many times the kernel's OOM killer has acted in the memory cgroup (memory.oom_control). */
export function v1OomKills(record: CgroupRecord): number {
  const memory = v1DirOf(record, "memory");
  return memory ? keyed(read(`${memory}/memory.oom_control`)).oom_kill ?? 0 : 0;
}

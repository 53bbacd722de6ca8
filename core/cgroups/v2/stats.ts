/**
 * A container's usage from its cgroup2 files (cpu.stat, memory.*, pids.*), in the shape of
 * runc's `events --stats` data, and the OOM-kill counter `events` watches.
 */
import { type CgroupStats, counter, keyed, omitEmpty, read } from "../files.ts";

/** The stats of the container's cgroup2 directory (runc's fs2 GetStats). */
export function v2Stats(dir: string): CgroupStats {
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
        usage: counter(read(`${dir}/memory.current`)),
        max: counter(read(`${dir}/memory.peak`)),
        failcnt: memEvents.max ?? 0,
      }, ["limit", "failcnt"]),
      swap: omitEmpty({
        limit: max("memory.swap.max"),
        usage: counter(read(`${dir}/memory.swap.current`)),
        failcnt: swapEvents.max ?? 0,
      }, ["limit", "failcnt"]),
      kernel: { limit: 0, failcnt: 0 },
      kernelTCP: { limit: 0, failcnt: 0 },
      raw: mem,
    }, ["usage", "swap", "kernel", "kernelTCP"]),
    pids: omitEmpty({
      current: counter(read(`${dir}/pids.current`)),
      limit: read(`${dir}/pids.max`)?.trim() === "max" ? 0 : counter(read(`${dir}/pids.max`)),
    }),
    blkio: {},
    hugetlb: {},
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** How many times the kernel's OOM killer has acted in the cgroup (memory.events). */
export function v2OomKills(dir: string): number {
  return keyed(read(`${dir}/memory.events`)).oom_kill ?? 0;
}

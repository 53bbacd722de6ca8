/**
 * cgroup v2 cpu and cpuset (runc's fs2/cpu.go, fs2/cpuset.go): cpu.idle, cpu.weight from the
 * spec's shares, cpu.max from quota and period, cpu.max.burst; cpuset.cpus and cpuset.mems.
 * Realtime group scheduling has no v2 files: ignored with a warning.
 */
import type { LinuxCpu } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { convertCpuSharesToWeight } from "../convert.ts";
import { fail, int, integer, MAX_SHARES, MIN_SHARES, num, warning } from "../values.ts";

/** The CFS period cgroup v2 uses when only a quota is given (cgroup-v2.rst, cpu.max). */
const DEFAULT_CPU_PERIOD = 100000;

/**
 * The cpu controller's writes, in runc's order.
 * @param cpu the cpu settings
 * @param warnings receives one line per ignored setting
 */
export function cpuWrites(cpu: LinuxCpu | undefined, warnings: string[]): CgroupWrite[] {
  const out = new WriteList("");
  if (!cpu) return out.writes;
  if (cpu.idle !== undefined) out.add("cpu.idle", integer("cpu.idle", cpu.idle));
  if (int("cpu.shares", cpu.shares)) {
    // Out of 2..262144 the conversion leaves cpu.weight's 1..10000 (runc's Go underflows).
    if (cpu.shares! > MAX_SHARES || cpu.shares! < MIN_SHARES) {
      fail("cpu.shares", `must be between ${MIN_SHARES} and ${MAX_SHARES}, got ${cpu.shares}`);
    }
    out.add("cpu.weight", String(convertCpuSharesToWeight(cpu.shares!)));
  }
  int("cpu.quota", cpu.quota);
  int("cpu.period", cpu.period);
  const quota = cpu.quota ?? 0;
  const period = cpu.period ?? 0;
  const burst = cpu.burst === undefined ? undefined : integer("cpu.burst", cpu.burst);
  // A burst above the old quota is refused (EINVAL) until the new cpu.max is in place.
  if (burst !== undefined) out.add("cpu.max.burst", burst, quota ? { deferOnEinval: true } : {});
  if (quota !== 0 || period !== 0) {
    const max = quota > 0 ? num(quota) : "max";
    out.add("cpu.max", `${max} ${num(period || DEFAULT_CPU_PERIOD)}`);
    if (burst !== undefined && quota) out.add("cpu.max.burst", burst, { retry: true });
  }
  if (cpu.realtimePeriod || cpu.realtimeRuntime) {
    warnings.push(
      warning(
        "cpu.realtimePeriod/realtimeRuntime",
        "ignored on cgroup v2 (no realtime group scheduling)",
      ),
    );
  }
  return out.writes;
}

/** cpuset.cpus and cpuset.mems. */
export function cpusetWrites(cpu: LinuxCpu | undefined): CgroupWrite[] {
  const out = new WriteList("");
  if (cpu?.cpus) out.add("cpuset.cpus", cpu.cpus);
  if (cpu?.mems) out.add("cpuset.mems", cpu.mems);
  return out.writes;
}

/**
 * cgroup v1 cpuset and cpu (runc's fs/cpuset.go, fs/cpu.go): CPUs and memory nodes; shares,
 * the CFS period, quota and burst, idle, and realtime bandwidth.
 */
import type { LinuxCpu } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { fail, int, integer, MAX_SHARES, MIN_SHARES } from "../values.ts";

/** cpuset.cpus and cpuset.mems. */
export function cpusetWrites(cpu: LinuxCpu | undefined): CgroupWrite[] {
  const out = new WriteList("cpuset");
  if (cpu?.cpus) out.add("cpuset.cpus", cpu.cpus);
  if (cpu?.mems) out.add("cpuset.mems", cpu.mems);
  return out.writes;
}

/**
 * The cpu controller's writes, in runc's order.
 *
 * cpu.rt_period_us/cpu.rt_runtime_us are also written by runc before the init joins the cpu
 * cgroup (a SCHED_RR process cannot join a cgroup without RT bandwidth): callers creating a
 * container apply them first (the writes of controller `cpu` whose file starts `cpu.rt_`).
 */
export function cpuWrites(cpu: LinuxCpu | undefined): CgroupWrite[] {
  const out = new WriteList("cpu");
  if (!cpu) return out.writes;
  const shares = int("cpu.shares", cpu.shares);
  if (shares) {
    // runc writes, reads back and refuses what the kernel clamped; the bounds are known.
    if (cpu.shares! > MAX_SHARES) {
      fail("cpu.shares", `the maximum allowed cpu-shares is ${MAX_SHARES}`);
    }
    if (cpu.shares! < MIN_SHARES) {
      fail("cpu.shares", `the minimum allowed cpu-shares is ${MIN_SHARES}`);
    }
    out.add("cpu.shares", shares);
  }
  const quota = int("cpu.quota", cpu.quota);
  const period = int("cpu.period", cpu.period);
  const burst = cpu.burst === undefined ? undefined : integer("cpu.burst", cpu.burst);
  // A period smaller than the current one, or a burst larger, can be refused (EINVAL) while
  // the old quota is in place: runc retries them after writing the quota.
  if (period) out.add("cpu.cfs_period_us", period, quota ? { deferOnEinval: true } : {});
  if (burst !== undefined) {
    out.add("cpu.cfs_burst_us", burst, {
      ifExists: true, // Linux 5.14+
      ...(quota ? { deferOnEinval: true } : {}),
    });
  }
  if (quota) {
    out.add("cpu.cfs_quota_us", quota);
    if (period) out.add("cpu.cfs_period_us", period, { retry: true });
    if (burst !== undefined) out.add("cpu.cfs_burst_us", burst, { retry: true });
  }
  if (cpu.idle !== undefined) out.add("cpu.idle", integer("cpu.idle", cpu.idle));
  // rt_period_us and rt_runtime_us depend on each other (runc 1.1.13, #4284).
  const rtPeriod = int("cpu.realtimePeriod", cpu.realtimePeriod);
  const rtRuntime = int("cpu.realtimeRuntime", cpu.realtimeRuntime);
  if (rtPeriod) {
    out.add("cpu.rt_period_us", rtPeriod, rtRuntime ? { deferOnEinval: true } : {});
  }
  if (rtRuntime) {
    out.add("cpu.rt_runtime_us", rtRuntime);
    if (rtPeriod) out.add("cpu.rt_period_us", rtPeriod, { retry: true });
  }
  return out.writes;
}

/**
 * The cgroup v2 driver (runc's libcontainer/cgroups/fs2): linux.resources as writes to the
 * files of the container's one cgroup directory, composed from a pure module per controller
 * family in runc's order, and the rest of CgroupDriver on that directory. v1-only settings runc ignores on v2 (swappiness, the OOM killer
 * switch, realtime CPU, net_cls/net_prio, leaf weights, kernel memory) are skipped with a
 * warning.
 */
import { warn } from "../../log.ts";
import type { LinuxResources } from "../../spec/types.ts";
import { applyWrites } from "../apply.ts";
import type { DeviceRule } from "../devices.ts";
import type { CgroupDriver } from "../driver.ts";
import type { CgroupRecord } from "../record.ts";
import type { CgroupStats } from "../files.ts";
import type { CgroupWrite } from "../write.ts";
import { warning } from "../values.ts";
import { controllersOf, enableControllers } from "./controllers.ts";
import { cpusetWrites, cpuWrites } from "./cpu.ts";
import { attachDeviceFilter } from "./devices.ts";
import { eventsFrozen, hasFreeze, writeFreeze } from "./freezer.ts";
import { hugetlbWrites } from "./hugetlb.ts";
import { ioWrites } from "./io.ts";
import { memoryWrites } from "./memory.ts";
import { pidsWrites } from "./pids.ts";
import { rdmaWrites } from "./rdma.ts";
import { v2OomKills, v2Stats } from "./stats.ts";
import { unifiedWrites } from "./unified.ts";

/**
 * The cgroup v2 writes for r, relative to the container's cgroup directory, in runc's order:
 * pids, memory, io, cpu, cpuset, hugetlb, rdma, then `unified`, written last so that it takes
 * precedence.
 * @param r the resources (validated: core/spec/validate.ts)
 * @param warnings receives one line per ignored setting
 */
export function v2Writes(r: LinuxResources, warnings: string[]): CgroupWrite[] {
  const writes = [
    ...pidsWrites(r),
    ...(r.memory ? memoryWrites(r.memory, warnings) : []),
    ...ioWrites(r.blockIO, warnings),
    ...cpuWrites(r.cpu, warnings),
    ...cpusetWrites(r.cpu),
    ...hugetlbWrites(r),
    ...rdmaWrites(r),
  ];
  if (r.network?.classID || r.network?.priorities?.length) {
    warnings.push(warning("network", "ignored on cgroup v2 (net_cls and net_prio are v1 only)"));
  }
  return [...writes, ...unifiedWrites(r.unified)];
}

/**
 * The v2 controllers r's writes need, in cgroup.controllers order: what each parent's
 * cgroup.subtree_control must enable (`+cpu +memory ...`) for the files to exist.
 * @param r the resources; an invalid value throws as in v2Writes()
 */
export function v2Controllers(r: LinuxResources): string[] {
  return controllersOf(v2Writes(r, []));
}

/** CgroupDriver on the cgroup2 directory of a record (unified hosts). */
export class CgroupfsV2Driver implements CgroupDriver {
  readonly version = 2;
  /** The container's one directory: cgroup2 has no hierarchy per controller. */
  readonly #dir: string;

  /** @param record the container's cgroups (version 2) */
  constructor(record: CgroupRecord) {
    this.#dir = record.dirs[""];
  }

  /** The controllers the writes need are enabled first; the device filter goes last. */
  setResources(resources: LinuxResources, devices?: DeviceRule[]): void {
    const warnings: string[] = [];
    const writes = v2Writes(resources, warnings);
    enableControllers(this.#dir, controllersOf(writes));
    for (const w of warnings) warn(w);
    applyWrites(() => this.#dir, writes);
    if (devices) attachDeviceFilter(this.#dir, devices);
  }

  describeResources(resources: LinuxResources, devices?: DeviceRule[]): string[] {
    const writes = v2Writes(resources, []);
    const lines = controllersOf(writes).map((c) => `enable controller ${c} in the ancestors`);
    lines.push(...writes.map((w) => `${this.#dir}/${w.file} = ${JSON.stringify(w.value)}`));
    if (devices) lines.push(`${this.#dir}: eBPF device filter of ${devices.length} rules`);
    return lines;
  }

  /** cgroup.freeze; the kernel freezes at once (isFrozen() tells when all are). */
  setFrozen(frozen: boolean): void {
    writeFreeze(this.#dir, frozen);
  }

  /** cgroup.freeze exists (Linux 5.2+) in the container's directory. */
  canFreeze(): boolean {
    return hasFreeze(this.#dir);
  }

  /** cgroup.events says `frozen 1`. */
  isFrozen(): boolean {
    return eventsFrozen(this.#dir);
  }

  /** All from the one directory: cpu.stat, memory.*, pids.*. */
  stats(): CgroupStats {
    return v2Stats(this.#dir);
  }

  /** memory.events' oom_kill. */
  oomKills(): number {
    return v2OomKills(this.#dir);
  }

  /** cgroup2 has one directory: the init joins it at once, with everything else. */
  lateMemoryCgroup(): undefined {
    return undefined;
  }
}

/**
 * The cgroup v1 driver (runc's libcontainer/cgroups/fs): linux.resources as writes to the
 * files of each controller's hierarchy, composed from a pure module per controller family in
 * runc's order, and the rest of CgroupDriver on the record's hierarchies. Where runc 1.1 lacks a field (cpu burst and idle came in 1.2) or a later
 * release fixed a bug (hugetlb rsvd limits, 1.1.10) the later behaviour is used.
 */
import { warn } from "../../log.ts";
import type { LinuxResources } from "../../spec/types.ts";
import { applyWrites } from "../apply.ts";
import type { DeviceRule } from "../devices.ts";
import type { CgroupDriver } from "../driver.ts";
import { type CgroupRecord, v1DirOf } from "../record.ts";
import type { CgroupStats } from "../files.ts";
import type { CgroupWrite } from "../write.ts";
import { fail } from "../values.ts";
import { blkioWrites } from "./blkio.ts";
import { cpusetWrites, cpuWrites } from "./cpu.ts";
import { v1DeviceWrites } from "./devices.ts";
import { freezerFrozen, hasFreezer, setFreezerState } from "./freezer.ts";
import { hugetlbWrites } from "./hugetlb.ts";
import { type CurrentMemory, memoryWrites } from "./memory.ts";
import { netWrites } from "./net.ts";
import { pidsWrites } from "./pids.ts";
import { rdmaWrites } from "./rdma.ts";
import { v1OomKills, v1Stats } from "./stats.ts";

/** Options of v1Writes(). */
export interface V1WriteOptions {
  /**
   * Current values of the container's memory cgroup (read by `update` from
   * memory.limit_in_bytes), which decide the order of the limit and memsw writes as runc
   * does. Absent: a new cgroup, whose limits are unlimited.
   */
  current?: CurrentMemory;
}

/**
 * The cgroup v1 writes for r, in runc's order: cpuset, memory, cpu, pids, blkio, hugetlb,
 * net_cls, net_prio, rdma (runc's subsystem list; devices are v1DeviceWrites()). Unset
 * fields write nothing. What runc ignores with a warning is added to warnings.
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
  return [
    ...cpusetWrites(r.cpu),
    ...(r.memory ? memoryWrites(r.memory, warnings, options.current) : []),
    ...cpuWrites(r.cpu),
    ...pidsWrites(r),
    ...blkioWrites(r.blockIO),
    ...hugetlbWrites(r),
    ...netWrites(r.network),
    ...rdmaWrites(r),
  ];
}

/** CgroupDriver on the v1 hierarchies of a record (legacy and hybrid hosts). */
export class CgroupfsV1Driver implements CgroupDriver {
  readonly version = 1;
  readonly #record: CgroupRecord;

  /** @param record the container's cgroups (version 1) */
  constructor(record: CgroupRecord) {
    this.#record = record;
  }

  /** Device rules go first (devices.allow/deny), then the resources. */
  setResources(resources: LinuxResources, devices?: DeviceRule[]): void {
    const warnings: string[] = [];
    const writes = this.#writes(resources, warnings, devices);
    for (const w of warnings) warn(w);
    applyWrites((controller) => this.#dirOf(controller), writes);
  }

  describeResources(resources: LinuxResources, devices?: DeviceRule[]): string[] {
    return this.#writes(resources, [], devices).map((w) =>
      `${this.#dirOf(w.controller) ?? `(no ${w.controller} hierarchy)`}/${w.file} = ${
        JSON.stringify(w.value)
      }`
    );
  }

  #writes(resources: LinuxResources, warnings: string[], devices?: DeviceRule[]) {
    const writes = v1Writes(resources, warnings, {
      current: currentMemory(this.#dirOf("memory")),
    });
    if (devices) writes.unshift(...v1DeviceWrites(devices));
    return writes;
  }

  /** freezer.state to FROZEN or THAWED, then wait until the kernel gets there. */
  setFrozen(frozen: boolean): void {
    setFreezerState(this.#dirOf("freezer"), frozen);
  }

  /** A freezer hierarchy with the container's directory in it. */
  canFreeze(): boolean {
    return hasFreezer(this.#dirOf("freezer"));
  }

  /** freezer.state is FROZEN, or FREEZING on the way. */
  isFrozen(): boolean {
    return freezerFrozen(this.#dirOf("freezer"));
  }

  /** From cpuacct, cpu, memory, pids, blkio and hugetlb, each in its own hierarchy. */
  stats(): CgroupStats {
    return v1Stats(this.#record);
  }

  /** memory.oom_control's oom_kill. */
  oomKills(): number {
    return v1OomKills(this.#record);
  }

  /**
   * The memory cgroup: joined by the init once its root file system is set up, so that
   * nothing of the setup is charged there and a container with a tiny memory limit still
   * starts.
   */
  lateMemoryCgroup(): string | undefined {
    // systemd makes a unit's memory cgroup with the init in it, after the executor starts
    if (this.#record.systemd) return undefined;
    return this.#dirOf("memory");
  }

  #dirOf(controller: string): string | undefined {
    return v1DirOf(this.#record, controller);
  }
}

/**
 * The memory cgroup's current limit and memory+swap limit: raising both must write memsw
 * first, lowering both the limit first.
 */
function currentMemory(dir: string | undefined): CurrentMemory | undefined {
  if (!dir) return undefined;
  const read = (file: string) => {
    try {
      return Number(Deno.readTextFileSync(`${dir}/${file}`).trim());
    } catch {
      return undefined;
    }
  };
  return { limit: read("memory.limit_in_bytes"), swap: read("memory.memsw.limit_in_bytes") };
}

/**
 * The cgroup v1 driver (runc's libcontainer/cgroups/fs): linux.resources as writes to the
 * files of each controller's hierarchy, composed from a module per controller family in
 * runc's order. Where runc 1.1 lacks a field (cpu burst and idle came in 1.2) or a later
 * release fixed a bug (hugetlb rsvd limits, 1.1.10) the later behaviour is used.
 */
import type { LinuxResources } from "../../spec/types.ts";
import type { CgroupWrite } from "../write.ts";
import { fail } from "../values.ts";
import { blkioWrites } from "./blkio.ts";
import { cpusetWrites, cpuWrites } from "./cpu.ts";
import { hugetlbWrites } from "./hugetlb.ts";
import { type CurrentMemory, memoryWrites } from "./memory.ts";
import { netWrites } from "./net.ts";
import { pidsWrites } from "./pids.ts";
import { rdmaWrites } from "./rdma.ts";

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

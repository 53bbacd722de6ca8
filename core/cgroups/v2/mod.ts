/**
 * The cgroup v2 driver (runc's libcontainer/cgroups/fs2): linux.resources as writes to the
 * files of the container's one cgroup directory, composed from a module per controller
 * family in runc's order. v1-only settings runc ignores on v2 (swappiness, the OOM killer
 * switch, realtime CPU, net_cls/net_prio, leaf weights, kernel memory) are skipped with a
 * warning.
 */
import type { LinuxResources } from "../../spec/types.ts";
import type { CgroupWrite } from "../write.ts";
import { warning } from "../values.ts";
import { controllersOf } from "./controllers.ts";
import { cpusetWrites, cpuWrites } from "./cpu.ts";
import { hugetlbWrites } from "./hugetlb.ts";
import { ioWrites } from "./io.ts";
import { memoryWrites } from "./memory.ts";
import { pidsWrites } from "./pids.ts";
import { rdmaWrites } from "./rdma.ts";
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

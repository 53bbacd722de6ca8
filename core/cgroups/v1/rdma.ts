/** cgroup v1 rdma (runc's fs/rdma.go): one rdma.max line per device. */
import type { LinuxResources } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { rdmaLines } from "../values.ts";

/** The rdma.max lines of r. */
export function rdmaWrites(r: LinuxResources): CgroupWrite[] {
  const out = new WriteList("rdma");
  for (const line of rdmaLines(r)) out.add("rdma.max", line);
  return out.writes;
}

/** cgroup v2 pids (runc's fs2/pids.go): pids.max. */
import type { LinuxResources } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { pidsMax } from "../values.ts";

/** pids.max, when a limit is set. */
export function pidsWrites(r: LinuxResources): CgroupWrite[] {
  const out = new WriteList("");
  const max = pidsMax(r);
  if (max) out.add("pids.max", max);
  return out.writes;
}

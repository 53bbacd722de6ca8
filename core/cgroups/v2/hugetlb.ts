/** cgroup v2 hugetlb (runc's fs2/hugetlb.go): a limit per page size. */
import type { LinuxResources } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { hugepageWrites } from "../values.ts";

/** hugetlb.SIZE.max (and hugetlb.SIZE.rsvd.max where it exists). */
export function hugetlbWrites(r: LinuxResources): CgroupWrite[] {
  return hugepageWrites(r, new WriteList(""), "max");
}

/** cgroup v1 hugetlb (runc's fs/hugetlb.go): a limit per page size. */
import type { LinuxResources } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { hugepageWrites } from "../values.ts";

/** hugetlb.SIZE.limit_in_bytes (and hugetlb.SIZE.rsvd.limit_in_bytes where it exists). */
export function hugetlbWrites(r: LinuxResources): CgroupWrite[] {
  return hugepageWrites(r, new WriteList("hugetlb"), "limit_in_bytes");
}

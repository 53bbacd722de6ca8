/**
 * cgroup v2 controllers: a file of the container's cgroup exists only when its controller
 * is enabled in the parent's cgroup.subtree_control, so the controllers a set of writes
 * needs are enabled first, from the root down.
 */
import type { CgroupWrite } from "../write.ts";

/** v2 controllers in the kernel's cgroup.controllers order. */
const CONTROLLERS = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"];

/** The controllers whose files writes name (fallbacks included), in cgroup.controllers order. */
export function controllersOf(writes: readonly CgroupWrite[]): string[] {
  const used = new Set<string>();
  for (const w of writes) {
    for (const file of [w.file, w.fallback?.file]) {
      if (file) used.add(file.slice(0, file.indexOf(".")));
    }
  }
  return CONTROLLERS.filter((c) => used.has(c));
}

/**
 * cgroup v2 controllers: a file of the container's cgroup exists only when its controller
 * is enabled in the parent's cgroup.subtree_control, so the controllers a set of writes
 * needs are enabled first, from the root down.
 */
import { TsruncError } from "../../../base/errors.ts";
import { readLayout } from "../layout.ts";
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

/**
 * Enable controllers in every ancestor's cgroup.subtree_control, from the cgroup2 root down
 * to dir's parent; a controller missing from an ancestor's cgroup.controllers is an error.
 * @param dir the container's cgroup2 directory
 * @param controllers from controllersOf()
 */
export function enableControllers(dir: string, controllers: string[]): void {
  if (controllers.length === 0) return;
  const root = readLayout().v2!.mountpoint;
  const parts = dir.slice(root.length).split("/").filter(Boolean);
  let at = root;
  for (const part of parts) {
    const available = Deno.readTextFileSync(`${at}/cgroup.controllers`).trim().split(" ");
    const missing = controllers.filter((c) => !available.includes(c));
    if (missing.length > 0) {
      throw new TsruncError(
        `cgroup2 controller(s) ${missing.join(", ")} not available in ${at} (cgroup.controllers)`,
      );
    }
    const enabled = Deno.readTextFileSync(`${at}/cgroup.subtree_control`).trim().split(" ");
    const add = controllers.filter((c) => !enabled.includes(c));
    if (add.length > 0) {
      Deno.writeTextFileSync(`${at}/cgroup.subtree_control`, add.map((c) => `+${c}`).join(" "));
    }
    at = `${at}/${part}`;
  }
}

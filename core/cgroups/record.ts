/**
 * What state.json keeps of a container's cgroups, and where a v1 controller's directory is
 * in it. Kept apart from manager.ts so that the per-version drivers (v1/, v2/), which the
 * manager uses, can read it without an import cycle.
 */

/** What state.json keeps of a container's cgroups. */
export interface CgroupRecord {
  /** The host directory of the container's cgroup in each hierarchy ("" = cgroup2). */
  dirs: Record<string, string>;
  /** Directories tsrunc made, parents first: `delete` removes them, deepest first. */
  created: string[];
  /**
   * Which files carry the resources: v1 controllers (legacy, hybrid) or cgroup2. It chooses
   * the driver (driver.ts).
   */
  version: 1 | 2;
  /**
   * --systemd-cgroup: the transient unit systemd made for the container (its cgroup is
   * `dirs`, which systemd creates and removes; `created` holds only what tsrunc made in
   * hierarchies systemd leaves alone).
   */
  systemd?: { unit: string; slice: string };
}

/** The directory of the v1 hierarchy that carries controller. */
export function v1DirOf(record: CgroupRecord, controller: string): string | undefined {
  for (const [key, dir] of Object.entries(record.dirs)) {
    if (key.split(",").includes(controller)) return dir;
  }
  return undefined;
}

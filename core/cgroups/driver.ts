/**
 * What differs between cgroup versions, behind one interface: the manager (manager.ts)
 * places, makes and removes a container's cgroups, adds and lists its processes, the same
 * way on every host; for everything else it asks the driver of the record, chosen once by
 * driverFor().
 *
 * The systemd driver (`--systemd-cgroup`, systemd.ts) is not a third class here: systemd
 * makes, joins and removes the container's cgroup (a transient unit, over D-Bus) and takes
 * the limits it has properties for; everything else (the other files, device rules, the
 * freezer, stats) is the cgroupfs driver of the host's version, on the unit's directories,
 * as with runc. So the methods here work on the record the driver was made for and take
 * no cgroupfs paths.
 */
import type { LinuxResources } from "../spec/types.ts";
import type { DeviceRule } from "./devices.ts";
import type { CgroupRecord } from "./record.ts";
import type { CgroupStats } from "./files.ts";
import { CgroupfsV1Driver } from "./v1/mod.ts";
import { CgroupfsV2Driver } from "./v2/mod.ts";

/** A container's cgroups, as far as they differ by cgroup version (or driver). */
export interface CgroupDriver {
  /** Which files carry the resources: v1 controllers or cgroup2. */
  readonly version: 1 | 2;
  /**
   * Apply resources (create and update), enabling what they need first (cgroup2
   * controllers); device rules only when given (create: update leaves them).
   * @param resources the container's resources (validated)
   * @param devices the ordered device rules (devices.ts)
   */
  setResources(resources: LinuxResources, devices?: DeviceRule[]): void;
  /**
   * What setResources() would write, one line each ("PATH = VALUE"), writing nothing
   * (`tsrunc explain`). Warnings are dropped: create prints them.
   */
  describeResources(resources: LinuxResources, devices?: DeviceRule[]): string[];
  /** Freeze or thaw every process of the container; returns once done. */
  setFrozen(frozen: boolean): void;
  /** Whether the container's cgroups can be frozen (a freezer that is there still). */
  canFreeze(): boolean;
  /** Whether the container's cgroups are frozen; false when that cannot be read. */
  isFrozen(): boolean;
  /** runc's stats JSON of the container (`events --stats`). */
  stats(): CgroupStats;
  /** How many times the kernel's OOM killer has acted in the container. */
  oomKills(): number;
  /**
   * The cgroup the init joins itself just before execve (through an fd of its
   * cgroup.procs), or undefined when it is joined with the others at once.
   */
  lateMemoryCgroup(): string | undefined;
}

/** The driver of a container's cgroups, from its record's version. */
export function driverFor(record: CgroupRecord): CgroupDriver {
  switch (record.version) {
    case 1:
      return new CgroupfsV1Driver(record);
    case 2:
      return new CgroupfsV2Driver(record);
  }
}

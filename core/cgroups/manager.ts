/**
 * A container's cgroups on the host, the work that is the same on every cgroup version:
 * place them (layout.ts), make the directories, put processes in, list them, find
 * sub-cgroups for `exec --cgroup`, remove. It remembers what it made, so `delete` removes
 * exactly that and never a cgroup it did not create. What differs by version (resources,
 * device rules, the freezer, stats, the late memory cgroup) is the driver's (driver.ts).
 */
import { describeFsError, TsruncError, wrapError } from "../../base/errors.ts";
import { debug, warn } from "../log.ts";
import type { LinuxResources, OciSpec } from "../spec/types.ts";
import { rootlessSafeDeviceRules } from "./devices.ts";
import { driverFor } from "./driver.ts";
import {
  cleanCgroupPath,
  containerCgroupPaths,
  type Layout,
  parseProcCgroup,
  readLayout,
} from "./layout.ts";
import { type CgroupRecord, v1DirOf } from "./record.ts";
import { placeSystemdCgroups } from "./systemd.ts";

/** Where the container's cgroups go (nothing is made yet). */
export function placeCgroups(
  spec: OciSpec,
  id: string,
  options: { systemd: boolean; layout?: Layout; ownCgroup?: string },
): CgroupRecord {
  const cgroupsPath = spec.linux?.cgroupsPath;
  const layout = options.layout ?? readLayout();
  if (options.systemd) {
    const record = placeSystemdCgroups(spec, id, layout);
    if (!systemdRunning()) {
      throw new TsruncError(
        "--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); use the cgroupfs driver",
      );
    }
    return record;
  }
  const own = ownCgroups(layout, options.ownCgroup);
  const paths = containerCgroupPaths(layout, own, cgroupsPath, id);
  const dirs: Record<string, string> = {};
  for (const h of layout.v1) dirs[h.key] = h.mountpoint + paths.get(h.key)!;
  if (layout.v2) dirs[""] = layout.v2.mountpoint + paths.get("")!;
  return { dirs, created: [], version: layout.mode === "unified" ? 2 : 1 };
}

/**
 * The cgroups relative cgroupsPaths are placed under: tsrunc's own, as runc; or, when
 * TSRUNC_CGROUP_PARENT names an absolute cgroup, that one in every hierarchy (the tests
 * use it to keep their containers out of the cgroups of the machine's own services).
 */
function ownCgroups(layout: Layout, procSelfCgroup?: string): Map<string, string> {
  const parent = Deno.env.get("TSRUNC_CGROUP_PARENT");
  if (parent && procSelfCgroup === undefined) {
    const clean = cleanCgroupPath(parent);
    if (!clean.startsWith("/")) {
      throw new TsruncError(`TSRUNC_CGROUP_PARENT: "${parent}" must be an absolute cgroup path`);
    }
    return new Map([...layout.v1.map((h) => h.key), ""].map((key) => [key, clean]));
  }
  return parseProcCgroup(procSelfCgroup ?? Deno.readTextFileSync("/proc/self/cgroup"));
}

function systemdRunning(): boolean {
  try {
    return Deno.statSync("/run/systemd/system").isDirectory;
  } catch {
    return false;
  }
}

/**
 * Make the directories (recording those made), then apply the resources and device
 * rules. When cgroupfs cannot be written (rootless, read-only) and the config asks for
 * no limits, cgroups are skipped, said at debug level only (runc says nothing); with
 * limits that is an error. `placed`: how many processes tsrunc put there itself already
 * (the systemd driver's scope is made with the init in it; this comes after).
 */
export function createCgroups(record: CgroupRecord, spec: OciSpec, placed = 0): void {
  const layout = readLayout();
  try {
    for (const dir of Object.values(record.dirs)) makeDirs(dir, mountpointOf(layout, dir), record);
  } catch (error) {
    const denied = error instanceof Deno.errors.PermissionDenied ||
      (error as { code?: string }).code === "EROFS";
    if (denied && !asksForLimits(spec.linux?.resources)) {
      debug(`cgroups not set up (${describeFsError(error)}): the config asks for no limits`);
      removeCgroups(record);
      record.dirs = {};
      return;
    }
    throw wrapError(`create cgroup`, error);
  }
  // A cgroup that was there already (runc's two checks): a frozen one would freeze the
  // executor the moment it joins, and every wait on it after that.
  const driver = driverFor(record);
  if (driver.isFrozen()) {
    throw new TsruncError(
      "container's cgroup unexpectedly frozen: thaw it (or give another cgroupsPath) first",
    );
  }
  // (less the processes tsrunc placed there itself: the systemd driver's init)
  const present = (cgroupPids(record)?.length ?? 0) - placed;
  if (present > 0) warn(`container's cgroup is not empty: ${present} process(es) found`);
  driver.setResources(spec.linux?.resources ?? {}, rootlessSafeDeviceRules(spec));
}

/** Whether resources ask for any limit (device rules alone do not). */
function asksForLimits(resources: LinuxResources | undefined): boolean {
  if (!resources) return false;
  return Object.entries(resources).some(([key, value]) =>
    key !== "devices" && value !== undefined && value !== null
  );
}

function mountpointOf(layout: Layout, dir: string): string {
  const all = [...layout.v1, ...(layout.v2 ? [layout.v2] : [])];
  const h = all.find((h) => dir === h.mountpoint || dir.startsWith(h.mountpoint + "/"));
  if (!h) throw new TsruncError(`cgroup ${dir} is not under a cgroup mount`);
  return h.mountpoint;
}

/**
 * The directories createCgroups would make (those missing now), parents first: recorded
 * in state.json before they are made, so that a create killed while making them leaves
 * `delete --force` all it needs (removing one that is not there is no error).
 */
export function missingCgroupDirs(record: CgroupRecord): string[] {
  const layout = readLayout();
  const missing: string[] = [];
  for (const dir of Object.values(record.dirs)) {
    for (const at of dirsDown(mountpointOf(layout, dir), dir)) {
      try {
        Deno.statSync(at);
      } catch {
        missing.push(at);
      }
    }
  }
  return missing;
}

/** Each directory from below mountpoint down to dir, parents first. */
function dirsDown(mountpoint: string, dir: string): string[] {
  const dirs: string[] = [];
  let at = mountpoint;
  for (const part of dir.slice(mountpoint.length).split("/").filter(Boolean)) {
    at = `${at}/${part}`;
    dirs.push(at);
  }
  return dirs;
}

function makeDirs(dir: string, mountpoint: string, record: CgroupRecord): void {
  let parent = mountpoint;
  for (const at of dirsDown(mountpoint, dir)) {
    try {
      Deno.mkdirSync(at);
      record.created.push(at);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    inheritCpuset(parent, at);
    parent = at;
  }
}

/**
 * v1 cpuset: a new cgroup starts with no CPUs and no memory nodes, and no process can
 * join it until it has some: give it its parent's (as runc does).
 */
function inheritCpuset(parent: string, dir: string): void {
  try {
    Deno.statSync(`${dir}/cpuset.cpu_exclusive`); // v1 only
  } catch {
    return;
  }
  for (const file of ["cpuset.cpus", "cpuset.mems"]) {
    let current: string;
    try {
      current = Deno.readTextFileSync(`${dir}/${file}`).trim();
    } catch {
      return;
    }
    if (current === "") {
      Deno.writeTextFileSync(`${dir}/${file}`, Deno.readTextFileSync(`${parent}/${file}`).trim());
    }
  }
}

/** The container's v1 cgroups as a `cgroup` mount shows them: mount name and host directory. */
export function v1MountSources(record: CgroupRecord): { name: string; hostPath: string }[] {
  const layout = readLayout();
  return layout.v1.filter((h) => record.dirs[h.key] !== undefined).map((h) => ({
    name: h.mountpoint.slice(h.mountpoint.lastIndexOf("/") + 1),
    hostPath: record.dirs[h.key],
  }));
}

/**
 * `exec --cgroup [controller:]path`: the record with its directories moved to existing
 * sub-cgroups (all hierarchies, or the one with that v1 controller).
 */
export function subCgroups(record: CgroupRecord, specs: readonly string[]): CgroupRecord {
  const dirs = { ...record.dirs };
  for (const spec of specs) {
    // [controller[,controller...]:]path, the path relative to the container's cgroup
    // ("/" or "" is that cgroup itself), as runc's exec --cgroup.
    const colon = spec.indexOf(":");
    const controllers = colon >= 0 ? spec.slice(0, colon).split(",") : undefined;
    const path = colon >= 0 ? spec.slice(colon + 1) : spec;
    const parts = path.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.includes("..")) {
      throw new TsruncError(`--cgroup ${spec}: ${path} is not a sub cgroup path`);
    }
    const keys = new Set<string>();
    for (const controller of controllers ?? Object.keys(dirs)) {
      const matching = controllers === undefined
        ? [controller]
        : Object.keys(dirs).filter((k) => k.split(",").includes(controller));
      if (matching.length === 0) {
        throw new TsruncError(`--cgroup ${spec}: unknown controller "${controller}"`);
      }
      for (const key of matching) keys.add(key);
    }
    for (const key of keys) {
      const dir = parts.length ? `${record.dirs[key]}/${parts.join("/")}` : record.dirs[key];
      try {
        if (!Deno.statSync(dir).isDirectory) throw new Error();
      } catch {
        // Checked before any process is made (runc finds out when adding the pid).
        throw new TsruncError(
          `--cgroup ${spec}: adding pid to cgroup ${dir}: ${dir}/cgroup.procs: no such file or directory`,
        );
      }
      dirs[key] = dir;
    }
  }
  return { ...record, dirs, created: [] };
}

/** tsrunc's own v1 cgroups as a `cgroup` mount shows them (when the container has none). */
export function ownMountSources(): { name: string; hostPath: string }[] {
  const own = parseProcCgroup(Deno.readTextFileSync("/proc/self/cgroup"));
  return readLayout().v1.map((h) => ({
    name: h.mountpoint.slice(h.mountpoint.lastIndexOf("/") + 1),
    hostPath: h.mountpoint + (own.get(h.key) ?? own.get(h.key.split(",").sort().join(",")) ?? "/"),
  }));
}

/** Put pid into the container's cgroups (but the directory `except`). */
export function addProcess(record: CgroupRecord, pid: number, except?: string): void {
  for (const dir of Object.values(record.dirs)) {
    if (dir === except) continue;
    try {
      Deno.writeTextFileSync(`${dir}/cgroup.procs`, String(pid));
    } catch (error) {
      throw wrapError(`add pid ${pid} to cgroup ${dir}`, error);
    }
  }
}

/** Host pids in the container's cgroup and its sub-cgroups; [] when there is none. */
export function cgroupPids(record: CgroupRecord | undefined): number[] | undefined {
  const dir = record && (record.dirs[""] ?? v1DirOf(record, "pids") ??
    v1DirOf(record, "freezer") ?? Object.values(record.dirs)[0]);
  if (!dir) return undefined;
  const pids: number[] = [];
  const walk = (at: string) => {
    let text: string;
    try {
      text = Deno.readTextFileSync(`${at}/cgroup.procs`);
    } catch {
      return;
    }
    for (const line of text.split("\n")) if (line) pids.push(Number(line));
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(at)];
    } catch (error) {
      // removed while read (systemd removes an emptied scope's cgroup): no sub-cgroups
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) if (entry.isDirectory) walk(`${at}/${entry.name}`);
  };
  walk(dir);
  return pids.sort((a, b) => a - b);
}

/**
 * Remove the directories tsrunc made, deepest first. The container's own directories
 * get a moment for exiting processes to leave; a parent tsrunc made that another
 * container still uses stays.
 */
export function removeCgroups(record: CgroupRecord): void {
  const leaves = new Set(Object.values(record.dirs));
  // Sub-cgroups made inside the container's (exec --cgroup, a systemd inside) go first.
  for (const dir of record.created) if (leaves.has(dir)) removeSubCgroups(dir);
  const failed: string[] = [];
  for (const dir of [...record.created].reverse()) {
    const attempts = leaves.has(dir) ? 100 : 1;
    let removed = false;
    for (let attempt = 0; attempt < attempts && !removed; attempt++) {
      try {
        Deno.removeSync(dir);
        removed = true;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) removed = true;
        else if (attempt + 1 < attempts) sleepMs(10);
      }
    }
    if (!removed && leaves.has(dir)) failed.push(dir);
  }
  if (failed.length > 0) warn(`could not remove cgroup(s) ${failed.join(", ")}: still in use`);
  record.created = [];
}

function removeSubCgroups(dir: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory) continue;
    const sub = `${dir}/${entry.name}`;
    removeSubCgroups(sub);
    try {
      Deno.removeSync(sub);
    } catch {
      // still busy: the container's directory then stays, with a warning
    }
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export { cleanCgroupPath };

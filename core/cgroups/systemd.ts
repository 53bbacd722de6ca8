/**
 * The systemd cgroup driver (`--systemd-cgroup`), as runc's: the container's cgroup is a
 * transient scope that systemd makes, asked for over D-Bus with the init's pid
 * (StartTransientUnit, Delegate=yes), its limits as unit properties (core/systemd/unit.ts);
 * what systemd has no property for is then written to the scope's cgroup files by the
 * cgroupfs driver of the host's version, as runc does. `update` sets the properties again
 * (SetUnitProperties), `delete` stops the unit. pause, ps, events and kill --all read and
 * write the scope's cgroup files, as with cgroupfs.
 *
 * Only this module talks to systemd, and only with --systemd-cgroup.
 */
import { TsruncError, wrapError } from "../../base/errors.ts";
import { debug } from "../log.ts";
import type { LinuxResources, OciSpec } from "../spec/types.ts";
import { DBusConnection, DBusError } from "../systemd/dbus.ts";
import {
  annotationProperties,
  baseProperties,
  deviceProperties,
  placeUnit,
  type Property,
  resourceProperties,
} from "../systemd/unit.ts";
import { type Layout, parseProcCgroup, readLayout } from "./layout.ts";
import type { CgroupRecord } from "./record.ts";
import { rootlessSafeDeviceRules } from "./devices.ts";

const MANAGER = {
  destination: "org.freedesktop.systemd1",
  path: "/org/freedesktop/systemd1",
  interface: "org.freedesktop.systemd1.Manager",
};

/** How long systemd may take to make the scope and move the init into it. */
const UNIT_TIMEOUT_MS = 30_000;

/** Where the container's scope and its cgroups are (nothing is asked of systemd yet). */
export function placeSystemdCgroups(spec: OciSpec, id: string, layout: Layout): CgroupRecord {
  const place = placeUnit(spec.linux?.cgroupsPath, id, Deno.uid() !== 0);
  const dirs: Record<string, string> = {};
  for (const h of layout.v1) dirs[h.key] = h.mountpoint + place.cgroup;
  if (layout.v2) dirs[""] = layout.v2.mountpoint + place.cgroup;
  return {
    dirs,
    created: [],
    version: layout.mode === "unified" ? 2 : 1,
    systemd: { unit: place.unit, slice: place.slice },
  };
}

/**
 * systemd's own socket (no dbus-daemon needed): the system manager's for root, the user
 * manager's for a rootless caller.
 */
function managerSocket(): string {
  if (Deno.uid() === 0) return "/run/systemd/private";
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  if (!runtime) {
    throw new TsruncError(
      "--systemd-cgroup: XDG_RUNTIME_DIR is not set: cannot find the user's systemd",
    );
  }
  return `${runtime}/systemd/private`;
}

async function withManager<T>(use: (bus: DBusConnection) => Promise<T>): Promise<T> {
  const bus = await DBusConnection.open(managerSocket(), { hello: false });
  try {
    return await use(bus);
  } finally {
    bus.close();
  }
}

/**
 * Ask systemd for the container's transient unit with the init in it, then wait until
 * the kernel shows the init in the unit's cgroup.
 */
export async function startUnit(record: CgroupRecord, spec: OciSpec, id: string, pid: number) {
  const unit = record.systemd!;
  const v2 = record.version === 2;
  const devices = rootlessSafeDeviceRules(spec);
  const properties: Property[] = [
    ...baseProperties(id, unit, pid, v2),
    ...resourceProperties(spec.linux?.resources ?? {}, v2),
    ...(devices ? deviceProperties(devices) : []),
    ...annotationProperties(spec.annotations),
  ];
  debug(`systemd: StartTransientUnit ${unit.unit} in ${unit.slice} for pid ${pid}`);
  await withManager(async (bus) => {
    try {
      await bus.call({
        ...MANAGER,
        member: "StartTransientUnit",
        signature: "ssa(sv)a(sa(sv))",
        body: [unit.unit, "replace", properties, []],
      });
    } catch (error) {
      if (error instanceof DBusError && /UnitExists/.test(error.errorName)) {
        throw new TsruncError(`--systemd-cgroup: unit ${unit.unit} exists already`);
      }
      throw wrapError(`--systemd-cgroup: start unit ${unit.unit}`, error);
    }
  });
  takeUnitDirs(record, await waitInUnit(pid, unit.unit));
}

/**
 * Where systemd really put the unit: its cgroups as the init's /proc/PID/cgroup shows
 * them (`procCgroup`, read once it is in the unit). A manager whose root is not the hierarchy's (a user's manager, systemd in a
 * container) puts the unit below its own cgroup; the hierarchies systemd leaves alone
 * keep the paths placeSystemdCgroups() gave them (tsrunc makes those).
 */
function takeUnitDirs(record: CgroupRecord, procCgroup: string): void {
  const layout = readLayout();
  const paths = parseProcCgroup(procCgroup);
  const inUnit = (path: string | undefined) => path?.endsWith(`/${record.systemd!.unit}`);
  for (const h of layout.v1) {
    const path = paths.get(h.key);
    if (record.dirs[h.key] !== undefined && inUnit(path)) record.dirs[h.key] = h.mountpoint + path;
  }
  const path = paths.get("");
  if (layout.v2 && record.dirs[""] !== undefined && inUnit(path)) {
    record.dirs[""] = layout.v2.mountpoint + path;
  }
}

/**
 * Poll /proc/PID/cgroup until the process is in the unit (systemd moves it in its job);
 * returns that file's text.
 */
async function waitInUnit(pid: number, unit: string): Promise<string> {
  const deadline = Date.now() + UNIT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    let text = "";
    try {
      text = Deno.readTextFileSync(`/proc/${pid}/cgroup`);
    } catch {
      throw new TsruncError(`--systemd-cgroup: process ${pid} exited before joining ${unit}`);
    }
    if (text.split("\n").some((line) => line.endsWith(`/${unit}`))) return text;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new TsruncError(
    `--systemd-cgroup: systemd did not put process ${pid} in ${unit} within ${
      UNIT_TIMEOUT_MS / 1000
    } s`,
  );
}

/** `update`: the unit's properties again (runtime only, as runc). */
export async function setUnitResources(record: CgroupRecord, resources: LinuxResources) {
  const properties = resourceProperties(resources, record.version === 2);
  if (properties.length === 0) return;
  await withManager((bus) =>
    bus.call({
      ...MANAGER,
      member: "SetUnitProperties",
      signature: "sba(sv)",
      body: [record.systemd!.unit, true, properties],
    })
  );
}

/**
 * `delete` (and a failed create): stop the unit and forget a failed state, so that the
 * name can be used again. A unit that is gone already is no error.
 */
export async function stopUnit(record: CgroupRecord): Promise<void> {
  const unit = record.systemd!.unit;
  const calls = [
    { member: "StopUnit", signature: "ss", body: [unit, "replace"] },
    { member: "ResetFailedUnit", signature: "s", body: [unit] },
  ];
  await withManager(async (bus) => {
    for (const call of calls) {
      try {
        await bus.call({ ...MANAGER, ...call });
      } catch (error) {
        if (error instanceof DBusError && /NoSuchUnit|NotLoaded/.test(error.errorName)) continue;
        throw wrapError(`--systemd-cgroup: ${call.member} ${unit}`, error);
      }
    }
  });
}

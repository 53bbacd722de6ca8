/** Reads, from the host and the rootfs, the few facts buildPlan() needs. */
import type { OciSpec } from "../spec/types.ts";
import { type HostFacts, hostPath, isBindMount } from "../plan/build.ts";

/**
 * Gather HostFacts for a config; cgroupV1 lists the container's own cgroup directories
 * (what a `cgroup` mount shows).
 */
export function gatherHostFacts(
  spec: OciSpec,
  bundle: string,
  rootfs: string,
  cgroupV1: HostFacts["cgroupV1"],
  noPivot = false,
): HostFacts {
  const fileSources = new Set<string>();
  let wantsCgroup = false;
  for (const mount of spec.mounts ?? []) {
    if (mount.type === "cgroup") wantsCgroup = true;
    if (!isBindMount(mount)) continue;
    const source = hostPath(bundle, mount.source ?? "");
    try {
      if (!Deno.statSync(source).isDirectory) fileSources.add(source);
    } catch {
      // a missing source fails at mount time, with the mount named
    }
  }
  return {
    cgroupV1: wantsCgroup ? cgroupV1 : [],
    fileSources,
    hasKcore: exists("/proc/kcore"),
    lsm: hostLsm(),
    unprivilegedCaller: Deno.uid() !== 0,
    hostPseudoFsMounts: noPivot ? wholePseudoFsMounts(rootfs) : undefined,
    netnsIsHost: joinsOwnNamespace(spec, "network", "net"),
    home: spec.process?.env?.some((e) => e.startsWith("HOME="))
      ? undefined
      : passwdHome(rootfs, spec.process?.user?.uid ?? 0),
  };
}

/** Which LSMs the host has enabled (AppArmor's module parameter, selinuxfs). */
export function hostLsm(): { apparmor: boolean; selinux: boolean } {
  let apparmor = false;
  try {
    apparmor = Deno.readTextFileSync("/sys/module/apparmor/parameters/enabled").trim() === "Y";
  } catch {
    // no AppArmor
  }
  return { apparmor, selinux: exists("/sys/fs/selinux/enforce") };
}

/**
 * Mount points of the whole (root "/") procfs and sysfs mounts outside rootfs, from
 * /proc/self/mountinfo, parents first.
 */
export function wholePseudoFsMounts(rootfs: string, mountinfo?: string): string[] {
  const text = mountinfo ?? Deno.readTextFileSync("/proc/self/mountinfo");
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  const points: string[] = [];
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const fields = left.split(" ");
    const fstype = right.split(" ")[0];
    const point = unescape(fields[4]);
    if (fields[3] !== "/" || (fstype !== "proc" && fstype !== "sysfs")) continue;
    if (point === rootfs || point.startsWith(`${rootfs}/`)) continue;
    points.push(point);
  }
  return points;
}

/** Whether the config joins, by path, the namespace of this type tsrunc itself is in. */
function joinsOwnNamespace(spec: OciSpec, type: string, procName: string): boolean {
  const path = spec.linux?.namespaces?.find((n) => n.type === type && n.path)?.path;
  if (!path) return false;
  try {
    const theirs = Deno.statSync(path);
    const ours = Deno.statSync(`/proc/self/ns/${procName}`);
    return theirs.dev === ours.dev && theirs.ino === ours.ino;
  } catch {
    return false; // a path that cannot be opened fails when joined, with its name
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * HOME of uid in the rootfs' /etc/passwd, as runc sets it. The file is read only when it
 * really lies inside the rootfs (a symlink out of it is ignored).
 */
export function passwdHome(rootfs: string, uid: number): string | undefined {
  try {
    const real = Deno.realPathSync(`${rootfs}/etc/passwd`);
    const root = Deno.realPathSync(rootfs);
    if (!real.startsWith(root + "/")) return "/";
    for (const line of Deno.readTextFileSync(real).split("\n")) {
      const fields = line.split(":");
      if (fields.length >= 6 && Number(fields[2]) === uid && fields[2] !== "") return fields[5];
    }
  } catch {
    // no passwd file: runc's default
  }
  return "/";
}

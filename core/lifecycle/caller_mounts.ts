/**
 * A container without a mount namespace of its own has its mounts in the caller's: the
 * executor binds the rootfs onto itself, privately, and mounts the config's mounts below
 * that bind (see pushRootfs). runc leaves them behind when the container is gone;
 * tsrunc takes the bind away, with everything below it, when create fails and on delete.
 * It does so only in the mount namespace the bind was made in, and only while the
 * topmost mount on the rootfs is that bind: a mount that was there before create, or
 * that somebody put on top since, is never touched.
 */
import * as libcore from "../../ffi/libcore.ts";
import { wrapError } from "../../base/errors.ts";
import { warn } from "../log.ts";

/** Where the rootfs bind of a container without a mount namespace is (StoredState). */
export interface CallerMounts {
  /** Inode of the mount namespace the bind is made in. */
  mountNs: number;
  /** The rootfs with its symlinks resolved: the bind's mount point. */
  path: string;
  /** Id of the topmost mount on path before create; 0: none. */
  before: number;
  /** Id of the bind, once create has made it. */
  bind?: number;
}

/** Note, before the executor runs, what is mounted on the rootfs. */
export function noteCallerMounts(rootfs: string): CallerMounts {
  const path = Deno.realPathSync(rootfs);
  return { mountNs: ownMountNs(), path, before: topMountOn(path) ?? 0 };
}

/** Note the bind create made (call once the container is created). */
export function noteRootfsBind(record: CallerMounts): void {
  const top = topMountOn(record.path);
  if (top !== undefined && top !== record.before) record.bind = top;
}

/** Detach the rootfs bind and all below it, if it is still there; a failure is a warning. */
export function detachRootfsBind(record: CallerMounts): void {
  if (ownMountNs() !== record.mountNs) return;
  const top = topMountOn(record.path);
  const ours = record.bind !== undefined ? top === record.bind : top !== record.before;
  if (top === undefined || !ours) return;
  try {
    libcore.detachMount(record.path);
  } catch (error) {
    warn(wrapError(`the container's mounts on ${record.path}`, error).message);
  }
}

function ownMountNs(): number {
  return Deno.statSync("/proc/self/ns/mnt").ino ?? 0;
}

/** The id of the topmost mount on path, in /proc/self/mountinfo; undefined: none. */
export function topMountOn(path: string, mountinfo?: string): number | undefined {
  const text = mountinfo ?? Deno.readTextFileSync("/proc/self/mountinfo");
  let top: number | undefined;
  // "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw": the mount
  // point is field 5, with space, tab, newline and backslash as octal escapes. A mount
  // stacked on another comes after it.
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 5) continue;
    const point = fields[4].replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (point === path) top = Number(fields[0]);
  }
  return top;
}

/**
 * cgroup2's freezer (runc's fs2/freezer.go): cgroup.freeze asks, cgroup.events says
 * `frozen 1` once every process is frozen.
 */
import { fileExists } from "../files.ts";

/**
 * Freeze or thaw the processes of the cgroup dir.
 * @param dir the container's cgroup2 directory
 * @param frozen true to freeze, false to thaw
 */
export function writeFreeze(dir: string, frozen: boolean): void {
  Deno.writeTextFileSync(`${dir}/cgroup.freeze`, frozen ? "1" : "0");
}

/** Whether dir has cgroup.freeze (Linux 5.2+; gone when the cgroup was removed). */
export function hasFreeze(dir: string | undefined): boolean {
  return dir !== undefined && fileExists(`${dir}/cgroup.freeze`);
}

/** Whether cgroup.events says frozen; false when it cannot be read. */
export function eventsFrozen(dir: string): boolean {
  try {
    return /^frozen 1$/m.test(Deno.readTextFileSync(`${dir}/cgroup.events`));
  } catch {
    return false;
  }
}

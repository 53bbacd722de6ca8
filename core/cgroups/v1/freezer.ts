/**
 * cgroup v1 freezer (runc's fs/freezer.go): freezer.state is THAWED, FREEZING or FROZEN;
 * `pause` returns once FROZEN is reached.
 */
import { TsruncError } from "../../../base/errors.ts";
import { fileExists } from "../files.ts";

/** How long freezing may take before it is an error. */
const FREEZE_TIMEOUT_MS = 5000;

/**
 * Freeze or thaw the processes of the freezer cgroup dir, and wait until done.
 * @param dir the freezer cgroup, undefined when the container has none
 * @param frozen true to freeze, false to thaw
 */
export function setFreezerState(dir: string | undefined, frozen: boolean): void {
  if (!dir) throw new TsruncError("the freezer cgroup controller is not available");
  const wanted = frozen ? "FROZEN" : "THAWED";
  Deno.writeTextFileSync(`${dir}/freezer.state`, wanted);
  // FREEZING → FROZEN takes a moment: wait so that `pause` returns with it done.
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const state = Deno.readTextFileSync(`${dir}/freezer.state`).trim();
    if (state === wanted) return;
    Deno.writeTextFileSync(`${dir}/freezer.state`, wanted);
  }
  throw new TsruncError(`cgroup freezer of ${dir} did not reach ${wanted}`);
}

/** Whether the freezer cgroup dir is there (someone may have removed a stopped container's). */
export function hasFreezer(dir: string | undefined): boolean {
  return dir !== undefined && fileExists(`${dir}/freezer.state`);
}

/** Whether the freezer cgroup dir is frozen or freezing; false when it cannot be read. */
export function freezerFrozen(dir: string | undefined): boolean {
  try {
    return dir !== undefined && Deno.readTextFileSync(`${dir}/freezer.state`).trim() !== "THAWED";
  } catch {
    return false;
  }
}

/** pause / resume: freeze and thaw every process of a container through its cgroup. */
import { TsruncError } from "../../base/errors.ts";
import { driverFor } from "../cgroups/driver.ts";
import { openContainer } from "./open.ts";

/** Freeze (pause) or thaw (resume) a container. */
export function pauseContainer(root: string, id: string, pause: boolean): void {
  const opened = openContainer(root, id);
  try {
    const { status, state } = opened;
    // runc pauses created containers too (their waiting init is frozen)
    if (pause && status !== "running" && status !== "created") {
      throw new TsruncError("container not running");
    }
    if (!pause && status !== "paused") throw new TsruncError("container not paused");
    const driver = state.cgroups && driverFor(state.cgroups);
    if (!driver || !driver.canFreeze()) {
      throw new TsruncError(`container ${id} has no freezer cgroup: it cannot be paused`);
    }
    driver.setFrozen(pause);
  } finally {
    opened.unlock();
  }
}

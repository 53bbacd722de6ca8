/** delete: remove a stopped (or, with --force, any) container and run poststop hooks. */
import { TsruncError } from "../../base/errors.ts";
import { runHooks } from "../hooks.ts";
import { debug, warn } from "../log.ts";
import { hookState } from "../state/oci_state.ts";
import { ContainerDir } from "../state/store.ts";
import { removeCgroups } from "../cgroups/manager.ts";
import { stopUnit } from "../cgroups/systemd.ts";
import { removeIntelRdt } from "../cgroups/intel_rdt.ts";
import { detachRootfsBind } from "./caller_mounts.ts";
import { containerPids, killAll, waitInitGone } from "./processes.ts";
import { openContainer, type Opened } from "./open.ts";

const KILL_WAIT_MS = 10_000;

/** Delete a container. A created one is killed first, as runc does. */
export async function deleteContainer(root: string, id: string, force: boolean): Promise<void> {
  let opened: Opened;
  try {
    opened = openContainer(root, id);
  } catch (error) {
    if (force && !new ContainerDir(root, id).exists()) return;
    throw error;
  }
  try {
    const { status, state } = opened;
    if ((status === "running" || status === "paused") && !force) {
      throw new TsruncError(`cannot delete container ${id} that is not stopped: ${status}`);
    }
    debug(`delete ${id}: ${status}`);
    if (status !== "stopped") {
      killAll(state, 9);
      if (!waitInitGone(state, KILL_WAIT_MS)) {
        throw new TsruncError(`container ${id}: init ${state.pid} did not exit after SIGKILL`);
      }
    }
    if (state.cgroups) {
      // What is left in the cgroup (exec'd processes outliving the init) goes too, as with
      // runc. Usually nothing is: then the freeze/kill/thaw round is skipped.
      if (containerPids(state).length > 0) killAll(state, 9);
      if (state.cgroups.systemd) await stopUnit(state.cgroups);
      removeCgroups(state.cgroups);
    }
    removeIntelRdt(state.intelRdt);
    if (state.callerMounts) detachRootfsBind(state.callerMounts);
    opened.dir.remove();
    const poststop = state.hooks?.poststop ?? [];
    if (poststop.length > 0) {
      // runtime-spec: a failing poststop hook is only a warning.
      await runHooks("poststop", poststop, hookState(state, "stopped")).catch((e) =>
        warn((e as Error).message)
      );
    }
  } finally {
    opened.unlock();
  }
}

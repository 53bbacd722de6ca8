/** The processes of a container, and signalling them. */
import { TsruncError } from "../../base/errors.ts";
import * as libcore from "../../ffi/libcore.ts";
import { initAlive } from "../state/status.ts";
import type { StoredState } from "../state/store.ts";
import { driverFor } from "../cgroups/driver.ts";
import { cgroupPids } from "../cgroups/manager.ts";

/**
 * Host pids of the container's processes: those in its cgroup (and sub-cgroups); without
 * a cgroup, everything in the init's pid namespace, or only the init when the container
 * shares the host's.
 */
export function containerPids(state: StoredState): number[] {
  const inCgroup = cgroupPids(state.cgroups);
  if (inCgroup !== undefined) return inCgroup;
  if (!initAlive(state)) return [];
  let ns: string;
  try {
    ns = Deno.readLinkSync(`/proc/${state.pid}/ns/pid`);
  } catch {
    return [state.pid];
  }
  if (ns === Deno.readLinkSync("/proc/self/ns/pid")) return [state.pid];
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    try {
      if (Deno.readLinkSync(`/proc/${pid}/ns/pid`) === ns) pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids.sort((a, b) => a - b);
}

/** Signal the init (checked against pid reuse through a pidfd). */
export function signalInit(state: StoredState, signal: number): void {
  const pidfd = libcore.pidfdOpen(state.pid);
  try {
    // The pidfd pins the process: check it is still ours before signalling.
    if (!initAlive(state)) throw new TsruncError("container not running");
    libcore.pidfdSignal(pidfd, signal);
  } finally {
    libcore.close(pidfd);
  }
}

/** Wait until the init has exited (not necessarily reaped), up to timeoutMs. */
export function waitInitGone(state: StoredState, timeoutMs: number): boolean {
  let pidfd: number;
  try {
    pidfd = libcore.pidfdOpen(state.pid);
  } catch {
    return true;
  }
  try {
    return libcore.pidfdPoll(pidfd, timeoutMs);
  } finally {
    libcore.close(pidfd);
  }
}

/**
 * Send signal to every process of the container. With a freezer the cgroup is frozen
 * meanwhile, so that nothing forks past the signal (as runc's kill --all).
 */
export function killAll(state: StoredState, signal: number): void {
  const driver = state.cgroups && driverFor(state.cgroups);
  const freeze = driver !== undefined && !driver.isFrozen() && driver.canFreeze();
  if (freeze) driver.setFrozen(true);
  try {
    for (const pid of containerPids(state)) libcore.kill(pid, signal);
  } finally {
    if (freeze) driver.setFrozen(false);
  }
  // A frozen process keeps a SIGKILL pending until thawed: thaw a paused container.
  if (signal === 9 && driver && driver.isFrozen()) driver.setFrozen(false);
}

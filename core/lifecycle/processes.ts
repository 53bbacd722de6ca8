/** The processes of a container, and signalling them. */
import { TsruncError } from "../errors.ts";
import * as libcore from "../../ffi/libcore.ts";
import { initAlive } from "../state/status.ts";
import type { StoredState } from "../state/store.ts";

/**
 * Host pids of the container's processes: everything in the init's pid namespace, or
 * only the init when the container shares a pid namespace with the host.
 * TODO(#5): use the container's cgroup.
 */
export function containerPids(state: StoredState): number[] {
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

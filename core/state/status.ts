/**
 * A container's status from its stored state and the kernel: its init is alive (and is
 * the same process: start times match), and the exec fifo still waits for `start`.
 */
import { driverFor } from "../cgroups/driver.ts";
import type { ContainerDir, StoredState } from "./store.ts";

/** runtime-spec statuses. */
export type Status = "creating" | "created" | "running" | "paused" | "stopped";

/** Start time (clock ticks since boot) and state letter of a pid, or undefined if gone. */
export function procStat(pid: number): { startTime: number; state: string } | undefined {
  if (pid <= 0) return undefined;
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: fields start after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], startTime: Number(fields[19]) };
}

/** Whether the init recorded in state is still alive (zombies count as dead). */
export function initAlive(state: StoredState): boolean {
  const stat = procStat(state.pid);
  return stat !== undefined && stat.startTime === state.initStartTime && stat.state !== "Z" &&
    stat.state !== "X";
}

/** The status of a container. */
export function containerStatus(dir: ContainerDir, state: StoredState | undefined): Status {
  if (!state || !state.createdDone) return "creating";
  if (!initAlive(state)) return "stopped";
  if (state.cgroups && driverFor(state.cgroups).isFrozen()) return "paused";
  return dir.fifoExists() ? "created" : "running";
}

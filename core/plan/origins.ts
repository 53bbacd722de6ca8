/**
 * Where each op of a plan came from: the JSON path in the config that asked for it
 * (`mounts[1]`, `process.rlimits[0]`, `linux.maskedPaths[3]`), or nothing for the steps
 * every container takes. `tsrunc explain` prints it beside each op, and the error of a
 * failing op names it, so that a user goes from a message straight to the line of
 * config.json to look at. Ops are objects: the map is keyed by the op itself, so ops can
 * be built and pushed anywhere and keep their origin.
 */
import type { PlanOp } from "./ops.ts";

/** op → the config JSON path it came from. */
export type Origins = Map<PlanOp, string>;

/**
 * Run `push`, then tag every op it appended to `plan` (that has no origin yet: the
 * innermost tag wins) with `path`. Returns what `push` returns.
 */
export function tagged<T>(
  plan: readonly PlanOp[],
  origins: Origins | undefined,
  path: string,
  push: () => T,
): T {
  const start = plan.length;
  const result = push();
  if (origins) {
    for (const op of plan.slice(start)) if (!origins.has(op)) origins.set(op, path);
  }
  return result;
}

/** Tag ops built aside (pushed into the plan later) with `path`. */
export function tag(origins: Origins | undefined, path: string, ...ops: PlanOp[]): void {
  if (!origins) return;
  for (const op of ops) if (!origins.has(op)) origins.set(op, path);
}

/**
 * Phase timing for profiling start-up (docs/performance.md): with TSRUNC_TIMING=1 each
 * mark prints `timing: <ms since the launcher started> <label>` on stderr. The launcher
 * exports its start time (TSRUNC_T0, µs since the epoch); without it the origin is
 * Deno's timeOrigin, which is set only once the runtime is up.
 */
const enabled = Deno.env.get("TSRUNC_TIMING") === "1";
const origin = Number(Deno.env.get("TSRUNC_T0") ?? 0) / 1000 || performance.timeOrigin;

/** Print how long the process has been running, when TSRUNC_TIMING=1. */
export function mark(label: string): void {
  if (!enabled) return;
  const ms = performance.timeOrigin + performance.now() - origin;
  console.error(`timing: ${ms.toFixed(1).padStart(6)} ms ${label}`);
}

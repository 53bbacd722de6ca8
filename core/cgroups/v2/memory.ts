/**
 * cgroup v2 memory (runc's libcontainer/cgroups/fs2/memory.go): memory.swap.max (swap only,
 * where the spec gives memory+swap), memory.max and memory.low. Where a later runc fixed a
 * bug (unlimited memory with a swap limit, 1.2.1; a missing swap file when swap is only
 * disabled or unlimited, 1.2.0) the later behaviour is used.
 */
import type { LinuxMemory } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { convertMemorySwapToV2 } from "../convert.ts";
import { bytes, kernelMemoryWarning, num, swappinessOf, warning } from "../values.ts";

/**
 * The writes of m, in runc's order; the v1-only OOM killer switch and swappiness are
 * ignored with a warning.
 * @param m the memory settings
 * @param warnings receives one line per ignored setting
 */
export function memoryWrites(m: LinuxMemory, warnings: string[]): CgroupWrite[] {
  const out = new WriteList("");
  const limit = bytes("memory.limit", m.limit);
  const swap = bytes("memory.swap", m.swap);
  const reservation = bytes("memory.reservation", m.reservation);
  kernelMemoryWarning(m, warnings);
  if (m.disableOOMKiller) {
    warnings.push(warning("memory.disableOOMKiller", "not supported on cgroup v2 (ignored)"));
  }
  if (swappinessOf(m) !== undefined) {
    warnings.push(warning("memory.swappiness", "not supported on cgroup v2 (ignored)"));
  }
  if (limit === 0 && swap === 0 && reservation === 0) return out.writes;

  const swapOnly = convertMemorySwapToV2(swap, limit);
  // 0 means "leave as is" except when memory+swap equals memory: no swap at all.
  const swapValue = swapOnly === 0 ? (swap > 0 ? "0" : "") : v2Number(swapOnly);
  if (swapValue !== "") {
    // Without swap accounting there is no memory.swap.max: only a real limit is an error.
    out.add(
      "memory.swap.max",
      swapValue,
      swapValue === "max" || swapValue === "0" ? { ifExists: true } : {},
    );
  }
  if (limit !== 0) out.add("memory.max", v2Number(limit));
  if (reservation !== 0) out.add("memory.low", v2Number(reservation));
  return out.writes;
}

/** fs2's numToStr: -1 is "max". */
function v2Number(value: number): string {
  return value === -1 ? "max" : num(value);
}

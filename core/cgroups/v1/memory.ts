/**
 * cgroup v1 memory (runc's libcontainer/cgroups/fs/memory.go): limit, memory+swap limit,
 * soft limit, OOM killer switch and swappiness. The kernel keeps memsw >= limit at every
 * step, so the order of the two writes depends on the current values.
 */
import type { LinuxMemory } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { bytes, fail, kernelMemoryWarning, num, swappinessOf } from "../values.ts";

/** The memory cgroup's limits now (`update`); absent: a new cgroup, unlimited. */
export interface CurrentMemory {
  limit?: number;
  swap?: number;
}

/**
 * The writes of m, in runc's order.
 * @param m the memory settings
 * @param warnings receives one line per ignored setting
 * @param current the limits in place, which decide the order of the limit and memsw writes
 */
export function memoryWrites(
  m: LinuxMemory,
  warnings: string[],
  current?: CurrentMemory,
): CgroupWrite[] {
  const out = new WriteList("memory");
  const limit = bytes("memory.limit", m.limit);
  let swap = bytes("memory.swap", m.swap);
  const reservation = bytes("memory.reservation", m.reservation);
  kernelMemoryWarning(m, warnings);
  const limitFile = "memory.limit_in_bytes";
  const swapFile = "memory.memsw.limit_in_bytes";

  // An unlimited memory with no swap given makes memory+swap unlimited too, when the kernel
  // accounts swap at all (memsw exists).
  let swapIfExists = false;
  if (limit === -1 && swap === 0) {
    swap = -1;
    swapIfExists = true;
  }
  const writeLimit = () => {
    if (limit !== 0) out.add(limitFile, num(limit));
  };
  const writeSwap = () => {
    if (swap !== 0) out.add(swapFile, num(swap), swapIfExists ? { ifExists: true } : {});
  };
  // The kernel keeps memsw >= limit at every step: when raising, memsw goes first.
  const currentLimit = current?.limit ?? Infinity;
  if (limit !== 0 && swap !== 0 && (swap === -1 || currentLimit < swap)) {
    writeSwap();
    writeLimit();
  } else {
    writeLimit();
    writeSwap();
  }
  if (reservation !== 0) out.add("memory.soft_limit_in_bytes", num(reservation));
  if (m.disableOOMKiller) out.add("memory.oom_control", "1");
  const swappiness = swappinessOf(m);
  if (swappiness !== undefined) {
    if (swappiness > 100) {
      fail(
        "memory.swappiness",
        `invalid value ${swappiness}, valid memory swappiness range is 0-100`,
      );
    }
    out.add("memory.swappiness", num(swappiness));
  }
  return out.writes;
}

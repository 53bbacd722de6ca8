/**
 * runc's conversions of runtime-spec values, which follow cgroup v1's units, to cgroup v2's
 * (libcontainer/cgroups/utils.go). Pure, and exported for the tests that pin them to runc's
 * integer arithmetic.
 */
import { fail } from "./values.ts";

/**
 * runc's ConvertCPUSharesToCgroupV2Value: cpu.shares 2..262144 to cpu.weight 1..10000,
 * linearly, with integer division: `1 + ((shares - 2) * 9999) / 262142`; 0 stays 0 (unset).
 */
export function convertCpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * runc's ConvertBlkIOToIOWeightValue: blkio weight 10..1000 to io.weight 1..10000:
 * `1 + ((weight - 10) * 9999) / 990`, integer division; 0 stays 0 (unset).
 */
export function convertBlkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

/**
 * runc's ConvertMemorySwapToCgroupV2Value (1.2.1): the spec's swap is memory+swap, cgroup v2's
 * memory.swap.max is swap only. -1 is unlimited and 0 unset, kept as they are; an unlimited
 * memory with an unset swap makes the swap unlimited too (v1 compatibility); an unlimited
 * memory keeps a swap limit as it is.
 */
export function convertMemorySwapToV2(swap: number, limit: number): number {
  if (limit === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (limit === -1) return swap;
  if (limit === 0) fail("memory.swap", "unable to set swap limit without memory limit");
  if (limit < 0) fail("memory.limit", `invalid memory value: ${limit}`);
  if (swap < limit) fail("memory.swap", "memory+swap limit should be >= memory limit");
  return swap - limit;
}

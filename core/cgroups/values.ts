/**
 * linux.resources values as the kernel reads them, shared by the v1 and v2 mappings: each is
 * checked (core/spec/validate.ts checks types; the ranges and forms runc refuses are checked
 * here) and turned into the text of a cgroup file. An invalid value throws an error that
 * names its field, `linux.resources.memory.swap: ...`.
 */
import { TsruncError } from "../../base/errors.ts";
import type { LinuxMemory, LinuxResources, LinuxThrottleDevice } from "../spec/types.ts";
import type { CgroupWrite, WriteList } from "./write.ts";

const PATH = "linux.resources";

/** Kernel bounds of cpu.shares (kernel/sched: MIN_SHARES, MAX_SHARES). */
export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;

/** Throw the error of a linux.resources field: `linux.resources.memory.swap: ...`. */
export function fail(path: string, message: string): never {
  throw new TsruncError(`${PATH}.${path}: ${message}`);
}

/** A warning about a linux.resources field: `linux.resources.memory.swappiness: ...`. */
export function warning(path: string, message: string): string {
  return `${PATH}.${path}: ${message}`;
}

/** An integer where 0 means unset: "" for undefined or 0, else as integer(). */
export function int(path: string, value: number | undefined): string {
  if (value === undefined || value === 0) return "";
  return integer(path, value);
}

/** An integer as the kernel reads it (no exponent, no fraction). */
export function integer(path: string, value: number): string {
  if (!Number.isInteger(value)) fail(path, `expected an integer, got ${value}`);
  return num(value);
}

/** An integer in decimal, exactly (no exponent for 2^63-like values). */
export function num(value: number): string {
  return BigInt(value).toString();
}

/** A memory amount: -1 (unlimited), 0 (unset) or bytes. */
export function bytes(path: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < -1) {
    fail(path, `must be -1 (unlimited) or a number of bytes, got ${value}`);
  }
  return value;
}

/** Swappiness, or undefined when unset (runc also reads -1 and its uint64 twin as unset). */
export function swappinessOf(m: LinuxMemory): number | undefined {
  const s = m.swappiness;
  if (s === undefined || s === -1 || s >= 2 ** 64 - 1) return undefined;
  if (!Number.isInteger(s) || s < 0) fail("memory.swappiness", `invalid value ${s}`);
  return s;
}

/** runc 1.2 ignores kernel memory limits (the kernel deprecated them) with this warning. */
export function kernelMemoryWarning(m: LinuxMemory, warnings: string[]): void {
  if (m.kernel !== undefined || m.kernelTCP !== undefined) {
    warnings.push(
      warning("memory.kernel/kernelTCP", "kernel memory settings are ignored and will be removed"),
    );
  }
}

/** pids.max: runc leaves 0 alone ("") and writes "max" for a negative limit. */
export function pidsMax(r: LinuxResources): string {
  const limit = r.pids?.limit;
  if (limit === undefined || limit === 0) return "";
  if (!Number.isInteger(limit)) fail("pids.limit", `expected an integer, got ${limit}`);
  return limit < 0 ? "max" : num(limit);
}

/** A blkio weight: the spec's range is 10..1000; 0 is unset (""). */
export function blkioWeight(path: string, value: number | undefined): string {
  if (value === undefined || value === 0) return "";
  if (!Number.isInteger(value) || value < 10 || value > 1000) {
    fail(path, `must be between 10 and 1000, got ${value}`);
  }
  return String(value);
}

/** A device as `major:minor`. */
export function device(path: string, d: { major: number; minor: number }): string {
  if (!Number.isInteger(d.major) || d.major < 0) fail(`${path}.major`, `invalid ${d.major}`);
  if (!Number.isInteger(d.minor) || d.minor < 0) fail(`${path}.minor`, `invalid ${d.minor}`);
  return `${d.major}:${d.minor}`;
}

/** [device, rate] of each throttle; an absent rate is 0 (runc's Go zero value). */
export function throttles(
  key: string,
  list: LinuxThrottleDevice[] | undefined,
): [string, string][] {
  return (list ?? []).map((t, i) => [
    device(`blockIO.${key}[${i}]`, t),
    integer(`blockIO.${key}[${i}].rate`, t.rate ?? 0),
  ]);
}

/**
 * Each hugepage limit written to `hugetlb.SIZE.FILE`, and the same value to the reservation
 * limit `hugetlb.SIZE.rsvd.FILE` where it exists (Linux 5.7+; runc 1.1.10, #3859). The page
 * size is part of a file name: only `2MB`-like sizes (the spec's pattern).
 * @param r the resources
 * @param out the hugetlb controller's writes
 * @param file the limit's file name after the page size (v1 `limit_in_bytes`, v2 `max`)
 */
export function hugepageWrites(r: LinuxResources, out: WriteList, file: string): CgroupWrite[] {
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    if (!/^[1-9][0-9]*[KMG]B$/.test(h.pageSize)) {
      fail(`hugepageLimits[${i}].pageSize`, `invalid page size ${JSON.stringify(h.pageSize)}`);
    }
    const limit = integer(`hugepageLimits[${i}].limit`, h.limit);
    out.add(`hugetlb.${h.pageSize}.${file}`, limit);
    out.add(`hugetlb.${h.pageSize}.rsvd.${file}`, limit, { ifExists: true });
  }
  return out.writes;
}

/** A name written in a line of a cgroup file: no blanks, no newline. */
export function word(path: string, value: string): string {
  if (value === "" || /\s/.test(value)) fail(path, `invalid name ${JSON.stringify(value)}`);
  return value;
}

/** rdma.max lines, `mlx4_0 hca_handle=2 hca_object=2000` (fscommon/rdma.go; v1 and v2 alike). */
export function rdmaLines(r: LinuxResources): string[] {
  return Object.entries(r.rdma ?? {}).map(([dev, limits]) => {
    const at = `rdma[${JSON.stringify(dev)}]`;
    let line = word(at, dev);
    if (limits.hcaHandles !== undefined) {
      line += ` hca_handle=${integer(`${at}.hcaHandles`, limits.hcaHandles)}`;
    }
    if (limits.hcaObjects !== undefined) {
      line += ` hca_object=${integer(`${at}.hcaObjects`, limits.hcaObjects)}`;
    }
    return line;
  });
}

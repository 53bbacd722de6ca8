/** Helpers of the cgroup mapping tests: sizes, expected writes, error checks. */
import { assert, assertThrows } from "../../_assert.ts";
import type { CgroupWrite } from "../../../../core/cgroups/write.ts";
import { TsruncError } from "../../../../base/errors.ts";

/** One GiB and one MiB. */
export const G = 1024 ** 3;
export const M = 1024 ** 2;

/** A v1 write, as [controller, file, value] plus its flags. */
export function c1(controller: string, file: string, value: string, extra = {}): CgroupWrite {
  return { controller, file, value, ...extra };
}

/** A v2 write. */
export function c2(file: string, value: string, extra = {}): CgroupWrite {
  return { controller: "", file, value, ...extra };
}

/** fn must throw a TsruncError whose message matches pattern. */
export function assertTsruncError(fn: () => unknown, pattern: RegExp | string): void {
  const error = assertThrows(fn, pattern);
  assert(error instanceof TsruncError, `expected a TsruncError, got ${error}`);
}

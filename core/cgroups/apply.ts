/**
 * Performs the writes the v1 and v2 mappings (core/cgroups/v1/, v2/) plan, in order, the way runc writes cgroup
 * files: open without creating (cgroupfs has every file it supports; a missing file means a
 * controller or kernel feature is absent), write the value, and turn the kernel's refusal into
 * an error naming the file and the value. The decisions runc takes from the kernel's answer
 * (a file that may be missing, a fallback file, a value refused until a companion value is
 * written) are carried by each write.
 */
import { describeFsError, ERRNO, errnoOf, TsruncError } from "../../base/errors.ts";
import type { CgroupWrite } from "./write.ts";

/** Options of applyWrites(). */
export interface ApplyOptions {
  /** Writes data to an existing file (tests simulate the kernel with it). */
  writeFile?: (path: string, data: string) => void;
}

/**
 * Write each value to `${dirOf(controller)}/${file}`, in order.
 * @param dirOf the directory of a v1 controller, or of the container's cgroup for v2's ""
 * @param writes from v1Writes() or v2Writes()
 * @param options a writer for tests
 */
export function applyWrites(
  dirOf: (controller: string) => string | undefined,
  writes: CgroupWrite[],
  options: ApplyOptions = {},
): void {
  const writeFile = options.writeFile ?? writeExisting;
  const deferred = new Set<string>();
  for (const w of writes) {
    const dir = dirOf(w.controller);
    if (dir === undefined) {
      throw new TsruncError(
        w.controller === ""
          ? "cgroup directory is not available"
          : `cgroup controller ${w.controller} is not available`,
      );
    }
    checkName(w.file);
    const key = `${w.controller}\0${w.file}`;
    if (w.retry) {
      if (!deferred.delete(key)) continue;
    }
    const path = `${dir}/${w.file}`;
    try {
      writeFile(path, w.value);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === ERRNO.ENOENT && w.ifExists) continue;
      if (errno === ERRNO.ENOENT && w.fallback) {
        checkName(w.fallback.file);
        const other = `${dir}/${w.fallback.file}`;
        try {
          writeFile(other, w.fallback.value);
        } catch (error2) {
          if (errnoOf(error2) === ERRNO.ENOENT) {
            throw new TsruncError(
              `cgroup file ${path} does not exist, nor ${w.fallback.file} (is the controller enabled?)`,
              { errno: ERRNO.ENOENT, cause: error2 },
            );
          }
          throw writeError(other, w.fallback.value, error2);
        }
        continue;
      }
      if (errno === ERRNO.EINVAL && w.deferOnEinval && !w.retry) {
        deferred.add(key);
        continue;
      }
      throw writeError(path, w.value, error);
    }
  }
}

/** Deno's writeTextFileSync without create: O_WRONLY|O_TRUNC, as runc's WriteFile. */
function writeExisting(path: string, data: string): void {
  Deno.writeTextFileSync(path, data, { create: false });
}

/** The file is a plain name inside the controller's directory. */
function checkName(file: string): void {
  if (file === "" || file.includes("/") || file === "." || file === "..") {
    throw new TsruncError(`invalid cgroup file name ${JSON.stringify(file)}`);
  }
}

function writeError(path: string, value: string, error: unknown): TsruncError {
  const errno = errnoOf(error);
  if (errno === ERRNO.ENOENT) {
    const hint = /\/memory\.(memsw|swap)\./.test(path)
      ? "is swap accounting enabled?"
      : "is the controller enabled?";
    return new TsruncError(`cgroup file ${path} does not exist (${hint})`, { errno, cause: error });
  }
  if (errno === ERRNO.EBUSY && path.endsWith("/memory.limit_in_bytes")) {
    // runc's message: the kernel cannot set a limit below the usage it cannot reclaim.
    const dir = path.slice(0, path.lastIndexOf("/"));
    const usage = readNumber(`${dir}/memory.usage_in_bytes`);
    const peak = readNumber(`${dir}/memory.max_usage_in_bytes`);
    if (usage !== undefined && peak !== undefined) {
      return new TsruncError(
        `unable to set memory limit to ${value} (current usage: ${usage}, peak usage: ${peak})`,
        { errno, cause: error },
      );
    }
  }
  return new TsruncError(
    `cannot write ${JSON.stringify(value)} to ${path}: ${describeFsError(error)}`,
    {
      errno,
      cause: error,
    },
  );
}

function readNumber(path: string): string | undefined {
  try {
    const text = Deno.readTextFileSync(path).trim();
    return /^[0-9]+$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

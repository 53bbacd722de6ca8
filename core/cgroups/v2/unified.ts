/**
 * linux.resources.unified (runc's fs2/fs2.go setUnified): any file of the container's cgroup,
 * by name, written as given, last, so that it takes precedence over the mapped fields.
 */
import { type CgroupWrite, WriteList } from "../write.ts";
import { fail } from "../values.ts";

/** The writes of unified; multi-line values line by line (io.max for two devices, runc 1.2). */
export function unifiedWrites(unified: Record<string, string> | undefined): CgroupWrite[] {
  const out = new WriteList("");
  for (const [key, value] of Object.entries(unified ?? {})) {
    unifiedKey(key);
    const lines = value.split("\n").filter((line) => line !== "");
    for (const line of lines.length > 0 ? lines : [value]) out.add(key, line);
  }
  return out.writes;
}

/** A unified key names one file of the container's cgroup: `controller.parameter`. */
function unifiedKey(key: string): void {
  const at = `unified[${JSON.stringify(key)}]`;
  if (key.includes("/") || key.includes("..") || key.includes("\0")) {
    fail(at, "must be a file name (no slashes)");
  }
  if (!/^[a-z][a-z0-9_]*\.[A-Za-z0-9_.]*[A-Za-z0-9_]$/.test(key)) {
    fail(at, "must be in the form CONTROLLER.PARAMETER");
  }
}

/**
 * Reading cgroup files, where a missing file means an absent controller or kernel feature
 * (so it reads as nothing, never an error): text, counters, "key value" lines, existence;
 * and Go's omitempty, for runc's stats JSON (types.Stats) made from them. Shared by v1/, v2/.
 */

/** runc's stats JSON of a container (`events --stats` data). */
export type CgroupStats = Record<string, unknown>;

/** A file's text, or undefined when it cannot be read (controller or feature absent). */
export function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** Whether the file at path is there. */
export function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** A counter: a bigint beyond 2^53, so that limits near 2^63 print exactly. */
export function counter(text: string | undefined): number | bigint {
  const t = text?.trim() ?? "";
  if (!/^\d+$/.test(t)) return 0;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : BigInt(t);
}

/** "key value" lines as a map. */
export function keyed(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? "").split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined) out[key] = Number(value);
  }
  return out;
}

/** Go's omitempty: zero numbers, empty arrays and empty objects go (but the keys in keep). */
export function omitEmpty(o: CgroupStats, keep: string[] = []): CgroupStats {
  const out: CgroupStats = {};
  for (const [k, v] of Object.entries(o)) {
    const empty = v === 0 || v === undefined || (Array.isArray(v) && v.length === 0) ||
      (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
    if (!empty || keep.includes(k)) out[k] = v;
  }
  return out;
}

/**
 * The host's cgroup layout and where a container's cgroups go. Pure functions of
 * /proc/self/mountinfo and /proc/self/cgroup (read by `readLayout`), so the placement
 * rules are unit-tested on text.
 *
 * - legacy: only v1 hierarchies; hybrid: v1 hierarchies plus a cgroup2 mount (usually
 *   /sys/fs/cgroup/unified) that holds no controllers; unified: cgroup2 only.
 * - As runc's cgroupfs drivers: an absolute cgroupsPath is taken from the root of each
 *   hierarchy, a relative one (and the default, the container id) from the cgroup
 *   tsrunc itself is in.
 */
import { TsruncError } from "../../base/errors.ts";

/** One cgroup hierarchy a container gets a directory in. */
export interface Hierarchy {
  /** v1: its controllers joined by "," as mounted ("cpu,cpuacct", "name=systemd"); v2: "". */
  key: string;
  /** Controllers it carries (v1), for resource files; empty for v2 and named ones. */
  controllers: string[];
  mountpoint: string;
}

/** What the host has. */
export interface Layout {
  mode: "legacy" | "hybrid" | "unified";
  v1: Hierarchy[];
  /** The cgroup2 mount, if any. */
  v2?: Hierarchy;
}

/** The layout from /proc/self/mountinfo's text. */
export function parseLayout(mountinfo: string): Layout {
  const v1: Hierarchy[] = [];
  let v2: Hierarchy | undefined;
  for (const line of mountinfo.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const [fstype, , superOptions = ""] = right.split(" ");
    const mountpoint = unescapeMountPath(left.split(" ")[4]);
    if (fstype === "cgroup2") {
      v2 ??= { key: "", controllers: [], mountpoint };
    } else if (fstype === "cgroup") {
      const options = superOptions.split(",");
      const controllers = options.filter((o) => KNOWN_V1.has(o));
      const named = options.filter((o) => o.startsWith("name="));
      if (controllers.length === 0 && named.length === 0) continue;
      const key = [...controllers, ...named].join(",");
      if (v1.some((h) => h.key === key)) continue; // the same hierarchy mounted twice
      v1.push({ key, controllers, mountpoint });
    }
  }
  const mode = v1.length === 0 ? "unified" : v2 ? "hybrid" : "legacy";
  return { mode, v1, v2 };
}

/** The v1 controllers tsrunc knows (the kernel's names). */
const KNOWN_V1 = new Set([
  "cpu",
  "cpuacct",
  "cpuset",
  "memory",
  "devices",
  "freezer",
  "blkio",
  "pids",
  "net_cls",
  "net_prio",
  "hugetlb",
  "perf_event",
  "rdma",
  "misc",
]);

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * The cgroup of a process in each hierarchy from /proc/PID/cgroup's text: keyed like
 * Hierarchy.key ("" for v2).
 */
export function parseProcCgroup(text: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of text.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    paths.set(controllers, line.slice(second + 1));
    // the kernel lists "cpu,cpuacct"; a mount may say "cpuacct,cpu": index both orders
    const parts = controllers.split(",");
    if (parts.length > 1) paths.set([...parts].sort().join(","), line.slice(second + 1));
  }
  return paths;
}

function ownPath(own: Map<string, string>, key: string): string {
  return own.get(key) ?? own.get(key.split(",").sort().join(",")) ?? "/";
}

/**
 * The container's cgroup path inside each hierarchy (absolute within the hierarchy,
 * e.g. "/tsrunc/c1"), keyed like Hierarchy.key.
 */
export function containerCgroupPaths(
  layout: Layout,
  own: Map<string, string>,
  cgroupsPath: string | undefined,
  id: string,
): Map<string, string> {
  const wanted = cgroupsPath ? cleanCgroupPath(cgroupsPath) : id;
  const paths = new Map<string, string>();
  const place = (key: string) =>
    wanted.startsWith("/") ? wanted : joinCgroup(ownPath(own, key), wanted);
  for (const h of layout.v1) paths.set(h.key, place(h.key));
  if (layout.v2) paths.set("", place(""));
  return paths;
}

/**
 * A cgroupsPath made safe to join under a hierarchy: ".." never climbs above its root
 * (runc cleans the path the same way, as if it were absolute).
 */
export function cleanCgroupPath(path: string): string {
  if (path.includes("\0")) throw new TsruncError("config.json: linux.cgroupsPath: contains NUL");
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  if (parts.length === 0) {
    throw new TsruncError(`config.json: linux.cgroupsPath: "${path}" names no cgroup`);
  }
  return (absolute ? "/" : "") + parts.join("/");
}

function joinCgroup(parent: string, child: string): string {
  return `${parent.replace(/\/+$/, "")}/${child}`;
}

/** The host layout, read once per process. */
let cached: Layout | undefined;
export function readLayout(): Layout {
  cached ??= parseLayout(Deno.readTextFileSync("/proc/self/mountinfo"));
  return cached;
}

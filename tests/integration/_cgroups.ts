/**
 * Helpers for the cgroup integration tests (cgroups_test.ts, cgroups_v2_test.ts): where
 * the host's cgroup hierarchies are mounted, a container in a cgroup of its own below
 * /tsrunc-test, polling with deadlines, and clean-up of every cgroup a test made (or
 * tsrunc left behind) even when the test fails.
 *
 * Tests only ever touch cgroups below /tsrunc-test/<unique name>, never the parent
 * /tsrunc-test itself (other tests share it) nor any other cgroup of the host.
 */
import { assert, assertEquals } from "./_assert.ts";
import {
  alive,
  type Bundle,
  exists,
  ok,
  type Result,
  sleep,
  tsruncCommand,
  uniqueId,
  waitFor,
  withBundle,
} from "./_helpers.ts";

// The generic helpers live in _helpers.ts; re-exported for the cgroup and engine tests.
export { alive, exists, ok, sleep, waitFor };

/** The cgroup below which every test cgroup goes (scripts/test.sh's TSRUNC_CGROUP_PARENT). */
export const TEST_PARENT = "/tsrunc-test";

/** The v1 controllers the tests expect to get a directory of the container's. */
export const V1_CONTROLLERS = [
  "memory",
  "pids",
  "cpu",
  "cpuset",
  "freezer",
  "devices",
  "blkio",
] as const;

/** A mounted cgroup hierarchy. */
export interface Hierarchy {
  /** v1: the controllers (and name=...) of its super options; v2: []. */
  controllers: string[];
  mountpoint: string;
  version: 1 | 2;
}

/** Every cgroup hierarchy mounted on the host (first mount of each), from mountinfo. */
export function hierarchies(): Hierarchy[] {
  const out: Hierarchy[] = [];
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const [fstype, , options = ""] = right.split(" ");
    const mountpoint = left.split(" ")[4];
    if (fstype === "cgroup2") {
      if (!out.some((h) => h.version === 2)) out.push({ controllers: [], mountpoint, version: 2 });
    } else if (fstype === "cgroup") {
      const controllers = options.split(",").filter((o) =>
        !["rw", "ro", "nosuid", "nodev", "noexec", "relatime", "clone_children"].includes(o) &&
        !o.startsWith("release_agent=")
      );
      if (!out.some((h) => h.mountpoint === mountpoint)) {
        out.push({ controllers, mountpoint, version: 1 });
      }
    }
  }
  return out;
}

/** The mountpoint of the v1 hierarchy carrying controller. */
export function v1Mount(controller: string): string {
  const h = hierarchies().find((h) => h.version === 1 && h.controllers.includes(controller));
  assert(h, `no v1 hierarchy carries ${controller}`);
  return h.mountpoint;
}

/** The cgroup2 mountpoint (on this hybrid host /sys/fs/cgroup/unified). */
export function v2Mount(): string {
  const h = hierarchies().find((h) => h.version === 2);
  assert(h, "no cgroup2 mount");
  return h.mountpoint;
}

/** Whether the host has v1 controllers (legacy or hybrid). */
export const HAS_V1 = hierarchies().some((h) => h.version === 1 && h.controllers.length > 0);
/** Whether a cgroup2 hierarchy is mounted. */
export const HAS_V2 = hierarchies().some((h) => h.version === 2);

/** The host directory of cgroup path (e.g. /tsrunc-test/x) in controller's v1 hierarchy. */
export function v1Dir(controller: string, path: string): string {
  return v1Mount(controller) + path;
}

/** The host directory of cgroup path in the cgroup2 hierarchy. */
export function v2Dir(path: string): string {
  return v2Mount() + path;
}

/** A cgroup file's text, trimmed. */
export function readCg(dir: string, file: string): string {
  return Deno.readTextFileSync(`${dir}/${file}`).trim();
}

/** The pids in a cgroup directory's cgroup.procs. */
export function procsOf(dir: string): number[] {
  return readCg(dir, "cgroup.procs").split("\n").filter(Boolean).map(Number);
}

/** Insist a command failed with `code` and exactly one stderr line. */
export function failsWithOneLine(r: Result, code: number, pattern: RegExp, what: string): void {
  assertEquals(
    r.code,
    code,
    `${what}: expected exit ${code}: stdout ${JSON.stringify(r.stdout)} stderr ${
      JSON.stringify(r.stderr)
    }`,
  );
  const lines = r.stderr.trimEnd().split("\n");
  assertEquals(lines.length, 1, `${what}: stderr is not one line: ${JSON.stringify(r.stderr)}`);
  assert(pattern.test(lines[0]), `${what}: ${JSON.stringify(lines[0])} does not match ${pattern}`);
}

// deno-lint-ignore no-explicit-any
export type Json = any;

/** `tsrunc state ID` as JSON. */
export async function stateOf(b: Bundle, id: string, env?: Record<string, string>): Promise<Json> {
  return JSON.parse(ok(await b.run(["state", id], { env }), `state ${id}`).stdout);
}

/** The container's host pids from `tsrunc ps --format json`. */
export async function psPids(b: Bundle, id: string): Promise<number[]> {
  const out = ok(await b.run(["ps", "--format", "json", id]), `ps ${id}`).stdout;
  const pids = JSON.parse(out);
  assert(Array.isArray(pids), `ps --format json printed no array: ${out}`);
  return (pids as number[]).sort((a, b) => a - b);
}

/** The cgroup path of each hierarchy in a /proc/PID/cgroup text, keyed "memory", "" (v2) ... */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.trim().split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "") out.set("", m[2]);
    for (const c of m[1].split(",")) if (c) out.set(c, m[2]);
  }
  return out;
}

/**
 * Remove the cgroup `path` (below TEST_PARENT, made by a test or left by tsrunc) from
 * every hierarchy, deepest first, killing what is still in it: these are only ever the
 * test's own containers' processes.
 */
export async function removeCgroupTree(path: string): Promise<void> {
  assert(
    path.startsWith(`${TEST_PARENT}/`) && path.length > TEST_PARENT.length + 1 &&
      !path.split("/").includes(".."),
    `refusing to remove cgroup ${path}`,
  );
  for (const h of hierarchies()) {
    const top = h.mountpoint + path;
    if (!exists(top)) continue;
    const dirs: string[] = [];
    const walk = (dir: string) => {
      dirs.push(dir);
      try {
        for (const e of Deno.readDirSync(dir)) if (e.isDirectory) walk(`${dir}/${e.name}`);
      } catch { /* gone */ }
    };
    walk(top);
    for (const dir of dirs.reverse()) {
      for (let attempt = 0; attempt < 100 && exists(dir); attempt++) {
        try {
          if (h.controllers.includes("freezer")) {
            Deno.writeTextFileSync(`${dir}/freezer.state`, "THAWED");
          }
          for (const pid of procsOf(dir)) {
            try {
              Deno.kill(pid, "SIGKILL");
            } catch { /* gone */ }
          }
          Deno.removeSync(dir);
        } catch {
          await sleep(20);
        }
      }
    }
  }
}

/**
 * Make cgroup path (below TEST_PARENT) in every hierarchy, as an administrator would
 * before handing it to a runtime: a v1 cpuset gets its parent's cpus and mems.
 */
export function makeCgroup(path: string): void {
  for (const h of hierarchies()) {
    let at = h.mountpoint;
    for (const part of path.split("/").filter(Boolean)) {
      const parent = at;
      at = `${at}/${part}`;
      if (!exists(at)) Deno.mkdirSync(at);
      if (h.version === 1 && h.controllers.includes("cpuset")) {
        for (const file of ["cpuset.cpus", "cpuset.mems"]) {
          if (readCg(at, file) === "") {
            Deno.writeTextFileSync(`${at}/${file}`, readCg(parent, file));
          }
        }
      }
    }
  }
}

/** A container's test context: its id and absolute cgroupsPath. */
export interface CgroupContext {
  id: string;
  /** The container's cgroup, /tsrunc-test/<id>. */
  path: string;
}

/**
 * withBundle with linux.cgroupsPath set to /tsrunc-test/<id> and a writable rootfs; afterwards (also on
 * failure) the containers are deleted and whatever is left of the cgroup is removed.
 */
export async function withCgroupBundle(
  prefix: string,
  args: string[],
  fn: (b: Bundle, c: CgroupContext) => Promise<void>,
): Promise<void> {
  const id = uniqueId(prefix);
  const path = `${TEST_PARENT}/${id}`;
  try {
    await withBundle(args, async (b) => {
      b.config.linux.cgroupsPath = path;
      // The tests talk to their containers through files in the rootfs (/tmp/...).
      b.config.root.readonly = false;
      b.save();
      await fn(b, { id, path });
    });
  } finally {
    await removeCgroupTree(path);
  }
}

/** Start the bundle's config detached; returns the init's host pid. */
export async function runDetached(
  b: Bundle,
  id: string,
  env?: Record<string, string>,
): Promise<number> {
  ok(await b.run(["run", "-d", id], { env }), `run -d ${id}`);
  const pid = (await stateOf(b, id, env)).pid;
  assert(pid > 0, `no pid for ${id}`);
  return pid;
}

/** Args of a container init that sleeps with its stdio closed. */
export const SLEEPER = ["sh", "-c", "exec >/dev/null 2>&1 </dev/null; exec sleep 600"];

/** A long-running tsrunc command whose stdout lines are collected as they come. */
export class Streaming {
  readonly child: Deno.ChildProcess;
  text = "";
  stderr = "";
  /** Set once the process has exited. */
  exited?: Deno.CommandStatus;
  #pump: Promise<void>;

  constructor(args: string[]) {
    const [cmd, ...pre] = tsruncCommand();
    const child = new Deno.Command(cmd, {
      args: [...pre, ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.child = child;
    child.status.then((status) => this.exited = status);
    const dec = new TextDecoder();
    const out = (async () => {
      for await (const chunk of child.stdout) this.text += dec.decode(chunk, { stream: true });
    })();
    const err = (async () => {
      for await (const chunk of child.stderr) this.stderr += dec.decode(chunk);
    })();
    this.#pump = Promise.all([out, err]).then(() => {});
  }

  /** The complete lines so far. */
  lines(): string[] {
    return this.text.split("\n").slice(0, -1);
  }

  /** Kill it (if still running) and wait for it and its output to end. */
  async stop(): Promise<Deno.CommandStatus> {
    try {
      this.child.kill("SIGKILL");
    } catch { /* exited already */ }
    const status = await this.child.status;
    await this.#pump;
    return status;
  }
}

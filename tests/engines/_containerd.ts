/**
 * A private containerd for engine tests: its own config.toml, root, state, temp and opt
 * directories and gRPC socket, all in one temporary directory; started as a child
 * process of the test (no systemd) and stopped, with every task, shim, container,
 * mount and cgroup it made, by `withContainerd` even when the test fails.
 *
 * Containers run with the runc v2 shim (io.containerd.runc.v2), told by ctr to use
 * tsrunc: `ctr run --runc-binary WRAPPER --runc-root DIR/runc --fifo-dir DIR/fifo`.
 * WRAPPER is a shell script that logs each command line the shim runs (and its exit
 * status) and runs $TSRUNC with it, so the tests can tell which commands and flags
 * containerd uses. The shim passes `--root DIR/runc/<namespace>` to tsrunc.
 *
 * What cannot be moved off the host's paths in containerd 1.6: each shim's ttrpc socket
 * is /run/containerd/s/<sha256 of "<grpc address>/<namespace>/<id>">; the shim removes
 * it when it exits, and the cleanup removes any that is left (and /run/containerd/s and
 * /run/containerd themselves if they did not exist when the tests started and are empty).
 * Containers get the cgroup /<namespace>/<id> (ctr's default cgroupsPath): every test has
 * a namespace of its own, removed with the rest.
 */

import { buildImageArchive, testRootfs } from "./_image.ts";

/** The runtime under test: $TSRUNC, else the installed /usr/local/sbin/tsrunc. */
export const TSRUNC = Deno.env.get("TSRUNC") || "/usr/local/sbin/tsrunc";
/** The name the test image is imported under. */
export const IMAGE = "docker.io/tsrunc/busybox:test";
/** The shim containerd starts for the runtime io.containerd.runc.v2. */
export const RUNTIME = "io.containerd.runc.v2";

const SHIM_SOCKET_DIR = "/run/containerd/s";
/** Whether /run/containerd (and its s/) existed before these tests: then they stay. */
const HAD_RUN_CONTAINERD = exists("/run/containerd");
const HAD_SHIM_SOCKET_DIR = exists(SHIM_SOCKET_DIR);

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The first executable called `name` in $PATH (plus the sbin directories). */
export function which(name: string): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/sbin"]);
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      const st = Deno.statSync(`${dir}/${name}`);
      if (st.isFile && (st.mode ?? 0) & 0o111) return `${dir}/${name}`;
    } catch { /* not here */ }
  }
  return undefined;
}

/** Why the containerd tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (Deno.build.os !== "linux") return "containerd tests need Linux";
  if (Deno.uid() !== 0) return "containerd tests need root";
  for (const bin of ["containerd", "ctr", "containerd-shim-runc-v2"]) {
    if (!which(bin)) return `${bin} is not installed (apt-get install containerd)`;
  }
  try {
    if (!(Deno.statSync(TSRUNC).mode! & 0o111)) return `${TSRUNC} is not executable`;
  } catch {
    return `${TSRUNC} not found (make install, or set TSRUNC)`;
  }
  if (!exists(`${testRootfs()}/bin/busybox`)) {
    return `no busybox rootfs at ${testRootfs()} (scripts/rootfs.sh build/bundle)`;
  }
  return undefined;
}

/** What a command did. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** One call of the runtime by the shim, from the wrapper's log. */
export interface RuntimeCall {
  /** The arguments, joined with spaces (as the wrapper's "$*"). */
  args: string;
  /** The runtime's exit status; undefined while it runs (or if it never returned). */
  code?: number;
}

const decoder = new TextDecoder();

/** Run a command with a deadline; output through pipes (never a container's stdio). */
export async function exec(
  cmd: string,
  args: string[],
  options: { timeoutMs?: number; stdin?: string; env?: Record<string, string> } = {},
): Promise<Result> {
  const child = new Deno.Command(cmd, {
    args,
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, options.timeoutMs ?? 30_000);
  try {
    if (options.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(options.stdin));
      await w.close();
    }
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Sleep ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `check` every 50 ms until it returns a truthy value; throw `what` after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Whether a process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function pidsWhere(test: (argv: string[]) => boolean): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const argv = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0");
      if (test(argv)) pids.push(Number(e.name));
    } catch { /* gone */ }
  }
  return pids;
}

function killPid(pid: number, signal: Deno.Signal = "SIGKILL"): void {
  try {
    Deno.kill(pid, signal);
  } catch { /* gone */ }
}

/** Mount points in this mount namespace at or below dir, deepest first. */
function mountsBelow(dir: string): string[] {
  const points = Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter(Boolean)
    .map((l) => l.split(" ")[4].replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(+`0o${o}`)))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** The v1 hierarchies and the unified one: directories of /sys/fs/cgroup to look in. */
function cgroupRoots(): string[] {
  const roots = new Set<string>();
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const f = line.split(" ");
    const sep = f.indexOf("-");
    if (sep < 0) continue;
    if (f[sep + 1] === "cgroup" || f[sep + 1] === "cgroup2") roots.add(f[4]);
  }
  return [...roots];
}

/** Directories of a cgroup tree, deepest first. */
function cgroupTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory) walk(`${d}/${e.name}`);
    out.push(d);
  };
  walk(dir);
  return out;
}

async function sha256Hex(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A task as `ctr task ls` shows it. */
export interface Task {
  pid: number;
  status: string;
}

/** A private containerd and the ctr commands that talk to it. */
export class Containerd {
  readonly dir: string;
  readonly sock: string;
  readonly ns: string;
  readonly config: string;
  readonly runcRoot: string;
  readonly fifoDir: string;
  readonly wrapper: string;
  readonly argvLog: string;
  readonly daemonLog: string;
  /** Container ids handed out by `id()` (for the cleanup of shim sockets). */
  readonly ids = new Set<string>();
  #daemon?: Deno.ChildProcess;
  #daemonStatus?: Promise<Deno.CommandStatus>;

  constructor(dir: string) {
    this.dir = dir;
    this.sock = `${dir}/containerd.sock`;
    this.ns = `tsrunc-ctr-${Deno.pid}-${Math.floor(Math.random() * 1e6)}`;
    this.config = `${dir}/config.toml`;
    this.runcRoot = `${dir}/runc`;
    this.fifoDir = `${dir}/fifo`;
    this.wrapper = `${dir}/bin/tsrunc-wrapper`;
    this.argvLog = `${dir}/runtime-argv.log`;
    this.daemonLog = `${dir}/containerd.log`;
  }

  /** The state root the shim gives tsrunc (--root): the runc root plus the namespace. */
  get tsruncRoot(): string {
    return `${this.runcRoot}/${this.ns}`;
  }

  /** Write config.toml, the wrapper and the directories. */
  prepare(): void {
    for (const d of ["root", "state", "tmp", "opt", "bin", "runc", "fifo"]) {
      Deno.mkdirSync(`${this.dir}/${d}`, { recursive: true, mode: 0o700 });
    }
    Deno.writeTextFileSync(this.config, containerdConfig(this.dir, this.sock));
    // One line when the runtime starts ("PID> ARGS") and one when it ends ("PID< STATUS").
    // Not exec: the shim sees the same stdio, fds and exit status either way.
    Deno.writeTextFileSync(
      this.wrapper,
      `#!/bin/sh
printf '%s> %s\\n' "$$" "$*" >>'${this.argvLog}'
'${TSRUNC}' "$@"
rc=$?
printf '%s< %s\\n' "$$" "$rc" >>'${this.argvLog}'
exit $rc
`,
    );
    Deno.chmodSync(this.wrapper, 0o755);
    Deno.writeTextFileSync(this.argvLog, "");
  }

  /** A fresh container id (remembered for the cleanup). */
  id(prefix: string): string {
    const id = `${prefix}-${Math.floor(Math.random() * 1e6)}`;
    this.ids.add(id);
    return id;
  }

  /** Start containerd and wait until it answers. */
  async start(): Promise<void> {
    if (this.#daemon) throw new Error("containerd is already running");
    const child = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'exec "$0" --config "$1" >>"$2" 2>&1',
        which("containerd")!,
        this.config,
        this.daemonLog,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#daemon = child;
    this.#daemonStatus = child.status;
    let exited = false;
    this.#daemonStatus.then(() => exited = true);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (exited) {
        await this.#reap();
        throw new Error(`containerd exited at start:\n${this.logTail()}`);
      }
      if (exists(this.sock)) {
        const v = await this.ctr(["version"], { timeoutMs: 5000 });
        if (v.code === 0) return;
      }
      if (Date.now() > deadline) throw new Error(`containerd did not start:\n${this.logTail()}`);
      await sleep(50);
    }
  }

  /** Stop containerd with `signal` (SIGTERM: a clean shutdown; shims keep running). */
  async stop(signal: Deno.Signal = "SIGTERM", timeoutMs = 10_000): Promise<void> {
    const child = this.#daemon;
    if (!child) return;
    killPid(child.pid, signal);
    const done = await Promise.race([this.#daemonStatus!.then(() => true), sleep(timeoutMs)]);
    if (!done) killPid(child.pid, "SIGKILL");
    await this.#reap();
  }

  async #reap(): Promise<void> {
    await this.#daemonStatus;
    this.#daemon = undefined;
    this.#daemonStatus = undefined;
  }

  /** The daemon's pid, while it runs. */
  get pid(): number | undefined {
    return this.#daemon?.pid;
  }

  /** The end of containerd's log (for error messages). */
  logTail(lines = 30): string {
    try {
      return Deno.readTextFileSync(this.daemonLog).split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** ctr -a SOCK -n NS args... */
  ctr(
    args: string[],
    options: { timeoutMs?: number; stdin?: string } = {},
  ): Promise<Result> {
    return exec(which("ctr")!, ["-a", this.sock, "-n", this.ns, ...args], options);
  }

  /** The ctr run flags that make the runc v2 shim run `binary` (default: the wrapper). */
  runtimeFlags(binary = this.wrapper): string[] {
    return [
      "--runtime",
      RUNTIME,
      "--runc-binary",
      binary,
      "--runc-root",
      this.runcRoot,
      "--fifo-dir",
      this.fifoDir,
    ];
  }

  /** ctr run [flags] <runtime flags> IMAGE id cmd... */
  run(flags: string[], id: string, cmd: string[], timeoutMs = 30_000): Promise<Result> {
    return this.ctr(["run", ...flags, ...this.runtimeFlags(), IMAGE, id, ...cmd], { timeoutMs });
  }

  /** Build the busybox image archive and import it. */
  async importImage(): Promise<void> {
    const img = await buildImageArchive(testRootfs(), `${this.dir}/tmp`, IMAGE);
    const r = await this.ctr(["images", "import", img.path], { timeoutMs: 60_000 });
    Deno.removeSync(img.path);
    if (r.code !== 0) throw new Error(`ctr images import failed: ${r.stderr}${r.stdout}`);
  }

  /** Tasks as `ctr task ls` lists them. */
  async tasks(): Promise<Map<string, Task>> {
    const r = await this.ctr(["task", "ls"]);
    if (r.code !== 0) throw new Error(`ctr task ls failed: ${r.stderr}`);
    const tasks = new Map<string, Task>();
    for (const line of r.stdout.split("\n").slice(1)) {
      const [id, pid, status] = line.trim().split(/\s+/);
      if (id) tasks.set(id, { pid: Number(pid), status });
    }
    return tasks;
  }

  /** Wait until the task `id` has `status` (RUNNING, PAUSED, STOPPED...). */
  async waitStatus(id: string, status: string, timeoutMs = 10_000): Promise<Task> {
    let last: Task | undefined;
    try {
      return await waitFor(`task ${id} to be ${status}`, async () => {
        last = (await this.tasks()).get(id);
        return last?.status === status ? last : undefined;
      }, timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message} (it is ${JSON.stringify(last)})`);
    }
  }

  /** The OCI spec containerd gave the container (ctr container info). */
  // deno-lint-ignore no-explicit-any
  async spec(id: string): Promise<any> {
    const r = await this.ctr(["container", "info", id]);
    if (r.code !== 0) throw new Error(`ctr container info failed: ${r.stderr}`);
    return JSON.parse(r.stdout).Spec;
  }

  /** The runtime calls the wrapper logged so far, in order of their start. */
  calls(): RuntimeCall[] {
    const calls: RuntimeCall[] = [];
    const open = new Map<string, RuntimeCall>();
    for (const line of Deno.readTextFileSync(this.argvLog).split("\n")) {
      const m = /^(\d+)([<>]) (.*)$/.exec(line);
      if (!m) continue;
      if (m[2] === ">") {
        const call: RuntimeCall = { args: m[3] };
        calls.push(call);
        open.set(m[1], call);
      } else {
        const call = open.get(m[1]);
        if (call) call.code = Number(m[3]);
        open.delete(m[1]);
      }
    }
    return calls;
  }

  /** The calls whose arguments mention container `id` as their last word. */
  callsFor(id: string): RuntimeCall[] {
    return this.calls().filter((c) => c.args.split(" ").includes(id));
  }

  /** tsrunc (the real binary) with the state root the shim uses. */
  tsrunc(args: string[]): Promise<Result> {
    return exec(TSRUNC, ["--root", this.tsruncRoot, ...args]);
  }

  /**
   * Remove everything: tasks and containers (through containerd while it runs), the
   * daemon, any shim of ours still running, containers left in tsrunc's state root, the
   * processes and cgroups of the namespace, mounts below the directory, shim sockets,
   * the directory. Never throws; returns what it had to clean up by force.
   */
  async cleanup(): Promise<string[]> {
    const forced: string[] = [];
    const note = (s: string) => forced.push(s);
    try {
      if (this.#daemon) {
        const tasks = await this.tasks().catch(() => new Map<string, Task>());
        for (const [id, task] of tasks) {
          if (task.status !== "STOPPED") {
            await this.ctr(["task", "resume", id], { timeoutMs: 5000 });
            await this.ctr(["task", "kill", "--all", "--signal", "SIGKILL", id], {
              timeoutMs: 5000,
            });
            await this.waitStatus(id, "STOPPED", 5000).catch(() => note(`task ${id} not stopped`));
          }
          await this.ctr(["task", "rm", "--force", id], { timeoutMs: 10_000 });
        }
        const cs = await this.ctr(["container", "ls", "-q"], { timeoutMs: 5000 });
        for (const id of cs.stdout.split("\n").filter(Boolean)) {
          await this.ctr(["container", "rm", id], { timeoutMs: 10_000 });
        }
        await this.stop();
      }
      // Shims started by our daemon (they outlive it: -address <our socket>). A shim
      // exits by itself shortly after its task was deleted; the others are killed.
      const shims = () =>
        pidsWhere((argv) => /containerd-shim/.test(argv[0]) && argv.includes(this.sock))
          .filter(alive);
      await waitFor("shims to exit", () => shims().length === 0, 3000).catch(() => {});
      for (const pid of shims()) {
        note(`shim ${pid}`);
        killPid(pid);
      }
      await waitFor("shims to exit", () => shims().length === 0, 5000).catch(() => {});
      // Containers tsrunc still knows about.
      let left: string[] = [];
      try {
        left = [...Deno.readDirSync(this.tsruncRoot)].map((e) => e.name);
      } catch { /* none */ }
      for (const id of left) {
        note(`tsrunc container ${id}`);
        await exec(TSRUNC, ["--root", this.tsruncRoot, "delete", "--force", id]);
      }
      // Processes and cgroups of the namespace (ctr's cgroupsPath is /<ns>/<id>).
      for (const root of cgroupRoots()) {
        const tree = cgroupTree(`${root}/${this.ns}`);
        for (const dir of tree) {
          try {
            for (const pid of Deno.readTextFileSync(`${dir}/cgroup.procs`).split("\n")) {
              if (pid) {
                note(`process ${pid} in ${dir}`);
                killPid(Number(pid));
              }
            }
          } catch { /* gone */ }
        }
        for (const dir of tree) {
          // The namespace's own cgroup is left by the runtime (as runc does): not a leftover.
          const leftover = dir !== `${root}/${this.ns}`;
          try {
            await waitFor(`rmdir ${dir}`, () => {
              try {
                Deno.removeSync(dir);
                return true;
              } catch (e) {
                return e instanceof Deno.errors.NotFound;
              }
            }, 3000);
            if (leftover) note(`cgroup ${dir}`);
          } catch {
            note(`cgroup ${dir} not removed`);
          }
        }
      }
      // Mounts below the directory (rootfs overlays of tasks that were not deleted).
      for (const point of mountsBelow(this.dir)) {
        note(`mount ${point}`);
        await exec("umount", ["-l", point]);
      }
      // Shim sockets of our containers, if a shim did not remove its own.
      for (const id of this.ids) {
        for (
          const key of [`${this.sock}/${this.ns}/${id}`, `${this.sock}/${this.ns}/${id}/debug`]
        ) {
          const path = `${SHIM_SOCKET_DIR}/${await sha256Hex(key)}`;
          if (exists(path)) {
            note(`shim socket ${path}`);
            Deno.removeSync(path);
          }
        }
      }
      if (!HAD_SHIM_SOCKET_DIR) {
        try {
          Deno.removeSync(SHIM_SOCKET_DIR); // only when empty
        } catch { /* in use or gone */ }
      }
      if (!HAD_RUN_CONTAINERD) {
        try {
          Deno.removeSync("/run/containerd");
        } catch { /* in use or gone */ }
      }
      // TSRUNC_ENGINE_ARGV_LOG=FILE: keep the runtime's command lines (docs, bug reports).
      const keep = Deno.env.get("TSRUNC_ENGINE_ARGV_LOG");
      if (keep && exists(this.argvLog)) {
        const calls = this.calls().map((k) => `${k.code ?? "?"}\t${k.args}\n`).join("");
        Deno.writeTextFileSync(keep, `# namespace ${this.ns}\n${calls}`, { append: true });
      }
      Deno.removeSync(this.dir, { recursive: true });
    } catch (e) {
      note(`cleanup error: ${(e as Error).message}`);
    }
    return forced;
  }
}

/**
 * The config.toml of a private containerd: everything below dir, the CRI plugin off
 * (ctr does not use it; it would want CNI and a stream server).
 */
export function containerdConfig(dir: string, sock: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
temp = "${dir}/tmp"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "${sock}"

[ttrpc]
  address = "${sock}.ttrpc"

[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
`;
}

/**
 * Run fn with a private containerd that has the busybox image; afterwards remove
 * everything. If the cleanup had to remove things by force (a shim, a container, a
 * cgroup or a mount that containerd should have removed) and fn passed, that fails the test.
 */
export async function withContainerd(fn: (c: Containerd) => Promise<void>): Promise<void> {
  const c = new Containerd(Deno.makeTempDirSync({ prefix: "tsrunc-containerd-" }));
  let passed = false;
  let forced: string[] = [];
  try {
    c.prepare();
    await c.start();
    await c.importImage();
    await fn(c);
    passed = true;
  } finally {
    forced = await c.cleanup();
  }
  if (passed && forced.length) {
    throw new Error(`the cleanup had to remove leftovers: ${forced.join("; ")}`);
  }
}

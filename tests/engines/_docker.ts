/**
 * A private Docker daemon for the engine tests (docker_test.ts): Debian's dockerd 20.10
 * with its own containerd, everything under one temporary directory, tsrunc registered
 * as a runtime through a wrapper that logs every call, and clean-up of all of it (the
 * daemons, shims, containers, cgroups, mounts, files) even when a test fails.
 *
 * Isolation from the host's Docker and containerd: dockerd gets its own --data-root,
 * --exec-root, --pidfile, socket and config file, no --containerd (it starts its own,
 * below its exec-root), --bridge=none --iptables=false --ip-masq=false --ip-forward=false
 * (no host networking is touched) and a cgroup parent of its own. It runs in a private
 * mount namespace (held by a `sleep` this module starts, so that a restarted dockerd
 * finds the same mounts) where /run is a directory of the test (containerd 1.6 puts its
 * shims' sockets in /run/containerd/s whatever its state dir) and /etc is an overlay
 * whose upper layer is the test's (dockerd writes /etc/docker/key.json). Nothing it
 * mounts is seen by the host.
 */
import { alive, exists, hierarchies, sleep } from "../integration/_cgroups.ts";

export const DOCKERD = "/usr/sbin/dockerd";
/** The client that matches dockerd 20.10 (/usr/local/bin/docker is newer and does not). */
export const DOCKER = "/usr/bin/docker";
export const RUNC = "/usr/sbin/runc";
/** The tsrunc under test. */
export const TSRUNC = Deno.env.get("TSRUNC") || "/usr/local/sbin/tsrunc";
/** The image every scenario runs. */
export const IMAGE = "busybox:tsrunc";

const REPO = new URL("../../", import.meta.url).pathname;
const PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/** What a command did. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** One call of a runtime, as its wrapper logged it. */
export interface RuntimeCall {
  /** The wrapper's pid. */
  pid: number;
  /** The command name of the wrapper's parent (dockerd, containerd-shim-r...). */
  caller: string;
  /** Every argument, as given. */
  args: string[];
  /** The command (create, start, ...), or "" for a call with flags only (--version). */
  command: string;
  /** The arguments after the command. */
  rest: string[];
  /** Value of the global --root, if given. */
  root?: string;
}

/** Global runc flags that take a value. */
const VALUE_FLAGS = new Set(["--root", "--log", "--log-format", "--criu", "--rootless"]);

/** Why the Docker tests cannot run here, or null. */
export function skipReason(): string | null {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid() !== 0) return "dockerd needs root";
  for (const bin of [DOCKERD, DOCKER, RUNC, "/usr/bin/containerd", "/usr/bin/unshare"]) {
    if (!exists(bin)) return `${bin} is not installed`;
  }
  if (!exists("/usr/bin/nsenter")) return "/usr/bin/nsenter is not installed";
  if (!exists(TSRUNC)) return `${TSRUNC} is not installed (make install)`;
  if (!hierarchies().some((h) => h.version === 1 && h.controllers.includes("memory"))) {
    return "the scenarios read v1 cgroup files and this host has no v1 memory controller";
  }
  return null;
}

/** Sleep without the event loop (for clean-up in an unload handler). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readOr(path: string, fallback = ""): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return fallback;
  }
}

function killQuietly(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch { /* gone */ }
}

/**
 * Parse a wrapper log: one call a line, the pid, the parent's command name, then each
 * argument, tab-separated.
 */
function parseCalls(text: string): RuntimeCall[] {
  const calls: RuntimeCall[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const [pid, caller, ...args] = line.split("\t");
    let command = "";
    let rest: string[] = [];
    let root: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (VALUE_FLAGS.has(a)) {
        if (a === "--root") root = args[i + 1];
        i++;
      } else if (!a.startsWith("-")) {
        command = a;
        rest = args.slice(i + 1);
        break;
      }
    }
    calls.push({ pid: Number(pid), caller, args, command, rest, root });
  }
  return calls;
}

/** The client's environment: no DOCKER_HOST/context/TLS of the caller, a private config. */
function clientEnv(dir: string): Record<string, string> {
  const env = Deno.env.toObject();
  for (const k of Object.keys(env)) if (k.startsWith("DOCKER_")) delete env[k];
  env.DOCKER_CONFIG = `${dir}/client`;
  return env;
}

/** A private dockerd (and its containerd) with runtimes "tsrunc" and "runc-ref". */
export class DockerDaemon {
  /** The temporary directory that holds everything. */
  readonly dir: string;
  readonly socket: string;
  /** The cgroup (in every hierarchy) below which Docker puts its containers. */
  readonly cgroupParent: string;
  /** The flags dockerd is started with (besides the config file). */
  readonly flags: string[];
  /** daemon.json as written. */
  readonly config: Record<string, unknown>;
  /** Environment for a docker client talking to this daemon. */
  readonly env: Record<string, string>;

  #holder?: Deno.ChildProcess;
  #holderPid = 0;
  #mntNs = "";
  #dockerd?: Deno.ChildProcess;
  #dockerdPid = 0;
  #cleaned = false;

  private constructor(dir: string) {
    this.dir = dir;
    this.socket = `${dir}/docker.sock`;
    this.cgroupParent = `/tsrunc-docker-${Deno.pid}-${Math.floor(Math.random() * 1e6)}`;
    this.env = clientEnv(dir);
    this.config = {
      runtimes: {
        tsrunc: { path: `${dir}/tsrunc` },
        "runc-ref": { path: `${dir}/runc` },
      },
      // So that `docker info` asks tsrunc for its version; scenarios still say --runtime.
      "default-runtime": "tsrunc",
      "live-restore": true,
    };
    this.flags = [
      `--data-root=${dir}/data`,
      `--exec-root=${dir}/exec`,
      `--pidfile=${dir}/dockerd.pid`,
      `--host=unix://${this.socket}`,
      "--storage-driver=vfs",
      "--bridge=none",
      "--iptables=false",
      "--ip-masq=false",
      "--ip-forward=false",
      `--cgroup-parent=${this.cgroupParent}`,
    ];
  }

  /** Make the directory, the wrappers and the namespace, and start dockerd. */
  static async start(): Promise<DockerDaemon> {
    // Short: containerd's socket path (below --exec-root) must fit in sun_path.
    const dir = Deno.makeTempDirSync({ dir: "/tmp", prefix: "tsd-" });
    const d = new DockerDaemon(dir);
    try {
      for (const sub of ["run", "etc-up", "etc-work", "data", "exec", "client", "share"]) {
        Deno.mkdirSync(`${dir}/${sub}`);
      }
      d.#writeWrapper("tsrunc", TSRUNC);
      d.#writeWrapper("runc", RUNC);
      Deno.writeTextFileSync(`${dir}/daemon.json`, JSON.stringify(d.config, null, 2) + "\n");
      await d.#startHolder();
      await d.startDockerd();
      return d;
    } catch (error) {
      d.cleanup();
      throw error;
    }
  }

  /** A wrapper at DIR/name that logs its arguments to DIR/name.log and execs the runtime. */
  #writeWrapper(name: string, runtime: string): void {
    const path = `${this.dir}/${name}`;
    Deno.writeTextFileSync(
      path,
      `#!/bin/sh
read -r caller </proc/$PPID/comm
{ printf '%s\\t%s' "$$" "$caller"; printf '\\t%s' "$@"; printf '\\n'; } >>'${path}.log'
exec '${runtime}' "$@"
`,
    );
    Deno.chmodSync(path, 0o755);
  }

  /** The process that holds the private mount namespace dockerd runs in. */
  async #startHolder(): Promise<void> {
    const script = `set -e
exec 2>>"$1/holder.log"
mount --bind "$1/run" /run
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc-up,workdir=$1/etc-work" /etc
exec sleep 1800`;
    this.#holder = new Deno.Command("/usr/bin/unshare", {
      args: ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", this.dir],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#holderPid = this.#holder.pid;
    const end = Date.now() + 10_000;
    while (readOr(`/proc/${this.#holderPid}/comm`).trim() !== "sleep") {
      if (!alive(this.#holderPid) || Date.now() > end) {
        throw new Error(
          `could not make the mount namespace: ${readOr(`${this.dir}/holder.log`)}`,
        );
      }
      await sleep(20);
    }
    this.#mntNs = Deno.readLinkSync(`/proc/${this.#holderPid}/ns/mnt`);
  }

  /** The pid of the running dockerd, 0 when stopped. */
  get dockerdPid(): number {
    return this.#dockerdPid;
  }

  /** Start dockerd in the namespace and wait until it answers. */
  async startDockerd(): Promise<void> {
    if (this.#dockerdPid) throw new Error("dockerd is already running");
    const log = `${this.dir}/dockerd.log`;
    Deno.writeTextFileSync(log, `--- dockerd ${this.flags.join(" ")}\n`, { append: true });
    this.#dockerd = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'exec "$@" >>"$DOCKERD_LOG" 2>&1',
        "sh",
        "/usr/bin/nsenter",
        `--mount=/proc/${this.#holderPid}/ns/mnt`,
        "--",
        DOCKERD,
        `--config-file=${this.dir}/daemon.json`,
        ...this.flags,
      ],
      env: { ...this.env, PATH, DOCKERD_LOG: log },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#dockerdPid = this.#dockerd.pid;
    const end = Date.now() + 30_000;
    for (;;) {
      const v = await this.docker(["version", "--format", "{{.Server.Version}}"], {
        timeoutMs: 5000,
      });
      if (v.code === 0) return;
      if (!alive(this.#dockerdPid) || Date.now() > end) {
        const tail = readOr(log).split("\n").slice(-30).join("\n");
        this.stopDockerdSync();
        throw new Error(`dockerd did not come up (${v.stderr.trim()}); its log ends:\n${tail}`);
      }
      await sleep(100);
    }
  }

  /** SIGTERM dockerd and wait for it (SIGKILL after 30 s). */
  async stopDockerd(): Promise<void> {
    const child = this.#dockerd;
    if (!child || !this.#dockerdPid) return;
    killQuietly(this.#dockerdPid, "SIGTERM");
    const timer = setTimeout(() => killQuietly(this.#dockerdPid, "SIGKILL"), 30_000);
    await child.status;
    clearTimeout(timer);
    this.#dockerdPid = 0;
    this.#dockerd = undefined;
  }

  /** stopDockerd without the event loop (a zombie counts as stopped). */
  stopDockerdSync(): void {
    const pid = this.#dockerdPid;
    if (!pid) return;
    killQuietly(pid, "SIGTERM");
    for (let i = 0; alive(pid); i++) {
      if (i === 300) killQuietly(pid, "SIGKILL");
      sleepSync(100);
    }
    this.#dockerdPid = 0;
  }

  /** Run the docker client against this daemon. */
  async docker(
    args: string[],
    options: { stdin?: string; timeoutMs?: number } = {},
  ): Promise<Result> {
    const child = new Deno.Command(DOCKER, {
      args: ["-H", `unix://${this.socket}`, ...args],
      env: this.env,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => killQuietly(child.pid, "SIGKILL"), options.timeoutMs ?? 60_000);
    if (options.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(options.stdin));
      await w.close();
    }
    const out = await child.output();
    clearTimeout(timer);
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  }

  /** The argv of `docker -H ... args` (for a pty driver). */
  dockerArgv(args: string[]): string[] {
    return [DOCKER, "-H", `unix://${this.socket}`, ...args];
  }

  /** `docker import` a root file system as IMAGE. */
  async importImage(rootfs: string): Promise<void> {
    const out = await new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'tar -C "$1" -c . | "$2" -H "unix://$3" import -c \'CMD ["sh"]\' - "$4"',
        "sh",
        rootfs,
        DOCKER,
        this.socket,
        IMAGE,
      ],
      env: this.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`docker import failed: ${new TextDecoder().decode(out.stderr)}`);
    }
  }

  /** Every call of runtime "tsrunc" or "runc" (the reference), in order. */
  calls(runtime: "tsrunc" | "runc" = "tsrunc"): RuntimeCall[] {
    return parseCalls(readOr(`${this.dir}/${runtime}.log`));
  }

  /** The commands (create, start, ...) run for container id, in order. */
  commandsFor(id: string, runtime: "tsrunc" | "runc" = "tsrunc"): string[] {
    return this.calls(runtime).filter((c) => c.args.includes(id)).map((c) =>
      [c.command, ...c.rest.filter((a) => a !== id && !a.startsWith("/"))].join(" ")
    );
  }

  /** The state root docker gives tsrunc (--root), from the calls so far. */
  stateRoot(): string | undefined {
    return this.calls().find((c) => c.root)?.root;
  }

  /** A fresh host directory for a scenario's files (bind-mount it as /share). */
  share(name: string): string {
    const path = `${this.dir}/share/${name}`;
    Deno.mkdirSync(path, { recursive: true });
    return path;
  }

  /** What the log of dockerd (and its containerd) holds. */
  dockerdLog(): string {
    return readOr(`${this.dir}/dockerd.log`);
  }

  /** Whether the namespace's processes, cgroups and directory are all gone. */
  leftovers(): string[] {
    const left: string[] = [];
    for (const pid of this.#processes()) left.push(`process ${pid}: ${this.#describe(pid)}`);
    for (const dir of this.#cgroupDirs()) left.push(`cgroup ${dir}`);
    for (const line of readOr("/proc/self/mountinfo").split("\n")) {
      if (line.includes(this.dir)) left.push(`mount: ${line}`);
    }
    if (exists(this.dir)) left.push(`directory ${this.dir}`);
    return left;
  }

  #describe(pid: number): string {
    return readOr(`/proc/${pid}/cmdline`).replaceAll("\0", " ").trim();
  }

  /**
   * Processes in the private mount namespace (dockerd, containerd, shims, runtimes), not
   * the holder. Only while the holder lives: a namespace's identity (its inode number)
   * is reused soon after the namespace is gone, by someone else's.
   */
  #processes(): number[] {
    if (!this.#mntNs || !this.#holderHolds()) return [];
    const pids: number[] = [];
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const pid = Number(e.name);
      if (pid === this.#holderPid) continue;
      try {
        if (Deno.readLinkSync(`/proc/${pid}/ns/mnt`) === this.#mntNs && alive(pid)) {
          pids.push(pid);
        }
      } catch { /* gone */ }
    }
    return pids;
  }

  /** Whether the holder still lives in the namespace (so that it still exists). */
  #holderHolds(): boolean {
    try {
      return alive(this.#holderPid) &&
        Deno.readLinkSync(`/proc/${this.#holderPid}/ns/mnt`) === this.#mntNs;
    } catch {
      return false;
    }
  }

  /** The directories of the cgroup parent in every hierarchy, deepest first. */
  #cgroupDirs(): string[] {
    const dirs: string[] = [];
    const walk = (dir: string) => {
      try {
        for (const e of Deno.readDirSync(dir)) if (e.isDirectory) walk(`${dir}/${e.name}`);
        dirs.push(dir);
      } catch { /* gone */ }
    };
    for (const h of hierarchies()) {
      if (exists(h.mountpoint + this.cgroupParent)) walk(h.mountpoint + this.cgroupParent);
    }
    return dirs;
  }

  /**
   * Stop dockerd, kill whatever is left in the namespace and in the containers' cgroups,
   * remove the cgroups and the directory. Synchronous, so an unload handler can run it;
   * runs once.
   */
  cleanup(): void {
    if (this.#cleaned) return;
    this.#cleaned = true;
    this.stopDockerdSync();
    for (let round = 0; round < 100; round++) {
      let found = 0;
      for (const dir of this.#cgroupDirs()) {
        try {
          if (exists(`${dir}/freezer.state`)) {
            Deno.writeTextFileSync(`${dir}/freezer.state`, "THAWED");
          }
        } catch { /* gone */ }
        for (const pid of readOr(`${dir}/cgroup.procs`).split("\n").filter(Boolean)) {
          found++;
          killQuietly(Number(pid), "SIGKILL");
        }
      }
      for (const pid of this.#processes()) {
        found++;
        killQuietly(pid, "SIGKILL");
      }
      if (found === 0) break;
      sleepSync(100);
    }
    // Last, the holder: the namespace goes with it.
    if (this.#holderPid) {
      killQuietly(this.#holderPid, "SIGKILL");
      for (let i = 0; i < 100 && alive(this.#holderPid); i++) sleepSync(20);
    }
    this.#mntNs = "";
    for (let round = 0; round < 50; round++) {
      const dirs = this.#cgroupDirs();
      if (dirs.length === 0) break;
      for (const dir of dirs) {
        try {
          Deno.removeSync(dir);
        } catch { /* busy for a moment, or gone */ }
      }
      sleepSync(100);
    }
    try {
      Deno.removeSync(this.dir, { recursive: true });
    } catch (error) {
      console.error(`docker tests: could not remove ${this.dir}: ${error}`);
    }
  }
}

/** The rootfs to import: $TSRUNC_TEST_BUNDLE/rootfs, else one made by scripts/rootfs.sh. */
export async function busyboxRootfs(scratch: string): Promise<string> {
  const bundle = Deno.env.get("TSRUNC_TEST_BUNDLE");
  if (bundle && exists(`${bundle}/rootfs/bin/busybox`)) return `${bundle}/rootfs`;
  const out = await new Deno.Command("bash", {
    args: [`${REPO}scripts/rootfs.sh`, `${scratch}/image`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`scripts/rootfs.sh failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return `${scratch}/image/rootfs`;
}

/** The host cgroup directory of pid in the v1 hierarchy carrying controller. */
export function cgroupDirOf(pid: number, controller: string): string {
  const h = hierarchies().find((h) => h.version === 1 && h.controllers.includes(controller));
  if (!h) throw new Error(`no v1 hierarchy carries ${controller}`);
  for (const line of Deno.readTextFileSync(`/proc/${pid}/cgroup`).split("\n")) {
    const [, list, path] = line.split(":");
    if (list?.split(",").includes(controller)) return h.mountpoint + path;
  }
  throw new Error(`pid ${pid} has no ${controller} cgroup`);
}

/**
 * Soft checks: a scenario records every failed expectation and goes on (so one broken
 * step does not hide the next), then `done()` throws them all.
 */
export class Checks {
  readonly failures: string[] = [];

  ok(cond: unknown, what: string): boolean {
    if (!cond) this.failures.push(what);
    return Boolean(cond);
  }

  equal(actual: unknown, expected: unknown, what: string): boolean {
    const same = JSON.stringify(actual) === JSON.stringify(expected);
    if (!same) {
      this.failures.push(
        `${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
      );
    }
    return same;
  }

  /** A command's result has code `code`; shows its output when not. */
  code(r: Result, code: number, what: string): boolean {
    return this.ok(
      r.code === code,
      `${what}: exit status ${r.code}, expected ${code}\n    stdout: ${r.stdout.trim()}\n` +
        `    stderr: ${r.stderr.trim()}`,
    );
  }

  includes(text: string, part: string, what: string): boolean {
    return this.ok(
      text.includes(part),
      `${what}: ${JSON.stringify(text)} lacks ${JSON.stringify(part)}`,
    );
  }

  done(): void {
    if (this.failures.length) {
      throw new Error(
        `${this.failures.length} check(s) failed:\n  - ${this.failures.join("\n  - ")}`,
      );
    }
  }
}

/** Poll until cond holds; false after timeoutMs. */
export async function eventually(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

/** A file's text, or "" when it does not exist (yet). */
export function readText(path: string): string {
  return readOr(path);
}

/**
 * Helpers for driving tsrunc through Podman (podman -> conmon -> tsrunc), as a user
 * who installed tsrunc as a drop-in runtime would.
 *
 * Everything Podman keeps lives in one temporary directory: its storage (`--root`,
 * `--runroot`, `--tmpdir`, vfs driver), a private containers.conf (CONTAINERS_CONF), the
 * CNI config dir, the events log, and a runtime wrapper `<tmp>/bin/tsrunc` that appends
 * its argv to a log and execs the installed tsrunc, so the tests see exactly which
 * commands and flags Podman and conmon use. Containers are put below a private cgroup
 * parent (`--cgroup-parent /tsrunc-podman-<pid>`), so conmon's and the containers'
 * cgroups are ours alone and can be removed. tsrunc itself keeps its state in its default
 * root, /run/tsrunc: Podman passes no `--root`.
 *
 * `podman import` stores a blob-info cache in /var/lib/containers/cache whatever
 * `--root` says (Podman 4.3), so it runs in a private mount namespace with a tmpfs over
 * /var/lib: nothing of the host's default container storage is touched.
 *
 * `close()` removes every container, mount, cgroup, tsrunc state directory and file
 * made here, also after a failed test.
 */

import { runToFiles } from "../integration/_helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const PODMAN = "/usr/bin/podman";
const CONMON = "/usr/bin/conmon";
const UNSHARE = "/usr/bin/unshare";
const CGROUP_ROOT = "/sys/fs/cgroup";
const TSRUNC_ROOT = "/run/tsrunc";
/** Separates the arguments in a line of the wrapper log. */
const SEP = "\x1f";

/** The runtime under test. */
export const TSRUNC = Deno.env.get("TSRUNC") ?? "/usr/local/sbin/tsrunc";
/** The image every scenario runs. */
export const IMAGE = "localhost/busybox:tsrunc";

/** What a podman invocation did. */
export interface Result {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time in milliseconds. */
  ms: number;
}

/** Options of `Engine.podman`. */
export interface PodmanOptions {
  /**
   * "path" (default): `podman --runtime <wrapper>`; "conf": no --runtime, so the
   * containers.conf default runtime named "tsrunc" is used.
   */
  runtime?: "path" | "conf";
  /**
   * "json" (default): the containers.conf that lists tsrunc in `runtime_supports_json`
   * (Podman then passes --log-format=json --log FILE on create/exec and reads errors
   * there); "plain": the same without that line (errors come from tsrunc's stderr).
   */
  conf?: "json" | "plain";
  /** Text for podman's stdin (else /dev/null). */
  stdin?: string;
  /** Kill podman after this many seconds (default 60). */
  timeout?: number;
}

/** One call of the runtime, as the wrapper logged it. */
export type Call = string[];

/** Podman set up in a private temporary directory, with tsrunc behind a logging wrapper. */
export interface Engine {
  base: string;
  /** The runtime path given to podman: `<base>/bin/tsrunc`. */
  wrapper: string;
  /** The cgroup parent of every container (and of conmon). */
  cgroupParent: string;
  /** Flags every `run`/`create` gets: no network, our cgroup parent. */
  createFlags: string[];
  /** Environment for podman (CONTAINERS_CONF, TMPDIR). */
  env: Record<string, string>;
  /** `podman <global flags> [--runtime wrapper] args...` */
  podman(args: string[], options?: PodmanOptions): Promise<Result>;
  /** The full command line of that podman invocation (for runInPty). */
  argv(args: string[], options?: PodmanOptions): string[];
  /** Every runtime call logged so far. */
  calls(): Call[];
  /** Container ids (full) podman made, as `create` calls in the log name them. */
  createdIds(): string[];
  /** Remove everything (containers, mounts, cgroups, state, files). Never throws. */
  close(): Promise<string[]>;
}

/** Why the podman tests cannot run here, or null. */
export function missingPrerequisite(): string | null {
  if (Deno.uid() !== 0) return "needs root";
  for (const bin of [PODMAN, CONMON, UNSHARE, TSRUNC]) {
    try {
      Deno.statSync(bin);
    } catch {
      return `${bin} is not installed`;
    }
  }
  return null;
}

function isBusybox(rootfs: string): boolean {
  try {
    return Deno.statSync(`${rootfs}/bin/busybox`).isFile;
  } catch {
    return false;
  }
}

async function sh(script: string, env: Record<string, string> = {}): Promise<Result> {
  const start = performance.now();
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", script],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - start,
  };
}

/** Quote for sh. */
function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The hierarchies under /sys/fs/cgroup (v1 controllers, name=systemd, unified). */
function hierarchies(): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(CGROUP_ROOT)) {
      if (!e.isDirectory) continue; // cpu -> cpu,cpuacct are symlinks: their target is listed
      out.push(`${CGROUP_ROOT}/${e.name}`);
    }
  } catch { /* no cgroupfs */ }
  return out;
}

/** rmdir a cgroup tree, deepest first; returns what could not be removed. */
function removeCgroupTree(dir: string): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return [];
  }
  const left: string[] = [];
  for (const e of entries) {
    if (e.isDirectory) left.push(...removeCgroupTree(`${dir}/${e.name}`));
  }
  try {
    Deno.removeSync(dir);
  } catch (e) {
    left.push(`${dir}: ${(e as Error).message}`);
  }
  return left;
}

/** Mount points at or below dir, deepest first. */
function mountsBelow(dir: string): string[] {
  const text = Deno.readTextFileSync("/proc/self/mountinfo");
  const points = text.split("\n").filter(Boolean).map((line) =>
    line.split(" ")[4].replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)))
  );
  return points.filter((p) => p === dir || p.startsWith(dir + "/")).sort((a, b) =>
    b.length - a.length
  );
}

/** Pids whose command line mentions dir (conmon of our containers, podman cleanup). */
function processesMentioning(dir: string): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmdline.includes(dir)) pids.push(Number(e.name));
    } catch { /* gone */ }
  }
  return pids;
}

/**
 * Set up Podman in a fresh temporary directory and import the busybox image. On failure
 * everything made so far is removed and the error is thrown.
 */
export async function startEngine(): Promise<Engine> {
  const base = Deno.makeTempDirSync({ prefix: "tsrunc-podman-" });
  const wrapper = `${base}/bin/tsrunc`;
  const log = `${base}/runtime-calls.log`;
  const conf = `${base}/containers.conf`;
  const cgroupParent = `/tsrunc-podman-${Deno.pid}`;
  for (const d of ["bin", "root", "runroot", "tmp", "podman-tmp", "cni"]) {
    Deno.mkdirSync(`${base}/${d}`, { recursive: true });
  }
  // One write per call (a single printf of the whole line), so concurrent calls
  // (podman stop's kill beside conmon's cleanup) never interleave.
  Deno.writeTextFileSync(
    wrapper,
    `#!/bin/sh
s=$(printf '\\037')
line=
for a in "$@"; do line="$line$s$a"; done
printf '%s\\n' "\${line#?}" >> ${q(log)}
exec ${q(TSRUNC)} "$@"
`,
  );
  Deno.chmodSync(wrapper, 0o755);
  Deno.writeTextFileSync(log, "");
  // Podman sets RLIMIT_NOFILE and RLIMIT_NPROC of every container to 1048576 unless told
  // otherwise; root without CAP_SYS_RESOURCE cannot raise a hard limit that far.
  const hard = (await sh("ulimit -Hn; ulimit -Hu")).stdout.trim().split("\n");
  const cap = (v: string | undefined) => (v && /^\d+$/.test(v) ? Math.min(Number(v), 1024) : 1024);
  const confText = `[containers]
default_ulimits = ["nofile=${cap(hard[0])}:${cap(hard[0])}", "nproc=${cap(hard[1])}:${
    cap(hard[1])
  }"]
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${base}/events.log"
runtime = "tsrunc"
runtime_supports_json = ["tsrunc", "crun", "runc"]

[engine.runtimes]
tsrunc = ["${wrapper}"]

[network]
network_config_dir = "${base}/cni"
`;
  Deno.writeTextFileSync(conf, confText);
  const plainConf = `${base}/containers-plain.conf`;
  Deno.writeTextFileSync(plainConf, confText.replace(/^runtime_supports_json = .*\n/m, ""));
  const env = { CONTAINERS_CONF: conf, TMPDIR: `${base}/podman-tmp` };
  const envFor = (options: PodmanOptions) =>
    options.conf === "plain" ? { ...env, CONTAINERS_CONF: plainConf } : env;
  const globals = [
    "--root",
    `${base}/root`,
    "--runroot",
    `${base}/runroot`,
    "--tmpdir",
    `${base}/tmp`,
    "--storage-driver",
    "vfs",
  ];
  const argv = (args: string[], options: PodmanOptions = {}) => [
    PODMAN,
    ...globals,
    ...(options.runtime === "conf" ? [] : ["--runtime", wrapper]),
    ...args,
  ];

  const podman = async (args: string[], options: PodmanOptions = {}): Promise<Result> => {
    const start = performance.now();
    const r = await runToFiles(argv(args, options), {
      env: envFor(options),
      stdin: options.stdin,
      tmpDir: base,
      timeoutMs: (options.timeout ?? 60) * 1000,
    });
    return { ...r, ms: performance.now() - start };
  };

  const calls = (): Call[] =>
    Deno.readTextFileSync(log).split("\n").filter((l) => l !== "").map((l) => l.split(SEP));

  const createdIds = (): string[] => {
    const ids = new Set<string>();
    for (const c of calls()) {
      const i = c.indexOf("create");
      if (i >= 0) ids.add(c[c.length - 1]);
    }
    return [...ids];
  };

  const close = async (): Promise<string[]> => {
    const problems: string[] = [];
    const step = async (what: string, fn: () => unknown) => {
      try {
        await fn();
      } catch (e) {
        problems.push(`${what}: ${(e as Error).message}`);
      }
    };
    await step("podman rm", async () => {
      const r = await podman(["rm", "--all", "--force", "--time", "0"], { timeout: 60 });
      if (r.code !== 0) problems.push(`podman rm -af: ${r.stderr.trim()}`);
    });
    // conmon runs `podman container cleanup` when a container exits: let those finish.
    await step("processes", async () => {
      for (let i = 0; i < 50 && processesMentioning(base).length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const pid of processesMentioning(base)) {
        problems.push(`process ${pid} still running: killed`);
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
    });
    await step("tsrunc state", async () => {
      for (const id of createdIds()) {
        try {
          Deno.statSync(`${TSRUNC_ROOT}/${id}`);
        } catch {
          continue;
        }
        problems.push(`${TSRUNC_ROOT}/${id} was left: deleted`);
        await new Deno.Command(TSRUNC, { args: ["delete", "--force", id], stdout: "null" })
          .output();
      }
    });
    await step("mounts", async () => {
      for (const m of mountsBelow(base)) {
        problems.push(`mount ${m} was left: unmounted`);
        await new Deno.Command("/bin/umount", { args: ["-l", m] }).output();
      }
    });
    await step("cgroups", () => {
      for (const h of hierarchies()) {
        const left = removeCgroupTree(`${h}${cgroupParent}`);
        if (left.length) problems.push(`cgroups left: ${left.join(", ")}`);
      }
    });
    await step("files", () => Deno.removeSync(base, { recursive: true }));
    return problems;
  };

  try {
    let rootfs = `${Deno.env.get("TSRUNC_TEST_BUNDLE") ?? ""}/rootfs`;
    if (!Deno.env.get("TSRUNC_TEST_BUNDLE") || !isBusybox(rootfs)) {
      const made = await sh(`bash ${q(REPO + "scripts/rootfs.sh")} ${q(base + "/image")}`);
      if (made.code !== 0) throw new Error(`scripts/rootfs.sh failed: ${made.stderr}`);
      rootfs = `${base}/image/rootfs`;
    }
    const importArgv = argv(["import", "-", IMAGE]).map(q).join(" ");
    const imported = await sh(
      `${UNSHARE} --mount --propagation private /bin/sh -c ${
        q(
          `mount -t tmpfs -o size=16m,mode=0755 tsrunc-podman-test /var/lib && ` +
            `tar -C ${q(rootfs)} -c . | ${importArgv}`,
        )
      }`,
      env,
    );
    if (imported.code !== 0) {
      throw new Error(`podman import failed (${imported.code}): ${imported.stderr}`);
    }
  } catch (e) {
    await close();
    throw e;
  }

  return {
    base,
    wrapper,
    cgroupParent,
    createFlags: ["--network", "none", "--cgroup-parent", cgroupParent],
    env,
    podman,
    argv,
    calls,
    createdIds,
    close,
  };
}

/** Wait until cond() is true, polling every 100 ms, for at most seconds. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  seconds = 10,
): Promise<boolean> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The cgroup path of pid in a v1 hierarchy that has `controller`, from /proc/PID/cgroup. */
export function cgroupOf(pid: number, controller: string): string | null {
  const text = Deno.readTextFileSync(`/proc/${pid}/cgroup`);
  for (const line of text.split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers?.split(",").includes(controller)) return path;
  }
  return null;
}

/** The v1 hierarchy directory of a controller (e.g. "memory" -> /sys/fs/cgroup/memory). */
export function hierarchyOf(controller: string): string {
  return `${CGROUP_ROOT}/${controller}`;
}

/** Whether tsrunc still has state for the container. */
export function hasTsruncState(id: string): boolean {
  try {
    Deno.statSync(`${TSRUNC_ROOT}/${id}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * A call with the volatile parts replaced, for the record: the temporary directory by
 * $TMP, container ids by <id>, exec session ids by <exec>, conmon's console socket and
 * exec process file names by placeholders.
 */
export function normalize(call: Call, base: string, ids: string[]): string {
  const known = new Set(ids);
  return call.map((a) =>
    a.replaceAll(base, "$TMP")
      .replace(/[0-9a-f]{64}/g, (h) => (known.has(h) ? "<id>" : "<exec>"))
      .replace(/conmon-term\.[A-Za-z0-9]{6}/, "conmon-term.XXXXXX")
      .replace(/exec-process-\d+/, "exec-process-N")
  ).join(" ");
}

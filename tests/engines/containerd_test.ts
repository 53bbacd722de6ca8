/**
 * tsrunc as a drop-in runtime under containerd (1.6, Debian 12): a private containerd
 * per test (config.toml, root, state and socket in a temporary directory, see
 * _containerd.ts), a busybox image built from the test rootfs and imported with
 * `ctr images import`, and ctr driving containers through the runc v2 shim with
 * `--runc-binary` pointing at tsrunc (through a wrapper that logs the shim's command
 * lines). Each test asserts effects on the host (processes, cgroups, files, exit
 * statuses, the shim's tsrunc commands), and removes its daemon, shims, containers,
 * mounts and cgroups even when it fails.
 *
 * runc 1.1.5 is the reference: TSRUNC=/usr/sbin/runc runs the same tests against it and
 * they all pass (only the wording of tsrunc's own error message is not checked then).
 * TSRUNC_ENGINE_ARGV_LOG=FILE appends every command line the shim ran, with its status.
 *
 * Run: make install && TSRUNC=/usr/local/sbin/tsrunc TSRUNC_TEST_BUNDLE=$PWD/build/bundle \
 *   deno test -A tests/engines/containerd_test.ts
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../integration/_assert.ts";
import { runInPty } from "../integration/_pty.ts";
import {
  alive,
  type Containerd,
  containerdConfig,
  exec,
  IMAGE,
  RUNTIME,
  skipReason,
  type Task,
  TSRUNC,
  waitFor,
  which,
  withContainerd,
} from "./_containerd.ts";

const SKIP = skipReason();
const IS_RUNC = /(^|\/)runc$/.test(TSRUNC);

/** Deno.test with the skip reason in the name when containerd cannot run here. */
function test(name: string, fn: (c: Containerd) => Promise<void>): void {
  Deno.test({
    name: SKIP ? `containerd: ${name} (skipped: ${SKIP})` : `containerd: ${name}`,
    ignore: SKIP !== undefined,
    fn: () => withContainerd(fn),
  });
}

/** A container that runs until SIGTERM (a shell loop: pid 1 has no default actions). */
const SLEEPER = ["sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.1; done'];

/** The first word of a runtime call that is a command (after the global flags). */
function command(args: string): string {
  const words = args.split(" ");
  for (let i = 0; i < words.length; i++) {
    if (["--root", "--log", "--log-format"].includes(words[i])) i++;
    else if (!words[i].startsWith("--")) return words[i];
  }
  return "";
}

/** The directory of a v1 controller's cgroup of container `id`. */
async function cgroupDir(c: Containerd, id: string, controller: string): Promise<string> {
  const path = (await c.spec(id)).linux.cgroupsPath as string;
  assertMatch(path, /^\//, "ctr gives an absolute cgroupsPath");
  return `/sys/fs/cgroup/${controller}${path}`;
}

function readInts(path: string): number[] {
  return Deno.readTextFileSync(path).split("\n").filter(Boolean).map(Number);
}

/** The bundle containerd makes for a task of this test's namespace. */
function bundleOf(c: Containerd, id: string): string {
  return `${c.dir}/state/io.containerd.runtime.v2.task/${c.ns}/${id}`;
}

function mountedBelow(dir: string): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((l) => l.split(" ")[4] ?? "").filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** ctr's command line for `ctr run` in this test's daemon (for the pty driver). */
function ctrArgv(c: Containerd, args: string[]): string[] {
  return [which("ctr")!, "-a", c.sock, "-n", c.ns, ...args];
}

/** ctr run -d: assert it worked (with the runtime's calls and containerd's log if not). */
async function detached(c: Containerd, flags: string[], id: string, cmd: string[]): Promise<Task> {
  const r = await c.run(["-d", ...flags], id, cmd);
  const calls = () => c.callsFor(id).map((k) => `${k.code ?? "?"} ${k.args}`).join("\n");
  assertEquals(r.code, 0, `ctr run -d ${id}: ${r.stderr}\n${calls()}\n${c.logTail(15)}`);
  return await c.waitStatus(id, "RUNNING");
}

// --- run, output, exit status -------------------------------------------------------------

test("ctr run --rm prints the container's output; the shim runs tsrunc create, start, delete", async (c) => {
  const id = c.id("hello");
  const r = await c.run(["--rm"], id, ["echo", "hi"]);
  assertEquals(r, { code: 0, stdout: "hi\n", stderr: "" });

  const calls = c.callsFor(id);
  const bundle = bundleOf(c, id);
  const global = `--root ${c.tsruncRoot} --log ${bundle}/log.json --log-format json`;
  assertEquals(calls[0], {
    args: `${global} create --bundle ${bundle} --pid-file ${bundle}/init.pid ${id}`,
    code: 0,
  });
  assertEquals(calls[1], { args: `${global} start ${id}`, code: 0 });
  assertEquals(calls[2], { args: `${global} delete ${id}`, code: 0 });
  // Then the shim's own cleanup: delete --force of a container that is gone (runc: 0).
  assert(calls.slice(3).every((k) => command(k.args) === "delete"), JSON.stringify(calls));
  assert(calls.every((k) => k.code === 0), JSON.stringify(calls));

  assertEquals((await c.ctr(["container", "ls", "-q"])).stdout, "", "--rm removed it");
  assertEquals((await c.tsrunc(["list", "-q"])).stdout, "", "no container left in tsrunc's root");
  assertEquals(mountedBelow(bundle), [], "the rootfs is unmounted");
});

test("ctr run propagates the exit status (exit 3 -> 3, SIGKILL -> 137)", async (c) => {
  const three = await c.run(["--rm"], c.id("exit"), ["sh", "-c", "echo out; echo err >&2; exit 3"]);
  assertEquals(three.code, 3, three.stderr);
  assertEquals(three.stdout, "out\n");
  assertEquals(three.stderr, "err\n");
  // Killed by a signal: the init of a foreground `ctr run` (the pid namespace's init
  // ignores SIGKILL from inside, so from the host), and an exec'd process killing itself.
  const sig = c.id("sig");
  const foreground = c.run(["--rm"], sig, SLEEPER);
  let killed: { code: number; stderr: string } | undefined;
  try {
    await c.waitStatus(sig, "RUNNING");
    const exec137 = await c.ctr(
      ["task", "exec", "--fifo-dir", c.fifoDir, "--exec-id", "k", sig, "sh", "-c", "kill -KILL $$"],
    );
    assertEquals(exec137.code, 137, `exec killed by SIGKILL: ${exec137.stderr}`);
    const kill = await c.ctr(["task", "kill", "--signal", "SIGKILL", sig]);
    assertEquals(kill.code, 0, kill.stderr);
  } finally {
    await c.ctr(["task", "kill", "--signal", "SIGKILL", sig]); // (again, if it failed before)
    killed = await foreground;
  }
  assertEquals(killed.code, 137, `run killed by SIGKILL: ${killed.stderr}`);
  // (No stdin case: ctr 1.6 never passes the end of its stdin on to the container, so a
  // reader of stdin hangs there with runc as with tsrunc.)
});

// --- detached lifecycle ---------------------------------------------------------------------

test(
  "run -d, task exec, task kill, task rm, container rm (tsrunc itself, no wrapper)",
  async (c) => {
    const id = c.id("life");
    // The real binary this time: what tsrunc keeps in the shim's --root shows it is used.
    const flags = c.runtimeFlags(TSRUNC);
    const run = await c.ctr(["run", "-d", ...flags, IMAGE, id, ...SLEEPER]);
    assertEquals(run.code, 0, run.stderr);
    const task = await c.waitStatus(id, "RUNNING");
    assert(alive(task.pid), `init ${task.pid} runs`);

    const list = await c.tsrunc(["list", "--format", "json"]);
    assertEquals(list.code, 0, list.stderr);
    const entry = JSON.parse(list.stdout).find((e: { id: string }) => e.id === id);
    assert(entry, `tsrunc --root ${c.tsruncRoot} list shows ${id}: ${list.stdout}`);
    assertEquals([entry.status, entry.pid, entry.bundle], ["running", task.pid, bundleOf(c, id)]);

    const ex = await c.ctr([
      "task",
      "exec",
      "--fifo-dir",
      c.fifoDir,
      "--exec-id",
      "e1",
      id,
      "sh",
      "-c",
      'echo "exec pid $$"; tr "\\0" " " </proc/1/cmdline',
    ]);
    assertEquals(ex.code, 0, ex.stderr);
    assertMatch(ex.stdout, /^exec pid (\d+)\nsh -c trap /, "exec runs in the container's pid ns");
    assert(!/^exec pid 1\n/.test(ex.stdout), ex.stdout);
    const ex4 = await c.ctr([
      "task",
      "exec",
      "--fifo-dir",
      c.fifoDir,
      "--exec-id",
      "e2",
      id,
      "sh",
      "-c",
      "exit 4",
    ]);
    assertEquals(ex4.code, 4, `exec's status: ${ex4.stderr}`);

    const kill = await c.ctr(["task", "kill", id]); // SIGTERM: the trap exits 0
    assertEquals(kill.code, 0, kill.stderr);
    await c.waitStatus(id, "STOPPED");
    assert(!alive(task.pid), "the init is gone");
    const memory = await cgroupDir(c, id, "memory");
    const rm = await c.ctr(["task", "rm", id]);
    assertEquals(rm.code, 0, rm.stderr);
    assertEquals((await c.tasks()).has(id), false);
    const crm = await c.ctr(["container", "rm", id]);
    assertEquals(crm.code, 0, crm.stderr);
    assertEquals((await c.ctr(["container", "ls", "-q"])).stdout, "");
    assertEquals((await c.tsrunc(["list", "-q"])).stdout, "", "tsrunc's state is gone");
    assert(!exists(memory), `${memory} was removed`);
    assertEquals(mountedBelow(bundleOf(c, id)), [], "the rootfs is unmounted");
  },
);

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

// --- signals --------------------------------------------------------------------------------

test("ctr task kill -s SIGUSR1 reaches the container's trap; kill --all reaches every process", async (c) => {
  const shared = `${c.dir}/shared`;
  Deno.mkdirSync(shared);
  const id = c.id("usr1");
  await detached(c, ["--mount", `type=bind,src=${shared},dst=/shared,options=rbind:rw`], id, [
    "sh",
    "-c",
    'trap "echo got-usr1 >/shared/marker; exit 0" USR1; touch /shared/ready; ' +
    "while :; do sleep 0.1; done",
  ]);
  await waitFor("the container's ready file", () => exists(`${shared}/ready`));
  const kill = await c.ctr(["task", "kill", "--signal", "SIGUSR1", id]);
  assertEquals(kill.code, 0, kill.stderr);
  await waitFor("the marker", () => exists(`${shared}/marker`));
  assertEquals(Deno.readTextFileSync(`${shared}/marker`), "got-usr1\n");
  await c.waitStatus(id, "STOPPED");
  assert(c.callsFor(id).some((k) => / kill \S+ 10$/.test(k.args) && k.code === 0), "kill ID 10");

  const all = c.id("all");
  await detached(c, [], all, ["sh", "-c", "sleep 1000 & sleep 1001 & wait"]);
  const procs = `${await cgroupDir(c, all, "pids")}/cgroup.procs`;
  const pids = await waitFor("3 processes", () => {
    const p = readInts(procs);
    return p.length === 3 ? p : undefined;
  });
  const killAll = await c.ctr(["task", "kill", "--all", "--signal", "SIGKILL", all]);
  assertEquals(killAll.code, 0, killAll.stderr);
  await c.waitStatus(all, "STOPPED");
  await waitFor("every process to die", () => pids.every((p) => !alive(p)));
  assert(
    c.callsFor(all).some((k) => / kill --all \S+ 9$/.test(k.args) && k.code === 0),
    `kill --all ID 9 in ${JSON.stringify(c.callsFor(all))}`,
  );
});

test("ctr task kill --all of a stopped task succeeds, as with runc (nothing left to signal)", async (c) => {
  // runc 1.1.5 `kill --all ID SIG` signals what is left in the container's cgroup and exits
  // 0 when the container has stopped; plain `kill` of a stopped container fails ("container
  // not running"), which the shim turns into "process already finished: not found".
  const id = c.id("killall");
  const run = await c.run(["-d"], id, ["true"]);
  assertEquals(run.code, 0, run.stderr);
  await c.waitStatus(id, "STOPPED");
  const killAll = await c.ctr(["task", "kill", "--all", "--signal", "SIGKILL", id]);
  const call = c.callsFor(id).find((k) => command(k.args) === "kill");
  assertEquals(killAll.code, 0, `ctr task kill --all: ${killAll.stderr} (${JSON.stringify(call)})`);
  const kill = await c.ctr(["task", "kill", "--signal", "SIGKILL", id]);
  assertEquals(kill.code, 1, "plain kill of a stopped task fails");
  assertStringIncludes(kill.stderr, "process already finished");
});

// --- terminals ------------------------------------------------------------------------------

test("ctr run -t: an interactive shell on a pty (console socket), size and exit status", async (c) => {
  const id = c.id("tty");
  const r = await runInPty(
    ctrArgv(c, ["run", "-t", "--rm", ...c.runtimeFlags(), IMAGE, id, "sh"]),
    {
      rows: 30,
      cols: 100,
      timeout: 30,
      steps: [
        { expect: "# " },
        { send: "echo $((6*7)); tty; stty size\n" },
        { expect: "42\\r?\\r?\\n/dev/pts/\\d+\\r?\\r?\\n30 100" },
        { send: "exit 4\n" },
      ],
    },
  );
  assertEquals(r.error, null, r.output);
  assertEquals(r.status, 4, r.output);
  const create = c.callsFor(id).find((k) => command(k.args) === "create");
  assertMatch(
    create?.args ?? "",
    / --console-socket \S+\/pty\.sock /,
    "create gets a console socket",
  );
});

test("ctr run -t: the container's pty keeps ONLCR, as runc leaves a --console-socket pty", async (c) => {
  // runc clears ONLCR only on a pty it proxies itself (foreground run/exec); the master it
  // sends over --console-socket has the kernel's default termios (onlcr). The shim does
  // not change it, and clients that put their terminal in raw mode without OPOST (Docker,
  // kubectl) rely on the container's pty for \n -> \r\n.
  const r = await runInPty(
    ctrArgv(c, [
      "run",
      "-t",
      "--rm",
      ...c.runtimeFlags(),
      IMAGE,
      c.id("onlcr"),
      "sh",
      "-c",
      "stty -a",
    ]),
    { timeout: 30 },
  );
  assertEquals(r.error, null, r.output);
  assertEquals(r.status, 0, r.output);
  assertMatch(r.output, /(^|\s)onlcr(\s|$)/, `the container's pty has onlcr: ${r.output}`);
});

test("ctr task exec -t: an interactive shell in a running container", async (c) => {
  const id = c.id("exectty");
  await detached(c, [], id, SLEEPER);
  const r = await runInPty(
    ctrArgv(c, ["task", "exec", "-t", "--fifo-dir", c.fifoDir, "--exec-id", "sh1", id, "sh"]),
    {
      rows: 25,
      cols: 90,
      timeout: 30,
      steps: [
        { expect: "# " },
        { send: "tty; echo $((2+3)); stty size\n" },
        { expect: "/dev/pts/\\d+\\r?\\r?\\n5\\r?\\r?\\n25 90" },
        { send: "exit 6\n" },
      ],
    },
  );
  assertEquals(r.error, null, r.output);
  assertEquals(r.status, 6, r.output);
  const ex = c.callsFor(id).find((k) => command(k.args) === "exec");
  // The terminal is in the process.json (--process); the pty comes back on the socket.
  assertMatch(ex?.args ?? "", / exec --process \S+ --console-socket \S+ --detach /, ex?.args);
});

// --- cgroups: pause, limits, ps, metrics ----------------------------------------------------

test("ctr task pause/resume freeze and thaw the container's freezer cgroup", async (c) => {
  const id = c.id("pause");
  await detached(c, [], id, SLEEPER);
  const state = `${await cgroupDir(c, id, "freezer")}/freezer.state`;
  assertEquals(Deno.readTextFileSync(state).trim(), "THAWED");
  const pause = await c.ctr(["task", "pause", id]);
  assertEquals(pause.code, 0, pause.stderr);
  await c.waitStatus(id, "PAUSED");
  assertEquals(Deno.readTextFileSync(state).trim(), "FROZEN");
  const resume = await c.ctr(["task", "resume", id]);
  assertEquals(resume.code, 0, resume.stderr);
  await c.waitStatus(id, "RUNNING");
  assertEquals(Deno.readTextFileSync(state).trim(), "THAWED");
  const cmds = c.callsFor(id).map((k) => `${command(k.args)}=${k.code}`);
  assert(cmds.includes("pause=0") && cmds.includes("resume=0"), cmds.join(" "));
});

test("ctr run --memory-limit --cpus: the limits are in the container's cgroups and enforced", async (c) => {
  const id = c.id("limits");
  const task = await detached(
    c,
    ["--memory-limit", String(64 * 1024 * 1024), "--cpus", "0.5"],
    id,
    SLEEPER,
  );
  const memory = await cgroupDir(c, id, "memory");
  assertEquals(readInts(`${memory}/memory.limit_in_bytes`), [64 * 1024 * 1024]);
  assert(readInts(`${memory}/cgroup.procs`).includes(task.pid), "the init is in the cgroup");
  const cpu = await cgroupDir(c, id, "cpu");
  const quota = readInts(`${cpu}/cpu.cfs_quota_us`)[0];
  const period = readInts(`${cpu}/cpu.cfs_period_us`)[0];
  assertEquals(quota / period, 0.5, `quota ${quota} period ${period}`);
  const self = await c.ctr([
    "task",
    "exec",
    "--fifo-dir",
    c.fifoDir,
    "--exec-id",
    "cg",
    id,
    "cat",
    "/proc/self/cgroup",
  ]);
  assertEquals(self.code, 0, self.stderr);
  const path = (await c.spec(id)).linux.cgroupsPath;
  assertMatch(self.stdout, new RegExp(`:memory:${path}\\n`), "exec joins the container's cgroup");

  // Enforced: 8 MiB, no swap on the host or memsw limited, 64 MiB asked -> OOM kill (137).
  const oom = await c.run(
    ["--rm", "--memory-limit", String(8 * 1024 * 1024)],
    c.id("oom"),
    ["sh", "-c", "x=$(head -c 67108864 /dev/zero | tr '\\0' x); echo survived ${#x}"],
    60_000,
  );
  assertEquals(oom.code, 137, `out of memory: ${oom.stdout}${oom.stderr}`);
});

test("ctr task ps lists the container's processes (tsrunc ps --format json)", async (c) => {
  const id = c.id("ps");
  await detached(c, [], id, ["sh", "-c", "sleep 1000 & sleep 1001 & wait"]);
  const procs = `${await cgroupDir(c, id, "pids")}/cgroup.procs`;
  const pids = await waitFor("3 processes", () => {
    const p = readInts(procs);
    return p.length === 3 ? p : undefined;
  });
  const ps = await c.ctr(["task", "ps", id]);
  assertEquals(ps.code, 0, ps.stderr);
  const listed = ps.stdout.split("\n").slice(1).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean)
    .map(Number);
  assertEquals(listed.sort(), pids.sort(), ps.stdout);
  assert(
    c.callsFor(id).some((k) => / ps --format json \S+$/.test(k.args) && k.code === 0),
    JSON.stringify(c.callsFor(id)),
  );
});

test("ctr task metrics returns the container's cgroup stats", async (c) => {
  const id = c.id("metrics");
  await detached(c, ["--memory-limit", String(32 * 1024 * 1024)], id, SLEEPER);
  const m = await c.ctr(["task", "metrics", id]);
  assertEquals(m.code, 0, m.stderr);
  const value = (name: string) =>
    new RegExp(`^${name.replaceAll(".", "\\.")}\\s+(\\S+)`, "m").exec(m.stdout)?.[1];
  assertEquals(value("memory.limit_in_bytes"), String(32 * 1024 * 1024), m.stdout);
  assert(Number(value("memory.usage_in_bytes")) > 0, m.stdout);
  assert(Number(value("pids.current")) >= 1, m.stdout);
});

// --- engine restart -------------------------------------------------------------------------

test("containerd restart: the task keeps running, is found again, can exec and be killed", async (c) => {
  const id = c.id("restart");
  const before = await detached(c, [], id, SLEEPER);
  const daemon = c.pid!;
  await c.stop("SIGTERM");
  assert(!alive(daemon), "containerd stopped");
  assert(alive(before.pid), "the container outlives containerd");
  const state = await c.tsrunc(["state", id]);
  assertEquals(JSON.parse(state.stdout).status, "running", state.stderr);
  await c.start();
  const after = await c.waitStatus(id, "RUNNING");
  assertEquals(after.pid, before.pid, "the same task");
  const ex = await c.ctr([
    "task",
    "exec",
    "--fifo-dir",
    c.fifoDir,
    "--exec-id",
    "x",
    id,
    "echo",
    "after-restart",
  ]);
  assertEquals([ex.code, ex.stdout], [0, "after-restart\n"], ex.stderr);
  const kill = await c.ctr(["task", "kill", "--signal", "SIGKILL", id]);
  assertEquals(kill.code, 0, kill.stderr);
  await c.waitStatus(id, "STOPPED");
  assert(!alive(before.pid), "killed");
  assertEquals((await c.ctr(["task", "rm", id])).code, 0);
  assertEquals((await c.ctr(["container", "rm", id])).code, 0);
});

// --- errors ---------------------------------------------------------------------------------

/** The runtime's message in ctr's "OCI runtime create failed: MESSAGE: unknown". */
function runtimeMessage(stderr: string, phase: string): string {
  const m = new RegExp(`OCI runtime ${phase} failed: (.*): unknown$`, "m").exec(stderr);
  assert(m, `ctr shows the runtime's error: ${stderr}`);
  return m[1];
}

test("a failing create (bind mount of a missing source): ctr shows tsrunc's one-line error", async (c) => {
  const id = c.id("badmount");
  const r = await c.run(
    ["--rm", "--mount", "type=bind,src=/nonexistent,dst=/x,options=rbind"],
    id,
    [
      "true",
    ],
  );
  assert(r.code !== 0, "ctr run fails");
  assertEquals(r.stdout, "");
  const msg = runtimeMessage(r.stderr, "create");
  assertStringIncludes(msg, "/nonexistent");
  assertStringIncludes(msg, "no such file or directory");
  if (!IS_RUNC) {
    assertMatch(msg, /^mount \/nonexistent on \/x\b/, "tsrunc's message names the mount");
  }
  const calls = c.callsFor(id);
  assertEquals(
    calls.map((k) => `${command(k.args)}=${k.code}`)[0],
    "create=1",
    JSON.stringify(calls),
  );
  assert(!calls.some((k) => command(k.args) === "start"), "no start after a failed create");
  assertEquals((await c.tasks()).size, 0);
  assertEquals((await c.ctr(["container", "ls", "-q"])).stdout, "", "ctr --rm removed it");
  assertEquals((await c.tsrunc(["list", "-q"])).stdout, "", "no state left");
  assert(!exists(`/sys/fs/cgroup/memory/${c.ns}/${id}`), "no cgroup left");
  assertEquals(mountedBelow(bundleOf(c, id)), [], "no mount left");
});

test("a missing executable: ctr shows the runtime's error, exit status not 0", async (c) => {
  const id = c.id("noexe");
  const r = await c.run(["--rm"], id, ["/no/such/program"]);
  assert(r.code !== 0, "ctr run fails");
  // runc fails create ("exec: \"/no/such/program\": stat ...: no such file or directory").
  // runc 1.1.5: `runc create failed: unable to start container process: exec:
  // "/no/such/program": stat /no/such/program: no such file or directory`.
  const msg = runtimeMessage(r.stderr, "create");
  assertStringIncludes(msg, "/no/such/program");
  assert(!msg.includes("\n"), "one line");
  assertEquals((await c.ctr(["container", "ls", "-q"])).stdout, "");
  assertEquals((await c.tasks()).size, 0);
});

// --- the configuration for CRI (what the README shows) --------------------------------------

/** The ```toml block of README.md that configures the tsrunc runtime for containerd's CRI. */
function readmeCriSnippet(): string | undefined {
  const readme = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));
  return [...readme.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1])
    .find((block) => block.includes(".containerd.runtimes.tsrunc]"));
}

Deno.test({
  name: SKIP
    ? `containerd: the README's CRI runtime config parses (skipped: ${SKIP})`
    : "containerd: the README's CRI runtime config parses: runtimes.tsrunc with BinaryName",
  ignore: SKIP !== undefined,
  fn: async () => {
    // BinaryName (and Root) are the runc v2 shim's options.Options, what ctr's
    // --runc-binary (--runc-root) set for the tests above; CRI reads them from here.
    const snippet = readmeCriSnippet();
    assert(snippet, "README.md has a ```toml block with runtimes.tsrunc");
    const binary = /BinaryName = "([^"]+)"/.exec(snippet)?.[1];
    assertEquals(binary, "/usr/local/sbin/tsrunc", "the README's BinaryName");
    const dir = Deno.makeTempDirSync({ prefix: "tsrunc-containerd-config-" });
    try {
      // The private config with the CRI plugin on, plus the README's snippet: `config
      // dump` only parses (and prints the result), it starts nothing.
      const config = containerdConfig(dir, `${dir}/containerd.sock`)
        .replace(/^disabled_plugins = .*\n/m, "") + `\n${snippet}`;
      Deno.writeTextFileSync(`${dir}/config.toml`, config);
      const r = await exec(which("containerd")!, [
        "--config",
        `${dir}/config.toml`,
        "config",
        "dump",
      ]);
      assertEquals(r.code, 0, r.stderr);
      const start = r.stdout.indexOf(
        `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.tsrunc]`,
      );
      assert(start >= 0, `the tsrunc runtime is in the dump: ${r.stdout}`);
      const section = r.stdout.slice(start, r.stdout.indexOf("\n\n", start));
      assertMatch(
        section,
        new RegExp(`\\n\\s*runtime_type = "${RUNTIME.replaceAll(".", "\\.")}"(\\n|$)`),
        section,
      );
      assertMatch(
        r.stdout,
        new RegExp(
          `\\[plugins\\."io\\.containerd\\.grpc\\.v1\\.cri"\\.containerd\\.runtimes\\.tsrunc\\.options\\]` +
            `\\n\\s*BinaryName = "${binary}"`,
        ),
      );
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

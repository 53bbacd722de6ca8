/**
 * tsrunc as a drop-in runtime under Docker (dockerd 20.10, containerd 1.6, shim
 * io.containerd.runc.v2): a private daemon (see _docker.ts) with
 *
 *     daemon.json  {"runtimes": {"tsrunc": {"path": "<wrapper>"}, "runc-ref": {...}},
 *                   "default-runtime": "tsrunc", "live-restore": true}
 *
 * where the wrapper logs every call and execs $TSRUNC. Each scenario runs
 * `docker ... --runtime tsrunc busybox:tsrunc ...` (an image imported from the test
 * rootfs) and checks what really happened: output and exit codes, files a container wrote
 * into a bind-mounted host directory, cgroup files, processes, and the runtime calls the
 * shim made. The last test stops the daemon and checks that nothing is left behind.
 *
 * The scenarios share one daemon (started by the first one that runs); run them as a
 * whole or with --filter, never in parallel with each other.
 */
import { assert, assertEquals } from "../integration/_assert.ts";
import { alive, exists, sleep, v1Dir } from "../integration/_cgroups.ts";
import { lines, runInPty } from "../integration/_pty.ts";
import {
  busyboxRootfs,
  cgroupDirOf,
  Checks,
  DockerDaemon,
  eventually,
  IMAGE,
  readText,
  skipReason,
  TSRUNC,
} from "./_docker.ts";

const SKIP = skipReason();
if (SKIP) console.warn(`docker tests skipped: ${SKIP}`);

const RT = ["--runtime", "tsrunc"];
/** A container that stays up, idle, until it is stopped (exits 0 on TERM). */
const IDLE = ["sh", "-c", 'trap "exit 0" TERM; while :; do sleep 0.1; done'];

let daemon: DockerDaemon | undefined;
let starting: Promise<DockerDaemon> | undefined;

/** The shared daemon, with the image imported; started on first use. */
function ready(): Promise<DockerDaemon> {
  starting ??= (async () => {
    const d = await DockerDaemon.start();
    daemon = d;
    await d.importImage(await busyboxRootfs(d.dir));
    return d;
  })();
  return starting;
}

// Whatever happens (a failed test, --filter leaving out the last one), stop everything.
globalThis.addEventListener("unload", () => daemon?.cleanup());

/** A scenario: a test with the daemon; the containers it names are removed afterwards. */
function scenario(
  name: string,
  fn: (d: DockerDaemon, names: string[]) => Promise<void>,
): void {
  Deno.test({
    name: `docker: ${name}`,
    ignore: SKIP !== null,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const d = await ready();
      // A scenario that stopped dockerd and failed before starting it again.
      if (!d.dockerdPid) await d.startDockerd();
      const names: string[] = [];
      try {
        await fn(d, names);
      } finally {
        if (names.length && d.dockerdPid) await d.docker(["rm", "-f", ...names]);
      }
    },
  });
}

/** `docker inspect -f FORMAT name`, trimmed. */
async function inspect(d: DockerDaemon, name: string, format: string): Promise<string> {
  const r = await d.docker(["inspect", "-f", format, name]);
  if (r.code !== 0) throw new Error(`docker inspect ${name}: ${r.stderr}`);
  return r.stdout.trim();
}

/** `docker run -d --name name [opts] IMAGE args`; throws when it fails. */
async function runDetached(
  d: DockerDaemon,
  names: string[],
  name: string,
  opts: string[],
  args: string[],
): Promise<{ id: string; pid: number }> {
  names.push(name);
  const r = await d.docker(["run", "-d", "--name", name, ...RT, ...opts, IMAGE, ...args]);
  if (r.code !== 0) {
    throw new Error(`docker run -d ${name}: status ${r.code}: ${r.stderr.trim()}`);
  }
  const id = r.stdout.trim();
  const pid = Number(await inspect(d, name, "{{.State.Pid}}"));
  return { id, pid };
}

/** --mount of a host directory as /share. */
function shareMount(dir: string): string[] {
  return ["--mount", `type=bind,src=${dir},dst=/share`];
}

/** Where tsrunc keeps the state of container id (from the --root the shim passes). */
function stateDir(d: DockerDaemon, id: string): string {
  const root = d.stateRoot();
  assert(root, "no tsrunc call with --root was logged");
  return `${root}/${id}`;
}

scenario("run: output, and tsrunc does create/start/delete", async (d) => {
  const cidfile = `${d.dir}/run.cid`;
  const r = await d.docker(["run", "--rm", "--cidfile", cidfile, ...RT, IMAGE, "echo", "hi"]);
  assertEquals(r.code, 0, `docker run failed: ${r.stderr}`);
  assertEquals(r.stdout, "hi\n");
  const id = readText(cidfile).trim();
  const commands = d.commandsFor(id).map((c) => c.split(" ")[0]);
  assertEquals(
    commands.filter((c) => ["create", "start", "delete"].includes(c)).slice(0, 3),
    ["create", "start", "delete"],
    `the shim's tsrunc calls for ${id}: ${JSON.stringify(d.commandsFor(id))}`,
  );
  assert(!exists(stateDir(d, id)), "tsrunc's state directory is left after --rm");
});

scenario("run: resources given at create are in the container's cgroups", async (d) => {
  const r = await d.docker([
    "run",
    "--rm",
    ...RT,
    "--memory",
    "32m",
    "--pids-limit",
    "50",
    "--cpus",
    "0.5",
    IMAGE,
    "sh",
    "-c",
    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max " +
    "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
  ]);
  assertEquals(r.code, 0, `docker run failed: ${r.stderr}`);
  assertEquals(r.stdout, "33554432\n50\n50000\n", "the container's own cgroup files");
});

scenario("exit status propagates (exit 3, false, exit 255)", async (d) => {
  // (A signal death is docker kill's scenario: inside its pid namespace the init is
  // immune to signals it does not handle, SIGKILL included, with any runtime.)
  const c = new Checks();
  for (
    const [args, code] of [[["sh", "-c", "exit 3"], 3], [["false"], 1], [
      ["sh", "-c", "exit 255"],
      255,
    ]] as const
  ) {
    c.code(await d.docker(["run", "--rm", ...RT, IMAGE, ...args]), code, args.join(" "));
  }
  c.done();
});

scenario("15 short containers in a row: none dies between create and start", async (d) => {
  // The init must survive the exit of the `tsrunc create` that made it: the shim starts
  // it later with `tsrunc start`. A lost init shows as docker's "cannot start a stopped
  // process" (the shim reaped it) or tsrunc's "cannot start a container that has
  // stopped", with status 125 instead of the program's 1.
  const failures: string[] = [];
  for (let i = 0; i < 15; i++) {
    const r = await d.docker(["run", "--rm", ...RT, IMAGE, "false"]);
    if (r.code !== 1) {
      failures.push(`run ${i}: status ${r.code}: ${r.stderr.replace(/^WARNING.*\n/, "").trim()}`);
    }
  }
  assertEquals(failures, [], `${failures.length} of 15 \`docker run --rm false\` did not run`);
});

scenario("run -d, exec, stop (TERM, then KILL after -t), rm", async (d, names) => {
  const c = new Checks();
  const share = d.share("stop");
  const term = await runDetached(d, names, "stop-term", shareMount(share), [
    "sh",
    "-c",
    'trap "echo TERM >/share/marker; exit 0" TERM; echo up >/share/up; ' +
    "while :; do sleep 0.1; done",
  ]);
  assert(await eventually(() => exists(`${share}/up`)), "the container did not start its loop");

  // exec: output, the container's view (its pid 1), exit status.
  const ex = await d.docker(["exec", "stop-term", "sh", "-c", "echo exec-ok; cat /proc/1/cmdline"]);
  if (c.code(ex, 0, "docker exec")) {
    c.includes(ex.stdout, "exec-ok", "docker exec output");
    c.includes(ex.stdout, "trap", "docker exec sees the init as pid 1");
  }
  c.code(await d.docker(["exec", "stop-term", "sh", "-c", "exit 7"]), 7, "docker exec exit 7");
  c.ok(
    d.commandsFor(term.id).some((x) => x.startsWith("exec ")),
    `no tsrunc exec call: ${JSON.stringify(d.commandsFor(term.id))}`,
  );

  // stop: SIGTERM reaches the trap, which exits 0 long before the timeout.
  let t0 = Date.now();
  c.code(await d.docker(["stop", "-t", "10", "stop-term"]), 0, "docker stop");
  c.ok(
    Date.now() - t0 < 8000,
    `docker stop of a TERM-handling container took ${Date.now() - t0} ms`,
  );
  c.equal(readText(`${share}/marker`), "TERM\n", "what the TERM trap wrote");
  c.equal(await inspect(d, "stop-term", "{{.State.ExitCode}}"), "0", "exit code after stop");
  c.ok(!alive(term.pid), "the init survived docker stop");
  c.ok(
    d.commandsFor(term.id).includes("kill 15"),
    `no "kill <id> 15": ${JSON.stringify(d.commandsFor(term.id))}`,
  );

  // A container that ignores TERM is killed after -t 1.
  const stubborn = await runDetached(d, names, "stop-kill", shareMount(share), [
    "sh",
    "-c",
    'trap "" TERM; echo up >/share/up2; while :; do sleep 0.1; done',
  ]);
  assert(await eventually(() => exists(`${share}/up2`)), "the second container did not start");
  t0 = Date.now();
  c.code(await d.docker(["stop", "-t", "1", "stop-kill"]), 0, "docker stop -t 1");
  const took = Date.now() - t0;
  c.ok(took >= 900 && took < 8000, `docker stop -t 1 took ${took} ms`);
  c.equal(await inspect(d, "stop-kill", "{{.State.ExitCode}}"), "137", "exit code after KILL");
  c.ok(!alive(stubborn.pid), "the TERM-ignoring init survived docker stop");
  const kills = d.commandsFor(stubborn.id).filter((x) => x.startsWith("kill "));
  c.equal(kills.slice(0, 2), ["kill 15", "kill 9"], "the signals the shim sent");

  // rm: gone from docker, from tsrunc's state and from the cgroups.
  c.code(await d.docker(["rm", "stop-term", "stop-kill"]), 0, "docker rm");
  names.length = 0;
  const ps = await d.docker(["ps", "-a", "--format", "{{.Names}}"]);
  c.ok(!/stop-(term|kill)/.test(ps.stdout), `docker ps -a still lists them: ${ps.stdout}`);
  for (const id of [term.id, stubborn.id]) {
    c.ok(!exists(stateDir(d, id)), `tsrunc state of ${id} is left`);
    c.ok(
      d.commandsFor(id).some((x) => x.startsWith("delete")),
      `no tsrunc delete for ${id}`,
    );
    const cg = v1Dir("memory", `${d.cgroupParent}/${id}`);
    c.ok(!exists(cg), `cgroup ${cg} is left`);
  }
  c.done();
});

/** Steps of an interactive shell session at a 30x100 terminal; it exits with 5. */
const SESSION = [
  { expect: "# " },
  { send: "tty; stty size; echo $((6*7))\r" },
  { expect: "42" },
  { sleep: 0.2 },
  { send: "exit 5\r" },
];

/** Check what the session printed: a pty of its own, the window size, CR LF line ends. */
function checkSession(
  c: Checks,
  what: string,
  r: { output: string; status: number | null; error: string | null },
) {
  c.ok(r.error === null, `${what}: ${r.error}\n    output: ${JSON.stringify(r.output)}`);
  c.equal(r.status, 5, `${what}: exit status`);
  c.ok(
    /\/dev\/pts\/\d+/.test(r.output),
    `${what}: tty printed no pty: ${JSON.stringify(r.output)}`,
  );
  c.includes(lines(r.output), "30 100\n", `${what}: the container's window size`);
  // The container's terminal turns NL into CR NL (ONLCR) as with runc: Docker's client
  // puts the user's terminal in raw mode and passes the bytes through.
  c.includes(r.output, "\r\n42\r\n", `${what}: line ends of the container's output`);
}

scenario("docker run -it: a shell through a real pty", async (d) => {
  const c = new Checks();
  const r = await runInPty(d.dockerArgv(["run", "-it", "--rm", ...RT, IMAGE, "sh"]), {
    rows: 30,
    cols: 100,
    timeout: 30,
    env: d.env,
    steps: SESSION,
  });
  checkSession(c, "docker run -it", r);
  c.done();
});

scenario("docker exec -it: a shell through a real pty", async (d, names) => {
  const c = new Checks();
  await runDetached(d, names, "tty-exec", [], IDLE);
  const r = await runInPty(d.dockerArgv(["exec", "-it", "tty-exec", "sh"]), {
    rows: 30,
    cols: 100,
    timeout: 30,
    env: d.env,
    steps: SESSION,
  });
  checkSession(c, "docker exec -it", r);
  c.done();
});

scenario("pause and unpause freeze the container", async (d, names) => {
  const c = new Checks();
  const share = d.share("pause");
  const { id, pid } = await runDetached(d, names, "pause", shareMount(share), [
    "sh",
    "-c",
    "i=0; while :; do i=$((i+1)); echo $i >/share/count; sleep 0.05; done",
  ]);
  assert(await eventually(() => exists(`${share}/count`)), "the counter did not start");
  const freezer = cgroupDirOf(pid, "freezer");
  c.code(await d.docker(["pause", "pause"]), 0, "docker pause");
  c.equal(readText(`${freezer}/freezer.state`).trim(), "FROZEN", "freezer.state after pause");
  c.equal(await inspect(d, "pause", "{{.State.Status}}"), "paused", "docker's status");
  const before = readText(`${share}/count`);
  await sleep(500);
  c.equal(readText(`${share}/count`), before, "the counter moved while paused");
  c.code(await d.docker(["unpause", "pause"]), 0, "docker unpause");
  c.equal(readText(`${freezer}/freezer.state`).trim(), "THAWED", "freezer.state after unpause");
  c.ok(
    await eventually(() => readText(`${share}/count`) !== before, 3000),
    "the counter did not move after unpause",
  );
  const commands = d.commandsFor(id);
  c.ok(commands.includes("pause") && commands.includes("resume"), JSON.stringify(commands));
  c.done();
});

scenario("docker top lists the container's processes", async (d, names) => {
  const c = new Checks();
  const { id, pid } = await runDetached(d, names, "top", [], [
    "sh",
    "-c",
    "sleep 600 & wait",
  ]);
  await sleep(300);
  const r = await d.docker(["top", "top", "-o", "pid,args"]);
  if (c.code(r, 0, "docker top")) {
    c.ok(new RegExp(`^\\s*${pid}\\s+sh -c sleep 600`, "m").test(r.stdout), `no init: ${r.stdout}`);
    c.ok(/^\s*\d+\s+sleep 600$/m.test(r.stdout), `no sleep: ${r.stdout}`);
    c.equal(r.stdout.trim().split("\n").length, 3, "header + 2 processes");
  }
  c.ok(d.commandsFor(id).includes("ps --format json"), JSON.stringify(d.commandsFor(id)));
  c.done();
});

scenario("docker stats --no-stream reads the container's cgroups", async (d, names) => {
  const c = new Checks();
  await runDetached(d, names, "stats", [], ["sh", "-c", "sleep 600 & sleep 600 & wait"]);
  await sleep(300);
  const r = await d.docker([
    "stats",
    "--no-stream",
    "--format",
    "{{.Name}}|{{.PIDs}}|{{.MemUsage}}",
    "stats",
  ]);
  if (c.code(r, 0, "docker stats")) {
    const [name, pids, mem] = r.stdout.trim().split("|");
    c.equal(name, "stats", "name");
    c.equal(pids, "3", "pids (sh + 2 sleep)");
    c.ok(mem && !mem.startsWith("0B"), `memory usage: ${mem}`);
  }
  c.done();
});

scenario("docker update --memory 64m reaches the container's memory cgroup", async (d, names) => {
  const c = new Checks();
  const share = d.share("update");
  const { id, pid } = await runDetached(d, names, "update", shareMount(share), [
    "sh",
    "-c",
    "while :; do cat /sys/fs/cgroup/memory/memory.limit_in_bytes >/share/limit.new; " +
    "mv /share/limit.new /share/limit; sleep 0.1; done",
  ]);
  const memory = cgroupDirOf(pid, "memory");
  const r = await d.docker(["update", "--memory", "64m", "--memory-swap", "128m", "update"]);
  if (c.code(r, 0, "docker update")) {
    c.equal(readText(`${memory}/memory.limit_in_bytes`).trim(), "67108864", "host view");
    if (exists(`${memory}/memory.memsw.limit_in_bytes`)) {
      c.equal(readText(`${memory}/memory.memsw.limit_in_bytes`).trim(), "134217728", "memsw");
    }
    c.ok(
      await eventually(() => readText(`${share}/limit`).trim() === "67108864", 3000),
      `the container's own view: ${readText(`${share}/limit`).trim()}`,
    );
    c.equal(await inspect(d, "update", "{{.HostConfig.Memory}}"), "67108864", "docker's view");
  }
  c.ok(
    d.commandsFor(id).some((x) => x.startsWith("update")),
    JSON.stringify(d.commandsFor(id)),
  );
  c.done();
});

scenario("docker kill -s USR1 reaches the init; docker kill ends it", async (d, names) => {
  const c = new Checks();
  const share = d.share("kill");
  const { id, pid } = await runDetached(d, names, "kill", shareMount(share), [
    "sh",
    "-c",
    'trap "echo USR1 >>/share/usr1" USR1; echo up >/share/up; while :; do sleep 0.1; done',
  ]);
  assert(await eventually(() => exists(`${share}/up`)), "the container did not start");
  c.code(await d.docker(["kill", "-s", "USR1", "kill"]), 0, "docker kill -s USR1");
  c.ok(
    await eventually(() => readText(`${share}/usr1`) === "USR1\n", 3000),
    `the trap wrote ${JSON.stringify(readText(`${share}/usr1`))}`,
  );
  c.equal(await inspect(d, "kill", "{{.State.Running}}"), "true", "running after USR1");
  c.code(await d.docker(["kill", "kill"]), 0, "docker kill");
  c.ok(await eventually(() => !alive(pid), 5000), "the init survived docker kill");
  c.ok(
    await eventually(async () => (await inspect(d, "kill", "{{.State.ExitCode}}")) === "137"),
    "exit code after docker kill",
  );
  const kills = d.commandsFor(id).filter((x) => x.startsWith("kill"));
  c.equal(kills.slice(0, 2), ["kill 10", "kill 9"], "the signals tsrunc was asked to send");
  c.done();
});

scenario("a stopped container starts again (docker start)", async (d, names) => {
  const c = new Checks();
  const share = d.share("start");
  const first = await runDetached(d, names, "again", shareMount(share), [
    "sh",
    "-c",
    'trap "exit 0" TERM; echo start >>/share/starts; while :; do sleep 0.1; done',
  ]);
  assert(await eventually(() => readText(`${share}/starts`) === "start\n"), "first start");
  c.code(await d.docker(["stop", "-t", "5", "again"]), 0, "docker stop");
  c.code(await d.docker(["start", "again"]), 0, "docker start");
  c.ok(
    await eventually(() => readText(`${share}/starts`) === "start\nstart\n", 5000),
    `starts: ${JSON.stringify(readText(`${share}/starts`))}`,
  );
  c.equal(await inspect(d, "again", "{{.State.Running}}"), "true", "running after start");
  const pid = Number(await inspect(d, "again", "{{.State.Pid}}"));
  c.ok(pid > 0 && pid !== first.pid && alive(pid), `new init pid ${pid} (first ${first.pid})`);
  const commands = d.commandsFor(first.id).map((x) => x.split(" ")[0]);
  c.equal(commands.filter((x) => x === "create").length, 2, `creates in ${commands}`);
  c.equal(commands.filter((x) => x === "start").length, 2, `starts in ${commands}`);
  c.done();
});

scenario("dockerd restart with --live-restore keeps the container", async (d, names) => {
  const c = new Checks();
  const share = d.share("live");
  const { id, pid } = await runDetached(d, names, "live", shareMount(share), [
    "sh",
    "-c",
    'trap "echo TERM >/share/marker; exit 0" TERM; while :; do sleep 0.1; done',
  ]);
  const t0 = Date.now();
  await d.stopDockerd();
  const stopped = Date.now();
  c.ok(alive(pid), "the container's init died with dockerd");
  const state = new Deno.Command(TSRUNC, {
    args: ["--root", d.stateRoot()!, "state", id],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  c.ok(
    state.success && JSON.parse(new TextDecoder().decode(state.stdout)).status === "running",
    `tsrunc state while dockerd is down: ${new TextDecoder().decode(state.stdout)}` +
      new TextDecoder().decode(state.stderr),
  );
  await d.startDockerd();
  console.log(`dockerd stopped in ${stopped - t0} ms, started again in ${Date.now() - stopped} ms`);
  c.equal(await inspect(d, "live", "{{.State.Running}} {{.State.Pid}}"), `true ${pid}`, "after");
  const ex = await d.docker(["exec", "live", "sh", "-c", "echo live-exec"]);
  if (c.code(ex, 0, "docker exec after the restart")) c.equal(ex.stdout, "live-exec\n", "output");
  c.code(await d.docker(["stop", "-t", "10", "live"]), 0, "docker stop after the restart");
  c.equal(readText(`${share}/marker`), "TERM\n", "what the TERM trap wrote");
  c.ok(!alive(pid), "the init survived docker stop");
  c.done();
});

scenario(
  "a failing create shows tsrunc's error (missing program, not executable, mount)",
  async (d, names) => {
    const c = new Checks();
    // Docker turns a runtime error into exit status 127 (program not found: the message
    // has "no such file or directory" or "executable file not found") or 126 ("permission
    // denied"), as it does with runc; else 125.
    const cases: [string, string[], string[], number, RegExp][] = [
      ["bad-missing", [], ["/nosuch-program-xyz"], 127, /\/nosuch-program-xyz/],
      ["bad-path", [], ["nosuch-program-xyz"], 127, /nosuch-program-xyz/],
      ["bad-noexec", [], ["/etc/passwd"], 126, /\/etc\/passwd/],
      [
        "bad-mount",
        ["--mount", "type=bind,src=/etc/hostname,dst=/etc"],
        ["true"],
        125,
        /not a directory/,
      ],
    ];
    for (const [name, opts, args, code, pattern] of cases) {
      names.push(name);
      const r = await d.docker(["run", "--name", name, ...RT, ...opts, IMAGE, ...args]);
      c.code(r, code, `${name}: docker run ${[...opts, ...args].join(" ")}`);
      c.ok(
        /OCI runtime create failed/.test(r.stderr) && pattern.test(r.stderr),
        `${name}: docker's stderr lacks the runtime's error (${pattern}): ${r.stderr.trim()}`,
      );
      const id = await inspect(d, name, "{{.Id}}");
      const commands = d.commandsFor(id).map((x) => x.split(" ")[0]);
      c.ok(commands[0] === "create" && commands.includes("delete"), `${name}: ${commands}`);
      c.ok(!exists(stateDir(d, id)), `${name}: tsrunc state left after the failed create`);
      c.ok(
        !exists(v1Dir("memory", `${d.cgroupParent}/${id}`)),
        `${name}: memory cgroup left after the failed create`,
      );
    }
    c.done();
  },
);

scenario("--network none: Docker's prestart hook (libnetwork-setkey) runs", async (d) => {
  const r = await d.docker([
    "run",
    "--rm",
    "--network",
    "none",
    ...RT,
    IMAGE,
    "sh",
    "-c",
    "ls /sys/class/net",
  ]);
  assertEquals(r.code, 0, `docker run --network none failed: ${r.stderr.trim()}`);
  assertEquals(r.stdout, "lo\n");
});

scenario("docker info reports tsrunc's version (tsrunc --version)", async (d) => {
  const r = await d.docker(["info", "--format", "{{json .}}"]);
  assertEquals(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assertEquals(info.DefaultRuntime, "tsrunc");
  assertEquals(info.Runtimes.tsrunc.path, `${d.dir}/tsrunc`);
  const version = new TextDecoder().decode(
    new Deno.Command(TSRUNC, { args: ["--version"], stdout: "piped" }).outputSync().stdout,
  );
  const commit = /^commit: (.*)$/m.exec(version)?.[1];
  assert(commit, `tsrunc --version has no commit line: ${version}`);
  assertEquals(info.RuncCommit.ID, commit, "docker's runc commit (from tsrunc --version)");
  assert(d.calls().some((x) => x.args.includes("--version")), "no tsrunc --version call");
});

scenario("reference: runc passes the same checks under this daemon", async (d, names) => {
  // The expectations above are Docker's with runc, not guesses: the same daemon with
  // runtime runc-ref (/usr/sbin/runc through the same kind of wrapper).
  const c = new Checks();
  const ref = ["--runtime", "runc-ref"];
  const none = await d.docker([
    "run",
    "--rm",
    "--network",
    "none",
    ...ref,
    IMAGE,
    "ls",
    "/sys/class/net",
  ]);
  c.code(none, 0, "runc: --network none");
  names.push("ref-missing");
  c.code(
    await d.docker(["run", "--name", "ref-missing", ...ref, IMAGE, "/nosuch-program-xyz"]),
    127,
    "runc: missing program",
  );
  names.push("ref-idle");
  const r = await d.docker(["run", "-d", "--name", "ref-idle", ...ref, IMAGE, ...IDLE]);
  c.code(r, 0, "runc: run -d");
  c.code(await d.docker(["exec", "ref-idle", "sh", "-c", "exit 7"]), 7, "runc: docker exec");
  const pty = await runInPty(d.dockerArgv(["exec", "-it", "ref-idle", "sh"]), {
    rows: 30,
    cols: 100,
    timeout: 30,
    env: d.env,
    steps: SESSION,
  });
  checkSession(c, "runc: docker exec -it", pty);
  c.done();
});

Deno.test({
  name: "docker: the daemon stops and leaves nothing behind",
  ignore: SKIP !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const d = await ready();
    const c = new Checks();
    const ps = await d.docker(["ps", "-aq"]);
    const ids = ps.stdout.split("\n").filter(Boolean);
    if (ids.length) c.code(await d.docker(["rm", "-f", ...ids]), 0, "docker rm -f (leftovers)");
    const root = d.stateRoot();
    const state = root && exists(root) ? [...Deno.readDirSync(root)].map((e) => e.name) : [];
    c.equal(state, [], "tsrunc state directories after docker rm -f of every container");
    summarize(d);
    await d.stopDockerd();
    d.cleanup();
    c.equal(d.leftovers(), [], "left behind");
    c.done();
  },
});

/** Print the distinct runtime calls (ids and paths replaced) for the record. */
function summarize(d: DockerDaemon): void {
  for (const runtime of ["tsrunc", "runc"] as const) summarizeCalls(d, runtime);
}

function summarizeCalls(d: DockerDaemon, runtime: "tsrunc" | "runc"): void {
  const shapes = new Map<string, number>();
  for (const call of d.calls(runtime)) {
    const shape = call.args.map((a) =>
      a.replaceAll(d.dir, "$T")
        .replace(/[0-9a-f]{64}/g, "<id>")
        .replace(/\/tmp\/runc-process\d+/, "/tmp/runc-process<N>")
        .replace(/\/tmp\/pty\d+\//, "/tmp/pty<N>/")
    ).join(" ");
    const key = `${call.caller}: ${shape}`;
    shapes.set(key, (shapes.get(key) ?? 0) + 1);
  }
  console.log(`${runtime} calls (count, caller: arguments; $T = ${d.dir}):`);
  for (const [shape, n] of shapes) console.log(`  ${String(n).padStart(3)}  ${shape}`);
}

/**
 * The container's process: argv, env, cwd, user and groups, umask, HOME, capabilities,
 * no_new_privs, rlimits, oom_score_adj, I/O priority, scheduler, personality, CPU
 * affinity, session keyring, file descriptors and stdio. Each check reads what the
 * process itself sees (/proc/self/status, id, ulimit...) or, for attributes busybox
 * cannot show, what the host sees of the running container.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertStringIncludes,
} from "./_assert.ts";
import {
  type Bundle,
  hasCommand,
  IS_ROOT,
  type Result,
  sh,
  sleep,
  startSleeper,
  tsruncCommand,
  uniqueId,
  withBundle,
} from "./_helpers.ts";
import { CAPABILITIES } from "../../core/plan/tables.ts";

/** Run a container to completion and insist it succeeded. */
async function runOk(b: Bundle, extra: string[] = [], stdin?: string): Promise<Result> {
  b.save();
  const r = await b.run(["run", ...extra, uniqueId("proc")], { stdin });
  assertEquals(r.code, 0, `tsrunc run failed (stdout ${JSON.stringify(r.stdout)}): ${r.stderr}`);
  return r;
}

/**
 * Run `tsrunc --root <root> <args...>` from bash after a bash prelude (open fds, set the
 * oom score, redirect): what a shell or a supervisor would do before starting a container.
 */
async function runFromShell(b: Bundle, prelude: string, args: string[]): Promise<Result> {
  b.save();
  const out = await new Deno.Command("bash", {
    args: ["-c", `${prelude}\nexec "$@"`, "bash", ...tsruncCommand(), "--root", b.root, ...args],
    cwd: b.dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The lines of /proc/self/status as a map. */
function parseStatus(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf(":");
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return out;
}

/** The 16-hex-digit mask /proc/self/status shows for a list of capability names. */
function capHex(names: string[]): string {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITIES.indexOf(name);
    assert(bit >= 0, `unknown capability ${name}`);
    mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, "0");
}

function hostCommand(cmd: string, ...args: string[]): string {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  const dec = new TextDecoder();
  assert(out.success, `${cmd} ${args.join(" ")}: ${dec.decode(out.stderr)}`);
  return dec.decode(out.stdout);
}

// --- args, env, cwd ----------------------------------------------------------------------

Deno.test({
  name: "args, env and cwd reach the process",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle([
      "sh",
      "-c",
      'echo "$0|$1|$2"; echo "$FOO|$EMPTY|$SPACED"; pwd',
      "zero",
      "one",
      "two words",
    ], async (b) => {
      Deno.mkdirSync(`${b.rootfs}/work/dir`, { recursive: true });
      b.config.process.env.push("FOO=bar", "EMPTY=", "SPACED=a b  c");
      b.config.process.cwd = "/work/dir";
      assertEquals((await runOk(b)).stdout, "zero|one|two words\nbar||a b  c\n/work/dir\n");
    }),
});

Deno.test({
  name: "the environment is exactly the config's (plus HOME)",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["env"], async (b) => {
      b.config.process.env = ["PATH=/bin", "A=1"];
      const lines = (await runOk(b)).stdout.trim().split("\n").sort();
      assertEquals(lines, ["A=1", "HOME=/root", "PATH=/bin"]);
    }),
});

Deno.test({
  name: "a missing cwd is created, as runc does",
  fn: async () => {
    for (const readonly of [false, true]) {
      await withBundle(["pwd"], async (b) => {
        b.config.root.readonly = readonly;
        b.config.process.cwd = "/not/yet/there";
        assertEquals((await runOk(b)).stdout, "/not/yet/there\n");
      });
    }
  },
});

Deno.test({
  name: "the exit status of the process is tsrunc run's",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("exit 7"), async (b) => {
      b.save();
      assertEquals((await b.run(["run", uniqueId("proc")])).code, 7);
    }),
});

Deno.test({
  name: "a process killed by signal N makes tsrunc run exit 128+N",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sleep", "600"], async (b) => {
      b.save();
      const id = uniqueId("proc");
      const running = b.run(["run", id]);
      // pid 1 of a pid namespace ignores SIGKILL from inside: kill it from the host.
      let pid = 0;
      for (let i = 0; i < 100 && pid === 0; i++) {
        const state = await b.run(["state", id]);
        if (state.code === 0 && JSON.parse(state.stdout).status === "running") {
          pid = JSON.parse(state.stdout).pid;
        } else await sleep(50);
      }
      assert(pid > 0, "the container never ran");
      Deno.kill(pid, "SIGKILL");
      assertEquals((await running).code, 137);
    }),
});

// --- user --------------------------------------------------------------------------------

Deno.test({
  name: "user uid, gid and additionalGids are what id and /proc/self/status show",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("id; cat /proc/self/status"), async (b) => {
      b.config.process.user = { uid: 1000, gid: 1000, additionalGids: [5, 65534] };
      const out = (await runOk(b)).stdout;
      const [id, ...rest] = out.split("\n");
      assertEquals(id, "uid=1000(user) gid=1000(user) groups=5,65534(nogroup)");
      const status = parseStatus(rest.join("\n"));
      assertEquals(status.get("Uid"), "1000\t1000\t1000\t1000");
      assertEquals(status.get("Gid"), "1000\t1000\t1000\t1000");
      assertEquals(status.get("Groups"), "5 65534");
    }),
});

Deno.test({
  name: "a user without additionalGids has no supplementary groups",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/status"], async (b) => {
      b.config.process.user = { uid: 1234, gid: 4321 };
      const status = parseStatus((await runOk(b)).stdout);
      assertEquals(status.get("Uid"), "1234\t1234\t1234\t1234");
      assertEquals(status.get("Gid"), "4321\t4321\t4321\t4321");
      assertEquals(status.get("Groups"), "");
    }),
});

Deno.test({
  name: "umask applies to files the process creates",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("umask; touch /tmp/f; mkdir /tmp/d; stat -c %a /tmp/f /tmp/d"), async (b) => {
      b.config.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs" });
      b.config.process.user.umask = 0o027;
      assertEquals((await runOk(b)).stdout, "0027\n640\n750\n");
    }),
});

Deno.test({
  name: "the default umask is 0022",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("umask"), async (b) => {
      assertEquals((await runOk(b)).stdout, "0022\n");
    }),
});

Deno.test({
  name: "HOME comes from /etc/passwd when the env has none, else the env's",
  ignore: !IS_ROOT,
  fn: async () => {
    await withBundle(sh('echo "$HOME"'), async (b) => {
      assertEquals((await runOk(b)).stdout, "/root\n");
    });
    await withBundle(sh('echo "$HOME"'), async (b) => {
      b.config.process.user = { uid: 1000, gid: 1000 };
      assertEquals((await runOk(b)).stdout, "/home/user\n");
    });
    await withBundle(sh('echo "$HOME"'), async (b) => {
      b.config.process.user = { uid: 4242, gid: 4242 };
      assertEquals((await runOk(b)).stdout, "/\n");
    });
    await withBundle(sh('echo "$HOME"'), async (b) => {
      b.config.process.env.push("HOME=/elsewhere");
      assertEquals((await runOk(b)).stdout, "/elsewhere\n");
    });
  },
});

// --- capabilities, no_new_privs ------------------------------------------------------------

Deno.test({
  name: "capability sets of root match the config",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/status"], async (b) => {
      const bounding = [
        "CAP_CHOWN",
        "CAP_KILL",
        "CAP_SETUID",
        "CAP_NET_BIND_SERVICE",
        "CAP_AUDIT_WRITE",
      ];
      b.config.process.capabilities = {
        bounding,
        effective: bounding,
        permitted: bounding,
        inheritable: ["CAP_KILL"],
        ambient: ["CAP_KILL"],
      };
      const status = parseStatus((await runOk(b)).stdout);
      assertEquals(status.get("CapBnd"), capHex(bounding));
      // Root's execve gives permitted = effective = bounding | inheritable.
      assertEquals(status.get("CapPrm"), capHex(bounding));
      assertEquals(status.get("CapEff"), capHex(bounding));
      assertEquals(status.get("CapInh"), capHex(["CAP_KILL"]));
      assertEquals(status.get("CapAmb"), capHex(["CAP_KILL"]));
    }),
});

Deno.test({
  name: "the default config's capabilities are runc's",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/status"], async (b) => {
      const three = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
      const status = parseStatus((await runOk(b)).stdout);
      assertEquals(status.get("CapBnd"), capHex(three));
      assertEquals(status.get("CapPrm"), capHex(three));
      assertEquals(status.get("CapEff"), capHex(three));
      assertEquals(status.get("CapInh"), capHex([]));
      // runc 1.1.5 shows the same: ambient caps not in the inheritable set cannot be raised.
      assertEquals(status.get("CapAmb"), capHex([]));
    }),
});

Deno.test({
  name: "a non-root user keeps its ambient capabilities across execve",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/status"], async (b) => {
      const all = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
      b.config.process.user = { uid: 1000, gid: 1000 };
      b.config.process.capabilities = {
        bounding: all,
        effective: all,
        permitted: all,
        inheritable: ["CAP_NET_BIND_SERVICE", "CAP_KILL"],
        ambient: ["CAP_NET_BIND_SERVICE"],
      };
      const status = parseStatus((await runOk(b)).stdout);
      assertEquals(status.get("Uid"), "1000\t1000\t1000\t1000");
      assertEquals(status.get("CapBnd"), capHex(all));
      assertEquals(status.get("CapInh"), capHex(["CAP_NET_BIND_SERVICE", "CAP_KILL"]));
      // A non-root execve keeps only the ambient set in permitted and effective.
      assertEquals(status.get("CapAmb"), capHex(["CAP_NET_BIND_SERVICE"]));
      assertEquals(status.get("CapPrm"), capHex(["CAP_NET_BIND_SERVICE"]));
      assertEquals(status.get("CapEff"), capHex(["CAP_NET_BIND_SERVICE"]));
    }),
});

Deno.test({
  name: "a non-root user without ambient capabilities has none after execve",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/status"], async (b) => {
      b.config.process.user = { uid: 1000, gid: 1000 };
      delete b.config.process.capabilities.ambient;
      const status = parseStatus((await runOk(b)).stdout);
      assertEquals(status.get("CapPrm"), capHex([]));
      assertEquals(status.get("CapEff"), capHex([]));
      assertEquals(status.get("CapAmb"), capHex([]));
      assertEquals(
        status.get("CapBnd"),
        capHex(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]),
      );
    }),
});

Deno.test({
  name: "an unknown capability is a warning, not an error",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/status"], async (b) => {
      b.config.process.capabilities.bounding.push("CAP_NOT_A_THING");
      const r = await runOk(b);
      assertStringIncludes(r.stderr, "CAP_NOT_A_THING");
      assertEquals(
        parseStatus(r.stdout).get("CapBnd"),
        capHex(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]),
      );
    }),
});

Deno.test({
  name: "noNewPrivileges sets NoNewPrivs; without it NoNewPrivs is 0",
  ignore: !IS_ROOT,
  fn: async () => {
    for (const [value, expected] of [[true, "1"], [false, "0"], [undefined, "0"]] as const) {
      await withBundle(["cat", "/proc/self/status"], async (b) => {
        if (value === undefined) delete b.config.process.noNewPrivileges;
        else b.config.process.noNewPrivileges = value;
        assertEquals(
          parseStatus((await runOk(b)).stdout).get("NoNewPrivs"),
          expected,
          String(value),
        );
      });
    }
  },
});

// --- rlimits, oom score, scheduling --------------------------------------------------------

Deno.test({
  name: "rlimits are set: RLIMIT_NOFILE soft and hard, RLIMIT_CORE unlimited",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh("ulimit -n; ulimit -Hn; ulimit -c; grep -E 'open files|core file' /proc/self/limits"),
      async (b) => {
        b.config.process.rlimits = [
          { type: "RLIMIT_NOFILE", soft: 512, hard: 2048 },
          { type: "RLIMIT_CORE", soft: 424242, hard: 424242 },
        ];
        b.save();
        // 2^64-1 cannot be written exactly from a JS number: patch the JSON text.
        const path = `${b.dir}/config.json`;
        Deno.writeTextFileSync(
          path,
          Deno.readTextFileSync(path).replaceAll("424242", "18446744073709551615"),
        );
        const r = await b.run(["run", uniqueId("proc")]);
        assertEquals(r.code, 0, r.stderr);
        const lines = r.stdout.trim().split("\n");
        assertEquals(lines.slice(0, 3), ["512", "2048", "unlimited"]);
        assertMatch(lines.join("\n"), /Max core file size\s+unlimited\s+unlimited/);
        assertMatch(lines.join("\n"), /Max open files\s+512\s+2048/);
      },
    ),
});

Deno.test({
  name: "oomScoreAdj raises /proc/self/oom_score_adj",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/oom_score_adj"], async (b) => {
      // Raising needs no privilege; lowering below the current value needs
      // CAP_SYS_RESOURCE, which this machine's root lacks.
      b.config.process.oomScoreAdj = 500;
      assertEquals((await runOk(b)).stdout, "500\n");
    }),
});

Deno.test({
  name: "without oomScoreAdj the process keeps its parent's oom_score_adj",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/oom_score_adj"], async (b) => {
      const r = await runFromShell(b, "echo 123 > /proc/self/oom_score_adj", [
        "run",
        uniqueId("proc"),
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, "123\n");
    }),
});

Deno.test({
  name: "ioPriority sets the process's I/O class and priority",
  ignore: !IS_ROOT || !hasCommand("ionice"),
  fn: () =>
    withBundle([], async (b) => {
      b.config.process.ioPriority = { class: "IOPRIO_CLASS_BE", priority: 6 };
      const pid = await startSleeper(b, uniqueId("proc"));
      assertEquals(hostCommand("ionice", "-p", String(pid)).trim(), "best-effort: prio 6");
    }),
});

Deno.test({
  name: "ioPriority IDLE shows as idle",
  ignore: !IS_ROOT || !hasCommand("ionice"),
  fn: () =>
    withBundle([], async (b) => {
      b.config.process.ioPriority = { class: "IOPRIO_CLASS_IDLE", priority: 0 };
      const pid = await startSleeper(b, uniqueId("proc"));
      assertEquals(hostCommand("ionice", "-p", String(pid)).trim(), "idle");
    }),
});

Deno.test({
  name: "scheduler SCHED_BATCH with a nice value applies to the process",
  ignore: !IS_ROOT || !hasCommand("chrt"),
  fn: () =>
    withBundle([], async (b) => {
      b.config.process.scheduler = { policy: "SCHED_BATCH", nice: 5 };
      const pid = await startSleeper(b, uniqueId("proc"));
      assertMatch(hostCommand("chrt", "-p", String(pid)), /scheduling policy: SCHED_BATCH/);
      // /proc/PID/stat: field 19 is nice, field 41 the policy (3 = SCHED_BATCH).
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      assertEquals(fields[19 - 3], "5");
      assertEquals(fields[41 - 3], "3");
    }),
});

Deno.test({
  name: "scheduler policy is visible inside the container too",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/stat"], async (b) => {
      b.config.process.scheduler = { policy: "SCHED_IDLE" };
      const stat = (await runOk(b)).stdout;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      assertEquals(fields[41 - 3], "5");
    }),
});

Deno.test({
  name: "personality LINUX32 makes uname -m say i686",
  ignore: !IS_ROOT || Deno.build.arch !== "x86_64",
  fn: () =>
    withBundle(["uname", "-m"], async (b) => {
      b.config.linux.personality = { domain: "LINUX32" };
      assertEquals((await runOk(b)).stdout, "i686\n");
    }),
});

Deno.test({
  name: "personality LINUX leaves uname -m alone",
  ignore: !IS_ROOT || Deno.build.arch !== "x86_64",
  fn: () =>
    withBundle(["uname", "-m"], async (b) => {
      b.config.linux.personality = { domain: "LINUX" };
      assertEquals((await runOk(b)).stdout, "x86_64\n");
    }),
});

Deno.test({
  name: "execCPUAffinity.final pins the process to the listed CPUs",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["grep", "Cpus_allowed_list", "/proc/self/status"], async (b) => {
      b.config.process.execCPUAffinity = { final: "0" };
      assertMatch((await runOk(b)).stdout, /^Cpus_allowed_list:\s+0\n$/);
    }),
});

Deno.test({
  name: "without execCPUAffinity the process may run on the host's CPUs",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["grep", "Cpus_allowed_list", "/proc/self/status"], async (b) => {
      const host = parseStatus(Deno.readTextFileSync("/proc/self/status")).get("Cpus_allowed_list");
      assertEquals((await runOk(b)).stdout.split(":")[1].trim(), host);
    }),
});

// --- keyring -------------------------------------------------------------------------------

/** /proc/keys is masked by default: unmask it to see the session keyring. */
function unmaskKeys(b: Bundle): void {
  b.config.linux.maskedPaths = b.config.linux.maskedPaths.filter((p: string) => p !== "/proc/keys");
}

/** /proc/keys lines naming a keyring after the container id. */
function keyringsOf(keys: string, id: string): string[] {
  return keys.split("\n").filter((l) => / keyring /.test(l) && l.includes(id));
}

Deno.test({
  name: "the process gets a new session keyring named after the container",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/keys"], async (b) => {
      unmaskKeys(b);
      b.save();
      const id = uniqueId("keyring");
      const r = await b.run(["run", id]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(keyringsOf(r.stdout, id).length, 1, r.stdout);
    }),
});

Deno.test({
  name: "the session keyring is runc's: _ses.<id> with user search permission",
  fn: () =>
    withBundle(["cat", "/proc/keys"], async (b) => {
      unmaskKeys(b);
      b.save();
      const id = uniqueId("keyring");
      const r = await b.run(["run", id]);
      assertEquals(r.code, 0, r.stderr);
      const [line] = keyringsOf(r.stdout, id);
      assertMatch(line, new RegExp(` perm 3f1b0000 .* keyring +_ses\\.${id}: `));
    }),
});

Deno.test({
  name: "--no-new-keyring keeps the caller's session keyring",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/keys"], async (b) => {
      unmaskKeys(b);
      b.save();
      const id = uniqueId("keyring");
      const r = await b.run(["run", "--no-new-keyring", id]);
      assertEquals(r.code, 0, r.stderr);
      assert(!r.stdout.includes(id), r.stdout);
    }),
});

// --- file descriptors and stdio -----------------------------------------------------------

Deno.test({
  name: "no host file descriptors leak into the container",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["ls", "/proc/self/fd"], async (b) => {
      // bash opens fds 7 and 9 before exec'ing tsrunc: neither may reach the container.
      const r = await runFromShell(b, "exec 7</etc/hostname 9>/dev/null", [
        "run",
        uniqueId("proc"),
      ]);
      assertEquals(r.code, 0, r.stderr);
      // 0 1 2 and the directory ls is reading.
      assertEquals(r.stdout.trim().split(/\s+/).map(Number).sort((a, b) => a - b), [0, 1, 2, 3]);
    }),
});

Deno.test({
  name: "--preserve-fds 1 passes fd 3 to the process",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("cat /proc/self/fd/3; ls /proc/self/fd | wc -l"), async (b) => {
      const marker = `${b.dir}/fd3-content`;
      Deno.writeTextFileSync(marker, "through fd 3\n");
      const r = await runFromShell(b, `exec 3<${marker} 4</etc/hostname`, [
        "run",
        "--preserve-fds",
        "1",
        uniqueId("proc"),
      ]);
      assertEquals(r.code, 0, r.stderr);
      const [content, count] = r.stdout.trim().split("\n");
      assertEquals(content, "through fd 3");
      // 0 1 2 3 and ls's own directory fd; fd 4 was not preserved.
      assertEquals(count.trim(), "5");
    }),
});

Deno.test({
  name: "stdin reaches the process and its stdout comes back",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat"], async (b) => {
      assertEquals((await runOk(b, [], "hi\nthere\n")).stdout, "hi\nthere\n");
    }),
});

Deno.test({
  name: "stdout and stderr redirected to files get the process's output",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("echo out; echo err >&2"), async (b) => {
      const out = `${b.dir}/out.txt`;
      const err = `${b.dir}/err.txt`;
      const r = await runFromShell(b, `exec >${out} 2>${err}`, ["run", uniqueId("proc")]);
      assertEquals(r.code, 0, Deno.readTextFileSync(err));
      assertEquals(Deno.readTextFileSync(out), "out\n");
      assertEquals(Deno.readTextFileSync(err), "err\n");
    }),
});

Deno.test({
  name: "a program that is not found fails create with a clear error",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["no-such-program"], async (b) => {
      b.save();
      const r = await b.run(["run", uniqueId("proc")]);
      assertNotEquals(r.code, 0);
      assertStringIncludes(r.stderr, "no-such-program");
      assertEquals((await b.run(["list", "-q"])).stdout.trim(), "");
    }),
});

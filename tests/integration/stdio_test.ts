/**
 * Stdio without a terminal, signal forwarding by a foreground `run`, the file
 * descriptors a container gets (--preserve-fds, LISTEN_FDS) and NOTIFY_SOCKET.
 *
 * Every expectation was checked against runc 1.1.5 (TSRUNC=/usr/sbin/runc). What runc
 * does, for the record:
 *
 * - Foreground `run` without a terminal gives the container three pipes and copies
 *   between them and its own stdio (runc's setupProcessPipes), whatever its own stdio
 *   is: inside, /proc/self/fd/{0,1,2} are "pipe:[N]" even when runc's stdout is a file.
 *   It exits only after both output pipes reached EOF, so no output is lost.
 * - `run -d` and `create` pass their own stdio to the container as they are: inside,
 *   readlink /proc/self/fd/1 shows the host path of the file.
 * - Every signal sent to a foreground `run` (SIGTERM, SIGINT, SIGHUP, SIGUSR1...) is
 *   forwarded to the container's init; run exits with the init's status and deletes the
 *   container.
 * - fds 3 and up are closed unless passed: --preserve-fds N passes 3..3+N-1. With
 *   LISTEN_FDS=N and LISTEN_PID=<runc's own pid>, fds 3..3+N-1 are passed as well and
 *   the process gets LISTEN_FDS=N and LISTEN_PID=1 appended to its env (LISTEN_FDNAMES is
 *   not passed on); --preserve-fds then counts from 3+N. A LISTEN_PID of another process
 *   is ignored: no fd, no LISTEN_* in the env.
 * - NOTIFY_SOCKET=<host path> for run -d: runc binds <root>/<id>/notify/notify.sock
 *   (mode 0777), bind-mounts <root>/<id>/notify read-only (nosuid,nodev,noexec) at
 *   /run/notify (creating /run/notify in the rootfs) and sets
 *   NOTIFY_SOCKET=/run/notify/notify.sock in the process env. run -d returns only after
 *   a datagram starting with "READY=" arrived; it then sends two datagrams to the host
 *   socket, "READY=1\n" and "MAINPID=<host pid of the init>\n". (runc 1.1.5 only looks
 *   at datagrams that start with "READY=", and hangs, ignoring SIGTERM, when the init
 *   exits without READY because it polls /proc/<pid> of its own unreaped child.)
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import {
  type Bundle,
  IS_ROOT,
  type Result,
  sh,
  tsruncCommand,
  uniqueId,
  waitFor,
  withBundle,
} from "./_helpers.ts";
import { notifySender, startNotifyListener } from "./_pty.ts";

/**
 * Run `tsrunc --root <root> <args...>` from bash after a prelude (open fds, export env,
 * redirect); the bash exec keeps its pid, so $$ in the prelude is the runtime's pid.
 */
async function fromShell(b: Bundle, prelude: string, args: string[]): Promise<Result> {
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

function fdList(text: string): number[] {
  return text.trim().split(/\s+/).filter(Boolean).map(Number).sort((x, y) => x - y);
}

async function containers(b: Bundle): Promise<string[]> {
  return (await b.run(["list", "-q"])).stdout.split("\n").filter(Boolean);
}

async function waitStopped(b: Bundle, id: string): Promise<void> {
  await waitFor(`${id} to stop`, async () => {
    const r = await b.run(["state", id]);
    return r.code === 0 && JSON.parse(r.stdout).status === "stopped";
  }, 10_000);
}

// --- stdio without a terminal -------------------------------------------------------------

Deno.test({
  name: "stdin piped into run reaches cat and comes back on stdout, EOF included",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat"], async (b) => {
      const r = await b.run(["run", uniqueId("stdio")], { stdin: "data\nmore data\n" });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout, "data\nmore data\n");
    }),
});

Deno.test({
  name: "a megabyte of stdin is delivered whole and its end is seen",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["wc", "-c"], async (b) => {
      const r = await b.run(["run", uniqueId("stdio")], { stdin: "x".repeat(1 << 20) });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.trim(), String(1 << 20));
    }),
});

Deno.test({
  name: "stdout and stderr stay separate and are complete when run exits",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("seq 1 20000; seq 1 500 >&2; echo last-out; echo last-err >&2"), async (b) => {
      const r = await b.run(["run", uniqueId("stdio")]);
      assertEquals(r.code, 0, r.stderr);
      const seq = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join("");
      assertEquals(r.stdout, `${seq(20000)}last-out\n`);
      assertEquals(r.stderr, `${seq(500)}last-err\n`);
    }),
});

Deno.test({
  name: "foreground run gives the container its own stdio as it is (a file stays a file)",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh("for i in 0 1 2; do readlink /proc/self/fd/$i; done; echo err >&2"),
      async (b) => {
        const out = `${b.dir}/out.txt`;
        const err = `${b.dir}/err.txt`;
        const r = await fromShell(b, `exec <${b.dir}/config.json >${out} 2>${err}`, [
          "run",
          uniqueId("stdio"),
        ]);
        assertEquals(r.code, 0, Deno.readTextFileSync(err));
        // runc copies through pipes of its own (setupProcessPipes); tsrunc deliberately
        // hands over its stdio (README: pipes stay pipes, files stay files), so the
        // container writes straight to the file and no copy can lag behind its exit.
        const links = Deno.readTextFileSync(out).trim().split("\n");
        assertEquals(links, [`${b.dir}/config.json`, out, err]);
        assertEquals(Deno.readTextFileSync(err), "err\n");
      },
    ),
});

Deno.test({
  name: "run -d and create/start hand their own stdio to the container as it is",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(
        "readlink /proc/self/fd/0; readlink /proc/self/fd/1; readlink /proc/self/fd/2; echo e >&2",
      ),
      async (b) => {
        const input = `${b.dir}/config.json`;
        for (const mode of ["run -d", "create"]) {
          const out = `${b.dir}/out-${mode[0]}.txt`;
          const err = `${b.dir}/err-${mode[0]}.txt`;
          const id = uniqueId("stdio");
          const args = mode === "create" ? ["create", id] : ["run", "-d", id];
          const r = await fromShell(b, `exec <${input} >${out} 2>${err}`, args);
          assertEquals(r.code, 0, Deno.readTextFileSync(err));
          if (mode === "create") {
            const start = await b.run(["start", id]);
            assertEquals(start.code, 0, start.stderr);
          }
          await waitStopped(b, id);
          assertEquals(Deno.readTextFileSync(out), `${input}\n${out}\n${err}\n`, mode);
          assertEquals(Deno.readTextFileSync(err), "e\n", mode);
          await b.run(["delete", id]);
        }
      },
    ),
});

// --- signal forwarding --------------------------------------------------------------------

const SIGNALS: [Deno.Signal, string, number][] = [
  ["SIGTERM", "TERM", 15],
  ["SIGINT", "INT", 2],
  ["SIGHUP", "HUP", 1],
  ["SIGUSR1", "USR1", 10],
];

/** A container that traps all four signals, says which one came and exits 100+signo. */
const TRAPPER = sh(
  SIGNALS.map(([, name, no]) => `trap 'echo got-${name}; exit ${100 + no}' ${name}; `).join("") +
    "echo ready; while :; do sleep 1 & wait $!; done",
);

/** Field 22 of /proc/PID/stat (start time), or undefined when PID is gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Read a stream into `text` as it comes; `cancel()` stops reading (and closes it). */
function collect(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const c = {
    text: "",
    ended: false,
    cancel: async () => {
      await reader.cancel().catch(() => {});
      await done;
    },
  };
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        c.text += decoder.decode(value, { stream: true });
      }
    } catch { /* cancelled */ }
    c.ended = true;
  })();
  return c;
}

for (const [signal, name, no] of SIGNALS) {
  Deno.test({
    name: `${signal} to a foreground run reaches the init; run exits with its status`,
    ignore: !IS_ROOT,
    fn: () =>
      withBundle(TRAPPER, async (b) => {
        b.save();
        const id = uniqueId("sig");
        const [cmd, ...pre] = tsruncCommand();
        const child = new Deno.Command(cmd, {
          args: [...pre, "--root", b.root, "run", id],
          cwd: b.dir,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const out = collect(child.stdout);
        const err = collect(child.stderr);
        let exited = false;
        const status = child.status.then((s) => {
          exited = true;
          return s;
        });
        try {
          await waitFor("the trap to be set", () => out.text.includes("ready\n") || exited, 10_000);
          if (exited) throw new Error(`run exited early: ${out.text}${err.text}`);
          const state = await b.run(["state", id]);
          assertEquals(state.code, 0, state.stderr);
          const pid: number = JSON.parse(state.stdout).pid;
          const started = startTime(pid);
          assert(started !== undefined, `init ${pid} is running`);

          child.kill(signal);
          await waitFor("run to exit after the signal", () => exited, 10_000);
          const s = await status;
          await waitFor("run's stdout and stderr to close", () => out.ended && err.ended, 5000);
          assertEquals(out.text, `ready\ngot-${name}\n`, err.text);
          assertEquals(s.code, 100 + no, `run exits with the init's status: ${err.text}`);
          assert(startTime(pid) !== started, `init ${pid} is gone`);
          assertEquals(await containers(b), [], "run deleted the container");
        } finally {
          if (!exited) {
            try {
              child.kill("SIGKILL");
            } catch { /* gone */ }
          }
          await status;
          await b.run(["delete", "--force", id]);
          await out.cancel();
          await err.cancel();
        }
      }),
  });
}

// --- file descriptors ---------------------------------------------------------------------

Deno.test({
  name: "fds the runtime inherited do not reach the container without --preserve-fds",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["ls", "/proc/self/fd"], async (b) => {
      const r = await fromShell(b, "exec 3</etc/hostname 5</etc/hostname 9>/dev/null", [
        "run",
        uniqueId("fds"),
      ]);
      assertEquals(r.code, 0, r.stderr);
      // 0 1 2 and the directory ls reads.
      assertEquals(fdList(r.stdout), [0, 1, 2, 3]);
    }),
});

Deno.test({
  name: "--preserve-fds 2 passes fds 3 and 4 and nothing above",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("cat /proc/self/fd/3 /proc/self/fd/4; ls /proc/self/fd"), async (b) => {
      Deno.writeTextFileSync(`${b.dir}/three`, "three\n");
      Deno.writeTextFileSync(`${b.dir}/four`, "four\n");
      const r = await fromShell(b, "exec 3<three 4<four 5</etc/hostname", [
        "run",
        "--preserve-fds",
        "2",
        uniqueId("fds"),
      ]);
      assertEquals(r.code, 0, r.stderr);
      const [three, four, ...rest] = r.stdout.trim().split("\n");
      assertEquals([three, four], ["three", "four"]);
      // 0-4 and the directory ls reads (5): the runtime's fd 5 was not passed.
      assertEquals(fdList(rest.join(" ")), [0, 1, 2, 3, 4, 5]);
    }),
});

const LISTEN_PROBE = sh(
  "env | grep '^LISTEN_' | sort; echo fds $(ls /proc/self/fd); " +
    "[ -e /proc/self/fd/3 ] && cat /proc/self/fd/3; [ -e /proc/self/fd/4 ] && cat /proc/self/fd/4; true",
);

Deno.test({
  name: "LISTEN_FDS=1 with LISTEN_PID of the runtime passes fd 3 and LISTEN_FDS=1 LISTEN_PID=1",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(LISTEN_PROBE, async (b) => {
      Deno.writeTextFileSync(`${b.dir}/socket-stand-in`, "listen fd\n");
      const r = await fromShell(
        b,
        "exec 3<socket-stand-in; export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=web",
        ["run", uniqueId("fds")],
      );
      assertEquals(r.code, 0, r.stderr);
      const out = r.stdout.trim().split("\n");
      // runc appends exactly these two; LISTEN_FDNAMES stays behind.
      assertEquals(out.slice(0, 2), ["LISTEN_FDS=1", "LISTEN_PID=1"], r.stdout);
      // 0 1 2 3, and 4 is the directory ls reads (a command substitution: its own fds).
      assertMatch(out[2], /^fds 0 1 2 3 4$/);
      assertEquals(out[3], "listen fd");
    }),
});

Deno.test({
  name: "LISTEN_FDS for another pid is ignored: no fd 3, no LISTEN_* in the env",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(LISTEN_PROBE, async (b) => {
      const r = await fromShell(
        b,
        "exec 3</etc/hostname; export LISTEN_PID=$PPID LISTEN_FDS=1",
        ["run", uniqueId("fds")],
      );
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.trim().split("\n"), ["fds 0 1 2 3"]);
    }),
});

Deno.test({
  name: "with LISTEN_FDS=1, --preserve-fds 1 passes the next fd: 3 is the listen fd, 4 preserved",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(LISTEN_PROBE, async (b) => {
      Deno.writeTextFileSync(`${b.dir}/three`, "three\n");
      Deno.writeTextFileSync(`${b.dir}/four`, "four\n");
      const r = await fromShell(
        b,
        "exec 3<three 4<four 5</etc/hostname; export LISTEN_PID=$$ LISTEN_FDS=1",
        ["run", "--preserve-fds", "1", uniqueId("fds")],
      );
      assertEquals(r.code, 0, r.stderr);
      assertEquals(r.stdout.trim().split("\n"), [
        "LISTEN_FDS=1",
        "LISTEN_PID=1",
        "fds 0 1 2 3 4 5",
        "three",
        "four",
      ]);
    }),
});

// --- NOTIFY_SOCKET ------------------------------------------------------------------------

Deno.test({
  name: "run -d with NOTIFY_SOCKET waits for READY=1, then forwards READY=1 and MAINPID",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["true"], async (b) => {
      Deno.copyFileSync(await notifySender(), `${b.rootfs}/notify_sender`);
      Deno.chmodSync(`${b.rootfs}/notify_sender`, 0o755);
      b.config.root.readonly = false;
      b.config.process.args = sh(
        'echo "$NOTIFY_SOCKET" >/notify-env; grep " /run/notify " /proc/self/mountinfo >/notify-mount; ' +
          "sleep 0.5; touch /about-to-send; /notify_sender READY=1 >/sender.out 2>&1; " +
          "exec sleep 600",
      );
      b.save();
      const listener = await startNotifyListener(`${b.dir}/host-notify.sock`);
      try {
        const id = uniqueId("notify");
        const run = await b.run(["run", "-d", id], { env: { NOTIFY_SOCKET: listener.path } });
        assertEquals(run.code, 0, run.stderr);
        // The init sleeps 0.5 s before it touches this and sends READY=1: run -d waited.
        assert(
          Deno.statSync(`${b.rootfs}/about-to-send`).isFile,
          "run -d returned before the container was ready",
        );
        const state = await b.run(["state", id]);
        const pid: number = JSON.parse(state.stdout).pid;
        assertEquals(JSON.parse(state.stdout).status, "running");

        await listener.waitFor(/^MAINPID=/);
        // runc 1.1.5 sends exactly these two datagrams (newer runc adds BARRIER=1).
        const got = listener.received().filter((d) => !d.startsWith("BARRIER="));
        assertEquals(got, ["READY=1\n", `MAINPID=${pid}\n`]);

        assertEquals(Deno.readTextFileSync(`${b.rootfs}/notify-env`), "/run/notify/notify.sock\n");
        assertStringIncludes(Deno.readTextFileSync(`${b.rootfs}/sender.out`), "sent 7 to");
        const mount = Deno.readTextFileSync(`${b.rootfs}/notify-mount`).trim();
        assertMatch(mount, /^\S+ \S+ \S+:\S+ \S+ \/run\/notify (ro|ro,\S*|\S*,ro|\S*,ro,\S*) /);
      } finally {
        await listener.close();
      }
    }),
});

/**
 * Terminals (runc docs/terminals.md): process.terminal with a foreground `run` or
 * `exec -t` proxied through the runtime's own terminal, and the pty master handed to a
 * --console-socket by create, run -d and exec -d -t.
 *
 * The runtime runs with a real pty as its controlling terminal (_pty_driver.py); the
 * console socket is served by _console_receiver.py, which receives the master with
 * SCM_RIGHTS as runc's contrib/cmd/recvtty does. Every expectation was checked against
 * runc 1.1.5 (TSRUNC=/usr/sbin/runc). What runc does, for the record:
 *
 * - Foreground `run`/`exec -t`: the runtime's terminal (the first of stderr, stdout,
 *   stdin that is a tty, else /dev/tty) is put in raw mode while the container runs:
 *   iflag 0 (no ICRNL, IXON...), lflag without ISIG, ICANON, ECHO, IEXTEN; OPOST and
 *   ONLCR stay on. Its exact termios is restored when the runtime exits. The container's
 *   pty has ONLCR cleared (the outer terminal does the \n -> \r\n), and stdout+stderr of
 *   the container both come out on the runtime's stdout.
 * - The container's pty gets the outer terminal's size before the process starts (so
 *   process.consoleSize is overridden by it), and follows SIGWINCH.
 * - With no controlling terminal and no tty on stdio, `run` fails:
 *   "open /dev/tty: no such device or address" (not tested: the test runner may have one).
 * - The console socket gets one message: payload "/dev/ptmx" (the master's name), one fd
 *   with SCM_RIGHTS (char device 5:2, opened in the container's devpts, so pts numbers
 *   start at 0). Its size is process.consoleSize, or 0x0 when that is absent.
 * - Errors (exit 1 for create/run, 255 for exec, one line):
 *   "cannot allocate tty if runc will detach without setting console socket"
 *   "cannot use console socket if runc will not detach or allocate tty"
 *   a socket that does not exist: "dial unix PATH: connect: no such file or directory".
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import {
  type Bundle,
  IS_ROOT,
  sleep,
  startSleeper,
  tsruncCommand,
  uniqueId,
  withBundle,
} from "./_helpers.ts";
import { lines, type PtyResult, runInPty, startReceiver, type Step, TERMIOS } from "./_pty.ts";

/** `tsrunc --root <root> args...` through a pty of rows x cols, in the bundle dir. */
function inPty(
  b: Bundle,
  args: string[],
  steps: Step[] = [],
  size: [number, number] = [24, 80],
): Promise<PtyResult> {
  b.save();
  return runInPty([...tsruncCommand(), "--root", b.root, ...args], {
    cwd: b.dir,
    rows: size[0],
    cols: size[1],
    steps,
  });
}

/** Fail with the whole transcript when the driver reported an error. */
function noError(r: PtyResult): void {
  assertEquals(r.error, null, `pty script failed; output so far: ${JSON.stringify(r.output)}`);
}

async function containers(b: Bundle): Promise<string[]> {
  const r = await b.run(["list", "-q"]);
  return r.stdout.split("\n").filter(Boolean);
}

async function status(b: Bundle, id: string): Promise<string> {
  const r = await b.run(["state", id]);
  return r.code === 0 ? JSON.parse(r.stdout).status : `state failed: ${r.stderr}`;
}

async function waitStatus(b: Bundle, id: string, want: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let now = "";
  while ((now = await status(b, id)) !== want) {
    if (Date.now() > deadline) throw new Error(`${id} is ${now}, not ${want}`);
    await sleep(50);
  }
}

/** Sh snippet: print "LABEL ROWS COLS" once `stty size` shows WANT, or after ~5 s. */
function sizeWhen(label: string, want: string): string {
  return `i=0; while [ $i -lt 100 ]; do s=$(stty size); [ "$s" = "${want}" ] && break; ` +
    `i=$((i+1)); sleep 0.05; done; echo ${label} $s`;
}

// --- foreground run through a pty ---------------------------------------------------------

Deno.test({
  name: "run with a terminal: output and tty come through a real pty, the status propagates",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh", "-c", "echo hi; tty; exit 7"], async (b) => {
      b.config.process.terminal = true;
      const id = uniqueId("tty");
      const r = await inPty(b, ["run", id]);
      noError(r);
      assertEquals(r.status, 7, r.output);
      assertMatch(lines(r.output), /^hi\n\/dev\/pts\/\d+\n$/);
      assertEquals(await containers(b), [], "run deletes the container");
    }),
});

for (const how of ["run", "exec"] as const) {
  Deno.test({
    name: `${how} with a terminal: the pty belongs to the process's uid, its group is devpts' ` +
      `(gid=5), as runc`,
    ignore: !IS_ROOT,
    fn: () =>
      withBundle(["sh", "-c", "stat -c %u:%g $(tty)"], async (b) => {
        b.config.process.terminal = true;
        b.config.process.user = { uid: 1000, gid: 100 };
        const id = uniqueId("tty");
        if (how === "run") {
          const r = await inPty(b, ["run", id]);
          noError(r);
          assertEquals(lines(r.output), "1000:5\n");
          return;
        }
        b.config.process.terminal = false;
        await startSleeper(b, id);
        const r = await inPty(b, [
          "exec",
          "-t",
          "--user",
          "1000:100",
          id,
          "sh",
          "-c",
          "stat -c %u:%g $(tty)",
        ]);
        noError(r);
        assertEquals(lines(r.output), "1000:5\n");
      }),
  });
}

Deno.test({
  name: "run with a terminal: the container's stdout and stderr both reach the terminal",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh", "-c", "echo to-out; echo to-err >&2; stty -a"], async (b) => {
      b.config.process.terminal = true;
      const r = await inPty(b, ["run", uniqueId("tty")]);
      noError(r);
      assertEquals(r.status, 0, r.output);
      const out = lines(r.output);
      assertStringIncludes(out, "to-out\n");
      assertStringIncludes(out, "to-err\n");
      // runc clears ONLCR on the container's pty: the outer terminal adds the \r.
      assertMatch(out, /(^|\s)-onlcr(\s|$)/, "the container's pty has -onlcr");
    }),
});

Deno.test({
  name: "run with a terminal: the outer terminal's size wins over process.consoleSize",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["stty", "size"], async (b) => {
      // runc resizes the container's pty from its own terminal before the process runs,
      // so consoleSize only matters with --console-socket (see the tests below).
      b.config.process.terminal = true;
      b.config.process.consoleSize = { height: 33, width: 101 };
      const r = await inPty(b, ["run", uniqueId("tty")], [], [40, 120]);
      noError(r);
      assertEquals(r.status, 0, r.output);
      assertEquals(lines(r.output), "40 120\n");
    }),
});

Deno.test({
  name: "run with a terminal and no consoleSize: the pty has the outer terminal's size",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["stty", "size"], async (b) => {
      b.config.process.terminal = true;
      delete b.config.process.consoleSize;
      const r = await inPty(b, ["run", uniqueId("tty")], [], [27, 93]);
      noError(r);
      assertEquals(r.status, 0, r.output);
      assertEquals(lines(r.output), "27 93\n");
    }),
});

Deno.test({
  name: "run with a terminal: a resize of the outer terminal (SIGWINCH) reaches the container",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      ["sh", "-c", `echo size1 $(stty size); ${sizeWhen("size2", "31 77")}`],
      async (b) => {
        b.config.process.terminal = true;
        const r = await inPty(b, ["run", uniqueId("tty")], [
          { expect: "size1 \\d+ \\d+\r?\n" },
          { resize: [31, 77] },
          { expect: "size2 [^\r\n]*\r?\n" },
        ], [40, 120]);
        noError(r);
        assertEquals(r.status, 0, r.output);
        assertEquals(lines(r.output), "size1 40 120\nsize2 31 77\n");
      },
    ),
});

Deno.test({
  name: "run with a terminal: the outer terminal is raw while it runs and restored afterwards",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh", "-c", "echo ready; read x; echo done-$x"], async (b) => {
      b.config.process.terminal = true;
      const r = await inPty(b, ["run", uniqueId("tty")], [
        { expect: "ready\r?\n" },
        { termios: "running" },
        { send: "go\r" },
        { expect: "done-go" },
      ]);
      noError(r);
      assertEquals(r.status, 0, r.output);
      const { initial, running, final } = r.termios;
      assert(initial.lflag & TERMIOS.ECHO && initial.lflag & TERMIOS.ICANON, "a cooked start");
      assertEquals(running.lflag & TERMIOS.ECHO, 0, "ECHO is off while the container runs");
      assertEquals(running.lflag & TERMIOS.ICANON, 0, "ICANON is off while the container runs");
      // ^C must reach the container as a byte, not kill the runtime.
      assertEquals(running.lflag & TERMIOS.ISIG, 0, "ISIG is off while the container runs");
      assertEquals(running.iflag & TERMIOS.ICRNL, 0, "ICRNL is off while the container runs");
      assertEquals(final, initial, "the terminal is restored exactly");
    }),
});

Deno.test({
  name: "run with a terminal: an interactive shell reads what is typed and its exit status counts",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh"], async (b) => {
      b.config.process.terminal = true;
      const r = await inPty(b, ["run", uniqueId("tty")], [
        { expect: "# " },
        { send: "echo $((6*7))\r" },
        { expect: "\n42\r?\n" },
        { expect: "# " },
        { send: "exit 3\r" },
      ]);
      noError(r);
      assertEquals(r.status, 3, r.output);
      assertEquals(r.termios.final, r.termios.initial, "the terminal is restored exactly");
    }),
});

// --- exec -t through a pty ----------------------------------------------------------------

Deno.test({
  name: "exec -t: tty, the outer size, a resize and the exit status through a real pty",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = uniqueId("exect");
      await startSleeper(b, id);
      const script = `tty; echo size1 $(stty size); ${sizeWhen("size2", "31 77")}; exit 5`;
      const r = await inPty(b, ["exec", "-t", id, "sh", "-c", script], [
        { expect: "size1 \\d+ \\d+\r?\n" },
        { termios: "running" },
        { resize: [31, 77] },
        { expect: "size2 [^\r\n]*\r?\n" },
      ], [27, 93]);
      noError(r);
      assertEquals(r.status, 5, r.output);
      assertMatch(lines(r.output), /^\/dev\/pts\/\d+\nsize1 27 93\nsize2 31 77\n$/);
      assertEquals(r.termios.running.lflag & (TERMIOS.ECHO | TERMIOS.ICANON), 0, "raw");
      assertEquals(r.termios.final, r.termios.initial, "the terminal is restored exactly");
      assertEquals(await status(b, id), "running", "the container outlives the exec");
    }),
});

// --- --console-socket ---------------------------------------------------------------------

/** Talk to an interactive sh on the master: tty, size, arithmetic, then exit. */
const SHELL_STEPS: Step[] = [
  { expect: "# " },
  { send: "tty; stty size; echo mark-$((6*7))\n" },
  { expect: "mark-42\r?\n" },
  { expect: "# " },
  { send: "exit 3\n" },
  { eof: true },
];

Deno.test({
  name: "create --console-socket sends the pty master with SCM_RIGHTS; start runs the shell on it",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh"], async (b) => {
      b.config.process.terminal = true;
      b.config.process.consoleSize = { height: 33, width: 101 };
      b.save();
      const id = uniqueId("cons");
      const rx = await startReceiver(`${b.dir}/console.sock`, { steps: SHELL_STEPS });
      try {
        const create = await b.run(["create", "--console-socket", rx.path, id]);
        assertEquals(create.code, 0, create.stderr);
        assertEquals(await status(b, id), "created");
        const start = await b.run(["start", id]);
        assertEquals(start.code, 0, start.stderr);
        const got = await rx.result;
        assertEquals(got.error, null, `receiver: ${JSON.stringify(got)}`);
        assertEquals(got.message, "/dev/ptmx", "runc sends the master's name with the fd");
        assertEquals(got.fds, 1);
        assertEquals(got.rdev, [5, 2], "the fd is a pty master (/dev/ptmx, 5:2)");
        assertEquals(got.winsize, [33, 101], "the pty has process.consoleSize");
        const out = lines(got.output);
        assertMatch(out, /\n\/dev\/pts\/\d+\n33 101\nmark-42\n/);
        await waitStatus(b, id, "stopped");
      } finally {
        await rx.close();
      }
    }),
});

Deno.test({
  name: "run -d --console-socket sends the master; without consoleSize the pty is 0x0",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh"], async (b) => {
      b.config.process.terminal = true;
      delete b.config.process.consoleSize;
      b.save();
      const id = uniqueId("cons");
      const rx = await startReceiver(`${b.dir}/console.sock`, { steps: SHELL_STEPS });
      try {
        const run = await b.run(["run", "-d", "--console-socket", rx.path, id]);
        assertEquals(run.code, 0, run.stderr);
        const got = await rx.result;
        assertEquals(got.error, null, `receiver: ${JSON.stringify(got)}`);
        assertEquals(got.message, "/dev/ptmx");
        assertEquals(got.fds, 1);
        assertEquals(got.rdev, [5, 2]);
        // runc leaves the size alone: 0 rows, 0 columns (busybox stty size then fails).
        assertEquals(got.winsize, [0, 0]);
        assertMatch(lines(got.output), /\n\/dev\/pts\/\d+\n(.*\n)?mark-42\n/);
        await waitStatus(b, id, "stopped");
      } finally {
        await rx.close();
      }
    }),
});

Deno.test({
  name: "exec -d -t --console-socket sends the master of a new pty for the exec'd process",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = uniqueId("cons");
      await startSleeper(b, id);
      const rx = await startReceiver(`${b.dir}/console.sock`, { steps: SHELL_STEPS });
      try {
        const exec = await b.run(["exec", "-d", "-t", "--console-socket", rx.path, id, "sh"]);
        assertEquals(exec.code, 0, exec.stderr);
        const got = await rx.result;
        assertEquals(got.error, null, `receiver: ${JSON.stringify(got)}`);
        assertEquals(got.message, "/dev/ptmx");
        assertEquals(got.fds, 1);
        assertEquals(got.rdev, [5, 2]);
        assertMatch(lines(got.output), /\n\/dev\/pts\/\d+\n(.*\n)?mark-42\n/);
        assertEquals(await status(b, id), "running", "the container outlives the exec");
      } finally {
        await rx.close();
      }
    }),
});

Deno.test({
  name: "the console master can resize the container's terminal",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh"], async (b) => {
      b.config.process.terminal = true;
      b.config.process.consoleSize = { height: 33, width: 101 };
      b.save();
      const id = uniqueId("cons");
      const rx = await startReceiver(`${b.dir}/console.sock`, {
        steps: [
          { expect: "# " },
          { resize: [44, 55] },
          { send: "echo size=$(stty size)\n" },
          { expect: "size=\\d+ \\d+" },
          { send: "exit\n" },
          { eof: true },
        ],
      });
      try {
        const run = await b.run(["run", "-d", "--console-socket", rx.path, id]);
        assertEquals(run.code, 0, run.stderr);
        const got = await rx.result;
        assertEquals(got.error, null, `receiver: ${JSON.stringify(got)}`);
        assertStringIncludes(got.output, "size=44 55");
      } finally {
        await rx.close();
      }
    }),
});

// --- terminal / console socket errors -----------------------------------------------------

/** One line on stderr matching pattern, the given exit code, and no container left. */
async function failsWith(
  b: Bundle,
  args: string[],
  code: number,
  pattern: RegExp,
  before: string[] = [],
): Promise<void> {
  const r = await b.run(args);
  assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
  const errLines = r.stderr.trim().split("\n");
  assertEquals(errLines.length, 1, `one line: ${r.stderr}`);
  assertMatch(errLines[0], pattern);
  assertEquals(await containers(b), before, "nothing is left behind");
}

const NEEDS_SOCKET = /cannot allocate tty if \S+ will detach without setting console socket/;
const NO_SOCKET_USE = /cannot use console socket if \S+ will not detach or allocate tty/;

Deno.test({
  name: "terminal true with create or run -d but no --console-socket fails with runc's error",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh"], async (b) => {
      b.config.process.terminal = true;
      b.save();
      await failsWith(b, ["create", uniqueId("err")], 1, NEEDS_SOCKET);
      await failsWith(b, ["run", "-d", uniqueId("err")], 1, NEEDS_SOCKET);
    }),
});

Deno.test({
  name: "--console-socket without a terminal, or with a foreground run, fails with runc's error",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh"], async (b) => {
      const sock = `${b.dir}/unused.sock`;
      b.config.process.terminal = false;
      b.save();
      await failsWith(b, ["create", "--console-socket", sock, uniqueId("err")], 1, NO_SOCKET_USE);
      await failsWith(
        b,
        ["run", "-d", "--console-socket", sock, uniqueId("err")],
        1,
        NO_SOCKET_USE,
      );
      b.config.process.terminal = true;
      b.save();
      await failsWith(b, ["run", "--console-socket", sock, uniqueId("err")], 1, NO_SOCKET_USE);
    }),
});

Deno.test({
  name: "a --console-socket nobody listens on fails create with the socket named",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh"], async (b) => {
      b.config.process.terminal = true;
      b.save();
      const sock = `${b.dir}/nobody.sock`;
      // runc: "dial unix <path>: connect: no such file or directory"
      await failsWith(
        b,
        ["create", "--console-socket", sock, uniqueId("err")],
        1,
        new RegExp(`${sock.replaceAll(".", "\\.")}.*no such file or directory`),
      );
    }),
});

Deno.test({
  name: "exec: -d -t needs --console-socket; --console-socket needs -d and -t (exit 255)",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = uniqueId("err");
      await startSleeper(b, id);
      const sock = `${b.dir}/unused.sock`;
      await failsWith(b, ["exec", "-d", "-t", id, "sh"], 255, NEEDS_SOCKET, [id]);
      await failsWith(b, ["exec", "-t", "--console-socket", sock, id, "sh"], 255, NO_SOCKET_USE, [
        id,
      ]);
      await failsWith(b, ["exec", "-d", "--console-socket", sock, id, "sh"], 255, NO_SOCKET_USE, [
        id,
      ]);
      assertEquals(await status(b, id), "running");
    }),
});

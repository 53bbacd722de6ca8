/**
 * Helpers for terminal and socket integration tests: drive a program through a real
 * pseudo-terminal (_pty_driver.py), receive a container's console over a
 * --console-socket (_console_receiver.py), listen for sd_notify datagrams, and build the
 * static notify sender (_notify_sender.c) that busybox lacks. The helpers are python3
 * programs because Deno has no pty, SCM_RIGHTS or unix datagram API.
 *
 * Every helper process has its own deadline and is killed by `close()`/`finally`, so a
 * failing test leaves nothing running.
 */

const HERE = new URL(".", import.meta.url).pathname;
const PYTHON = "/usr/bin/python3";

/** termios of a terminal as the driver read it (tcgetattr). */
export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  ispeed: number;
  ospeed: number;
  cc: number[];
}

/** Linux termios flag bits the tests look at. */
export const TERMIOS = {
  // c_lflag
  ISIG: 0o1,
  ICANON: 0o2,
  ECHO: 0o10,
  IEXTEN: 0o100000,
  // c_iflag
  ICRNL: 0o400,
  IXON: 0o2000,
  // c_oflag
  OPOST: 0o1,
  ONLCR: 0o4,
} as const;

/** One step of a pty or console script (see _pty_driver.py). */
export type Step =
  | { expect: string }
  | { send: string }
  | { resize: [number, number] }
  | { termios: string }
  | { signal: string }
  | { sleep: number }
  | { eof: true };

/** What a program run through a pty did. */
export interface PtyResult {
  /** Everything the program wrote to its terminal. */
  output: string;
  /** Exit status, -N when killed by signal N, null when it did not exit. */
  status: number | null;
  /** termios of the outer terminal: "initial", each step's label, "final". */
  termios: Record<string, Termios>;
  pid: number;
  /** Why the script failed (a timeout, an early exit), or null. */
  error: string | null;
}

/** Options of `runInPty`. */
export interface PtyOptions {
  rows?: number;
  cols?: number;
  /** Overall deadline in seconds (default 20). */
  timeout?: number;
  steps?: Step[];
  cwd?: string;
  env?: Record<string, string>;
}

/** Kill a helper process unless it already exited. */
function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
}

/**
 * Run argv with a fresh pty as its controlling terminal and stdio (rows x cols), follow
 * the steps, wait for it to exit and report what happened.
 */
export async function runInPty(argv: string[], options: PtyOptions = {}): Promise<PtyResult> {
  const timeout = options.timeout ?? 20;
  const script = {
    rows: options.rows ?? 24,
    cols: options.cols ?? 80,
    timeout,
    steps: options.steps ?? [],
  };
  const child = new Deno.Command(PYTHON, {
    args: [`${HERE}_pty_driver.py`, JSON.stringify(script), "--", ...argv],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The driver kills the program at its own deadline; this one is for the driver itself.
  const guard = setTimeout(() => kill(child), (timeout + 15) * 1000);
  try {
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout);
    try {
      return JSON.parse(text) as PtyResult;
    } catch {
      throw new Error(
        `pty driver failed (${out.code}): ${text}${new TextDecoder().decode(out.stderr)}`,
      );
    }
  } finally {
    clearTimeout(guard);
    kill(child);
  }
}

/** The output of a pty with the terminal's \r\n turned into \n. */
export function lines(output: string): string {
  return output.replaceAll("\r\n", "\n");
}

/** What the console receiver got. */
export interface ReceiverResult {
  /** The bytes sent along with the fd (runc sends the pty master's name, "/dev/ptmx"). */
  message: string | null;
  /** How many fds came with that message. */
  fds: number;
  /** readlink of the received fd. */
  fdlink: string | null;
  /** [major, minor] of the received fd when it is a device. */
  rdev: [number, number] | null;
  /** pts number of the pty. */
  ptn: number | null;
  /** [rows, cols] of the pty when it arrived. */
  winsize: [number, number] | null;
  /** Everything read from the master. */
  output: string;
  error: string | null;
}

/** A console receiver listening on a socket. */
export interface Receiver {
  /** The socket path to pass as --console-socket. */
  path: string;
  /** Resolves when the receiver finished its script (or failed). */
  result: Promise<ReceiverResult>;
  /** Kill the receiver if it still runs and wait until it is gone. */
  close(): Promise<void>;
}

/** Options of `startReceiver`. */
export interface ReceiverOptions {
  /** Overall deadline in seconds (default 20). */
  timeout?: number;
  /** What to do with the master once it arrived. */
  steps?: Step[];
}

/**
 * Listen on path (an AF_UNIX stream socket) for one console fd; resolves once the socket
 * accepts connections. The caller must `close()` it (in a finally).
 */
export async function startReceiver(
  path: string,
  options: ReceiverOptions = {},
): Promise<Receiver> {
  const timeout = options.timeout ?? 20;
  const script = { timeout, steps: options.steps ?? [] };
  const child = new Deno.Command(PYTHON, {
    args: [`${HERE}_console_receiver.py`, path, JSON.stringify(script)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const guard = setTimeout(() => kill(child), (timeout + 15) * 1000);
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const { promise: isReady, resolve: ready, reject: failed } = Promise.withResolvers<void>();
  const result = (async (): Promise<ReceiverResult> => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
        if (text.startsWith("ready\n")) ready();
      }
      await child.status;
      if (!text.startsWith("ready\n")) {
        throw new Error(`console receiver did not start: ${text}${await stderr}`);
      }
      const json = text.startsWith("ready\n") ? text.slice("ready\n".length) : text;
      try {
        return JSON.parse(json) as ReceiverResult;
      } catch {
        throw new Error(`console receiver failed: ${text}${await stderr}`);
      }
    } catch (e) {
      failed(e as Error);
      throw e;
    } finally {
      clearTimeout(guard);
    }
  })();
  // A failure before "ready" rejects isReady; afterwards it surfaces through result.
  result.catch(() => {});
  const receiver: Receiver = {
    path,
    result,
    close: async () => {
      kill(child);
      await result.catch(() => {});
      await stderr.catch(() => {});
    },
  };
  try {
    await isReady;
  } catch (e) {
    await receiver.close();
    throw e;
  }
  return receiver;
}

/** A unix datagram socket that collects sd_notify messages. */
export interface NotifyListener {
  path: string;
  /** The datagrams received so far, in order. */
  received(): string[];
  /** Wait until a datagram matches, or throw after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Kill the listener and wait until it is gone. */
  close(): Promise<void>;
}

const NOTIFY_LISTENER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
s.settimeout(float(sys.argv[2]))
try:
    while True:
        data = s.recv(65536)
        print(json.dumps(data.decode("utf-8", "replace")), flush=True)
except socket.timeout:
    pass
`;

/**
 * Bind a unix datagram socket at path and collect what arrives (for NOTIFY_SOCKET). Give
 * up listening after timeoutS seconds. The caller must `close()` it.
 */
export async function startNotifyListener(path: string, timeoutS = 30): Promise<NotifyListener> {
  const child = new Deno.Command(PYTHON, {
    args: ["-c", NOTIFY_LISTENER, path, String(timeoutS)],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const got: string[] = [];
  let buffered = "";
  const { promise: isReady, resolve: ready } = Promise.withResolvers<void>();
  let ended = false;
  const pump = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === "ready") ready();
        else got.push(JSON.parse(line));
      }
    }
    ended = true;
    ready();
  })();
  pump.catch(() => {});
  const close = async () => {
    kill(child);
    await pump.catch(() => {});
    await child.status;
  };
  await isReady;
  if (ended) {
    await close();
    throw new Error(`notify listener on ${path} did not start`);
  }
  return {
    path,
    received: () => [...got],
    async waitFor(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = got.find((d) => pattern.test(d));
        if (hit !== undefined) return hit;
        if (Date.now() > deadline || ended) {
          throw new Error(`no datagram matching ${pattern}; got ${JSON.stringify(got)}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close,
  };
}

let sender: Promise<string> | undefined;

/**
 * Build _notify_sender.c with `gcc -static` (once per test process) and return the
 * binary's path.
 */
export function notifySender(): Promise<string> {
  sender ??= (async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tsrunc-notify-sender-" });
    const bin = `${dir}/notify_sender`;
    const out = await new Deno.Command("gcc", {
      args: ["-static", "-O2", "-o", bin, `${HERE}_notify_sender.c`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      throw new Error(`gcc failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* best effort */ }
    });
    return bin;
  })();
  return sender;
}

/**
 * A process tsrunc waits for in the foreground (`run`, `exec` without -d): signals
 * tsrunc receives go to it, its terminal (if any) is proxied to tsrunc's own, and its
 * exit status becomes tsrunc's. tsrunc never exits before the process: it is reaped.
 */
import * as libcore from "../ffi/libcore.ts";

/** Signals passed on, with their numbers (Linux x86-64). */
const FORWARDED: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
  SIGCONT: 18,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
  SIGALRM: 14,
};

/**
 * Signals tsrunc receives, passed on to the process once it is known: listening starts
 * before the process is made, so no signal falls between its start and the wait (one
 * that comes earlier is delivered as soon as the pid is set). Deno's own listeners, not
 * sigaction handlers in libcore: Deno 2.9 chains its handler after any other and, with
 * no listener of its own for a signal, re-raises it with the default action (SIGTERM
 * would kill tsrunc right after forwarding it).
 */
export class SignalForwarder {
  #pid = 0;
  #ptyMaster?: number;
  #pending: number[] = [];
  #stops: (() => void)[] = [];

  constructor() {
    for (const [name, number] of Object.entries(FORWARDED)) {
      const signal = name as Deno.Signal;
      const handler = () => {
        if (signal === "SIGWINCH" && this.#ptyMaster !== undefined) resize(this.#ptyMaster);
        else if (this.#pid > 0) libcore.kill(this.#pid, number);
        else if (signal !== "SIGWINCH") this.#pending.push(number);
      };
      Deno.addSignalListener(signal, handler);
      this.#stops.push(() => Deno.removeSignalListener(signal, handler));
    }
  }

  /** The process to forward to (and its pty master, for resizes). */
  attach(pid: number, ptyMaster?: number): void {
    this.#pid = pid;
    this.#ptyMaster = ptyMaster;
    for (const number of this.#pending.splice(0)) libcore.kill(pid, number);
  }

  stop(): void {
    for (const stop of this.#stops.splice(0)) stop();
  }
}

/**
 * Wait for pid (a child of tsrunc) while forwarding signals and, with a pty master,
 * proxying stdin/stdout to it; returns its exit status (128+N for signal N).
 */
export async function waitInForeground(
  pid: number,
  ptyMaster?: number,
  forwarder = new SignalForwarder(),
): Promise<number> {
  let proxy: Promise<void> | undefined;
  let stopProxy: number | undefined;
  let stopRead: number | undefined;
  let saved: libcore.TermSettings | undefined;
  try {
    forwarder.attach(pid, ptyMaster);
    if (ptyMaster !== undefined) {
      // As runc: the pty takes the size of tsrunc's terminal, stdin goes raw.
      resize(ptyMaster);
      if (Deno.stdin.isTerminal()) saved = libcore.termRaw(0);
      [stopRead, stopProxy] = libcore.pipe();
      proxy = libcore.ptyProxy(ptyMaster, 0, 1, stopRead);
    }
    return await libcore.waitChild(pid);
  } finally {
    // Listeners first: a late SIGWINCH must not resize a pty master closed below.
    forwarder.stop();
    if (stopProxy !== undefined) libcore.close(stopProxy);
    await proxy?.catch(() => {});
    if (saved) libcore.termRestore(0, saved);
    if (stopRead !== undefined) libcore.close(stopRead);
    if (ptyMaster !== undefined) libcore.close(ptyMaster);
  }
}

/**
 * The size of tsrunc's terminal (the first of stderr, stdout, stdin that is one): a
 * foreground pty starts with it, whatever process.consoleSize says (as runc).
 */
export function outerTerminalSize(): { height: number; width: number } | undefined {
  for (const fd of [2, 1, 0]) {
    const size = libcore.getWinsize(fd);
    if (size) return { height: size.rows, width: size.columns };
  }
  return undefined;
}

/** Give the pty the window size of whichever of stderr, stdout, stdin is a terminal. */
function resize(ptyMaster: number): void {
  for (const fd of [2, 1, 0]) if (libcore.copyWinsize(fd, ptyMaster) === 0) return;
}

/**
 * A process tsrunc waits for in the foreground (`run`, `exec` without -d): signals
 * tsrunc receives go to it, its terminal (if any) is proxied to tsrunc's own, and its
 * exit status becomes tsrunc's. tsrunc never exits before the process: it is reaped.
 */
import * as libcore from "../ffi/libcore.ts";

/**
 * Signals passed on (Linux x86-64 numbers): HUP INT QUIT USR1 USR2 ALRM TERM CONT TSTP TTIN
 * TTOU URG VTALRM PROF IO PWR SYS, and WINCH, which resizes the pty instead.
 */
const FORWARDED = [1, 2, 3, 10, 12, 14, 15, 18, 20, 21, 22, 23, 26, 27, 28, 29, 30, 31];

/**
 * Signals tsrunc receives, passed on to the process once it is known: the handlers
 * (libcore's, see signals.c) are installed before the process is made, so no signal
 * falls between its start and the wait (one that comes earlier is held and delivered as
 * soon as the pid is set).
 */
export class SignalForwarder {
  #active = true;

  constructor() {
    libcore.forwardSignals(FORWARDED);
  }

  /** The process to forward to (and its pty master, for resizes). */
  attach(pid: number, ptyMaster?: number): void {
    libcore.forwardAttach(pid, ptyMaster);
  }

  stop(): void {
    if (!this.#active) return;
    this.#active = false;
    libcore.forwardStop(FORWARDED);
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
    // Handlers first: they must not resize a pty master whose fd is closed below.
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

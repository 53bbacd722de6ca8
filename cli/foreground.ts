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
 * Wait for pid (a child of tsrunc) while forwarding signals and, with a pty master,
 * proxying stdin/stdout to it; returns its exit status (128+N for signal N).
 */
export async function waitInForeground(pid: number, ptyMaster?: number): Promise<number> {
  const stopListening: (() => void)[] = [];
  let proxy: Promise<void> | undefined;
  let stopProxy: number | undefined;
  let stopRead: number | undefined;
  let saved: libcore.TermSettings | undefined;
  try {
    for (const [name, number] of Object.entries(FORWARDED)) {
      const signal = name as Deno.Signal;
      const handler = signal === "SIGWINCH" && ptyMaster !== undefined
        ? () => resize(ptyMaster)
        : () => libcore.kill(pid, number);
      Deno.addSignalListener(signal, handler);
      stopListening.push(() => Deno.removeSignalListener(signal, handler));
    }
    if (ptyMaster !== undefined) {
      // As runc: the pty takes the size of tsrunc's terminal, stdin goes raw.
      resize(ptyMaster);
      if (Deno.stdin.isTerminal()) saved = libcore.termRaw(0);
      [stopRead, stopProxy] = libcore.pipe();
      proxy = libcore.ptyProxy(ptyMaster, 0, 1, stopRead);
    }
    return await libcore.waitChild(pid);
  } finally {
    if (stopProxy !== undefined) libcore.close(stopProxy);
    await proxy?.catch(() => {});
    if (saved) libcore.termRestore(0, saved);
    if (stopRead !== undefined) libcore.close(stopRead);
    if (ptyMaster !== undefined) libcore.close(ptyMaster);
    for (const stop of stopListening) stop();
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

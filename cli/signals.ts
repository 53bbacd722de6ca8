/** Signal names and numbers on Linux x86-64, for kill. */
import { TsruncError } from "../base/errors.ts";

const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** A signal given as a number, or a name with or without "SIG", in any case (as runc). */
export function parseSignal(raw: string): number {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 0 && n <= 64) return n; // 0 only checks the process exists, as with runc
    throw new TsruncError(`invalid signal number ${raw}`);
  }
  let name = raw.toUpperCase();
  if (!name.startsWith("SIG")) name = `SIG${name}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX-(\d+)$/.exec(name);
  if (rt) {
    const n = name.startsWith("SIGRTMIN") ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1]);
    if (n >= 34 && n <= 64) return n;
  }
  const signal = SIGNALS[name];
  if (signal === undefined) throw new TsruncError(`unknown signal "${raw}"`);
  return signal;
}

/** The signal names kill knows (with "SIG"), for the shell completion. */
export function signalNames(): string[] {
  return Object.keys(SIGNALS);
}

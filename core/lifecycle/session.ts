/**
 * One executor session, for create and exec: the fd layout the executor starts with, its
 * spawn from a sealed memfd copy, and the sync socket as a typed channel (the pid report,
 * the phases, go, the fd hand-offs) with one wording for unexpected messages and one
 * timeout policy. A session that fails kills and reaps the process it reported.
 */
import { ERRNO, errnoText, TsruncError } from "../../base/errors.ts";
import * as libcore from "../../ffi/libcore.ts";
import { ERROR_EXPLAINED, MSG } from "../../ffi/messages.ts";
import { executorPath } from "../../ffi/paths.ts";
import { debug } from "../log.ts";
import { encodePlan } from "../plan/encode.ts";
import { PHASE_CODES, type Plan } from "../plan/ops.ts";
import type { Origins } from "../plan/origins.ts";

/** How long the executor may take to clone and report (no user code runs before it). */
export const REPORT_TIMEOUT_MS = 10_000;
/** How long a phase that runs hooks (which have time-outs of their own) may take. */
export const SETUP_TIMEOUT_MS = 5 * 60 * 1000;
/** How often, while no message comes, exec checks whether its process has exec'd. */
const EXEC_CHECK_MS = 20;

/**
 * The executor's descriptors: 0-2 stdio, 3.. the preserved fds, then the sync socket, the
 * plan, and one extra fd (the memory cgroup.procs of create, the init's pidfd of exec).
 */
export function executorFds(preserveFds: number): { sync: number; plan: number; extra: number } {
  const sync = 3 + preserveFds;
  return { sync, plan: sync + 1, extra: sync + 2 };
}

/** The fd hand-offs a session serves: the pty master and the seccomp notify fd. */
export interface HandOffs {
  console(message: libcore.RawMessage): void;
  seccomp(message: libcore.RawMessage): void;
}

/** A plan for a session, and where its ops came from (for the errors). */
export interface PlanToRun {
  plan: Plan;
  origins: Origins;
  /** The file the origins are JSON paths in. */
  originFile: string;
}

/** A running executor (and then the process it cloned) at the other end of the socket. */
export class ExecutorSession {
  readonly #socket: number;
  readonly #plan: Plan;
  readonly #origins: Origins;
  /** The file the origins are paths in: "config.json", "process.json". */
  readonly #originFile: string;
  readonly #executorPid: number;
  /** dev/ino of the executor's memfd: what /proc/PID/exe is until execve. */
  readonly #executor: Deno.FileInfo;
  /** The pid the executor reported (the init, or exec's process); 0 until then. */
  pid = 0;
  /** The pty master the process handed over, when no console socket took it. */
  ptyMaster?: number;

  private constructor(
    socket: number,
    built: PlanToRun,
    executorPid: number,
    executor: Deno.FileInfo,
  ) {
    this.#socket = socket;
    this.#plan = built.plan;
    this.#origins = built.origins;
    this.#originFile = built.originFile;
    this.#executorPid = executorPid;
    this.#executor = executor;
  }

  /** Spawn the executor with the plan, the preserved fds and an optional extra fd. */
  static start(built: PlanToRun, preserveFds: number, extraFd?: number): ExecutorSession {
    const fds = executorFds(preserveFds);
    const [mine, theirs] = libcore.socketPair();
    const planFd = libcore.memfdBytes(encodePlan(built.plan) as Uint8Array<ArrayBuffer>);
    const exeFd = libcore.sealedCopy(executorPath());
    const fdMap: [number, number][] = [[0, 0], [1, 1], [2, 2]];
    for (let fd = 3; fd < fds.sync; fd++) fdMap.push([fd, fd]);
    fdMap.push([fds.sync, theirs], [fds.plan, planFd]);
    if (extraFd !== undefined) fdMap.push([fds.extra, extraFd]);
    try {
      const executor = Deno.statSync(`/proc/self/fd/${exeFd}`);
      const pid = libcore.spawn(exeFd, [String(fds.sync), String(fds.plan)], fdMap);
      return new ExecutorSession(mine, built, pid, executor);
    } catch (error) {
      libcore.close(mine);
      throw error;
    } finally {
      libcore.close(theirs);
      libcore.close(planFd);
      libcore.close(exeFd);
    }
  }

  /** The pid of the process the executor cloned; the executor itself is reaped. */
  waitPid(): number {
    const message = this.#receive(REPORT_TIMEOUT_MS, "the pid report");
    libcore.waitChildSync(this.#executorPid);
    if (message.type !== MSG.PID) throw unexpected(message.type, "the pid report");
    this.pid = message.a;
    return this.pid;
  }

  /** Wait until the process reports `phase`. */
  waitPhase(phase: keyof typeof PHASE_CODES, timeoutMs: number): void {
    const message = this.#receive(timeoutMs, `phase ${phase}`);
    if (message.type !== MSG.PHASE || message.a !== PHASE_CODES[phase]) {
      throw unexpected(message.type, `phase ${phase}`);
    }
  }

  /** Let the process go on; `states` (the hooks' states) go along in a memfd. */
  go(states?: string): void {
    if (states === undefined) {
      libcore.send(this.#socket, MSG.GO, 0, new Uint8Array());
      return;
    }
    // A memfd: no message size limits them (a 50 MB annotation is in them).
    const fd = libcore.memfdBytes(new TextEncoder().encode(states));
    try {
      libcore.send(this.#socket, MSG.GO, 0, new Uint8Array(), fd);
    } finally {
      libcore.close(fd);
    }
  }

  /** Serve the hand-offs the plan asks for until the process reports `phase`. */
  serveUntilPhase(phase: keyof typeof PHASE_CODES, handOffs: HandOffs): void {
    const expected = expectedHandOffs(this.#plan);
    for (;;) {
      const message = this.#receive(SETUP_TIMEOUT_MS, `phase ${phase}`);
      if (message.type === MSG.PHASE && message.a === PHASE_CODES[phase]) return;
      this.#handOff(message, expected, handOffs, `phase ${phase}`);
    }
  }

  /**
   * Serve the hand-offs until the process has exec'd: the socket's EOF (it is
   * close-on-exec), or, should a copy of it be held elsewhere, its /proc/PID/exe no
   * longer being the executor.
   */
  serveUntilExec(handOffs: HandOffs): void {
    const expected = expectedHandOffs(this.#plan);
    const deadline = Date.now() + SETUP_TIMEOUT_MS;
    for (;;) {
      let message: libcore.RawMessage;
      try {
        message = this.#receive(EXEC_CHECK_MS, "execve");
      } catch (error) {
        if (!(error instanceof TsruncError)) throw error;
        // EOF: the socket closed on execve (or the process died, which wait tells)
        if (error.errno === ERRNO.EPIPE) return;
        if (error.errno !== ERRNO.ETIMEDOUT) throw error;
        if (!runsFile(this.pid, this.#executor)) return;
        if (Date.now() > deadline) {
          throw new TsruncError(
            `the container process did not exec within ${SETUP_TIMEOUT_MS / 1000} s`,
          );
        }
        continue;
      }
      this.#handOff(message, expected, handOffs, "execve");
    }
  }

  /**
   * After a failure: close the pty master the process handed over (if tsrunc kept it),
   * kill and reap the process the executor reported, if any.
   */
  abort(): void {
    if (this.ptyMaster !== undefined) libcore.close(this.ptyMaster);
    this.ptyMaster = undefined;
    if (this.pid <= 0) return;
    libcore.kill(this.pid, 9);
    try {
      libcore.waitChildSync(this.pid);
    } catch { /* reaped elsewhere */ }
  }

  close(): void {
    libcore.close(this.#socket);
  }

  #handOff(
    message: libcore.RawMessage,
    expected: Set<number>,
    handOffs: HandOffs,
    waitingFor: string,
  ): void {
    // Each hand-off the plan asks for, once: whoever else holds the socket cannot hand
    // tsrunc a console or a listener fd.
    if (!expected.delete(message.type)) {
      if (message.fd >= 0) libcore.close(message.fd);
      throw unexpected(message.type, waitingFor);
    }
    if (message.type === MSG.CONSOLE) handOffs.console(message);
    else handOffs.seccomp(message);
  }

  /** One message; an error report becomes the error, with the failing op's text. */
  #receive(timeoutMs: number, waitingFor: string): libcore.RawMessage {
    let message: libcore.RawMessage;
    try {
      message = libcore.recv(this.#socket, timeoutMs);
    } catch (error) {
      if (error instanceof TsruncError && error.errno === ERRNO.EPIPE) {
        throw new TsruncError("container process exited during setup", {
          errno: ERRNO.EPIPE,
        });
      }
      if (error instanceof TsruncError && error.errno === ERRNO.ETIMEDOUT) {
        throw new TsruncError(
          `container process did not answer within ${
            timeoutMs / 1000
          } s (waiting for ${waitingFor})`,
          { errno: ERRNO.ETIMEDOUT },
        );
      }
      throw error;
    }
    // Only the hand-offs carry an fd (and only when expected: #handOff).
    if (message.fd >= 0 && message.type !== MSG.CONSOLE && message.type !== MSG.SECCOMP) {
      libcore.close(message.fd);
      throw unexpected(message.type, waitingFor);
    }
    if (message.type === MSG.ERROR) {
      const op = this.#plan[message.a];
      debug(
        `failing op ${message.a}: ${
          JSON.stringify(op, (_, v) => typeof v === "bigint" ? String(v) : v)
        }`,
      );
      const errno = message.b & ~ERROR_EXPLAINED;
      const text = message.b & ERROR_EXPLAINED
        ? message.payload
        : `${message.payload}: ${errnoText(errno)}`;
      // The op's number (as `tsrunc explain` numbers them) and the config path it came from.
      const origin = this.#origins.get(op);
      const where = `op ${message.a + 1}${origin ? `, ${this.#originFile} ${origin}` : ""}`;
      throw new TsruncError(`${text} (${where})`, { errno });
    }
    return message;
  }
}

/** The hand-offs a plan asks for: the pty master (openPty), the notify fd (a notify filter). */
function expectedHandOffs(plan: Plan): Set<number> {
  const expected = new Set<number>();
  if (plan.some((op) => op.op === "openPty")) expected.add(MSG.CONSOLE);
  if (plan.some((op) => op.op === "seccomp" && op.notify)) expected.add(MSG.SECCOMP);
  return expected;
}

/** What each message type is, for errors. */
const MESSAGE_NAMES: Record<number, string> = {
  [MSG.PID]: "pid report",
  [MSG.PHASE]: "phase report",
  [MSG.ERROR]: "error report",
  [MSG.GO]: "go",
  [MSG.CONSOLE]: "console hand-off",
  [MSG.SECCOMP]: "seccomp hand-off",
};

/** The one wording: "unexpected X (message N) from the container process while waiting for Y". */
function unexpected(type: number, waitingFor: string): TsruncError {
  const name = MESSAGE_NAMES[type] ?? "unknown message";
  return new TsruncError(
    `unexpected ${name} (message ${type}) from the container process while waiting for ${waitingFor}`,
  );
}

/** Whether pid still runs the file `file` is the stat of (false once it exec'd or exited). */
function runsFile(pid: number, file: Deno.FileInfo): boolean {
  try {
    const exe = Deno.statSync(`/proc/${pid}/exe`);
    return exe.dev === file.dev && exe.ino === file.ino;
  } catch {
    return false;
  }
}

/**
 * exec: start a new process in a created or running container. The executor joins the
 * init's namespaces through a pidfd, clones the process (a child of tsrunc, in the
 * container's pid namespace) and exits; the process sets itself up and execs. The sync
 * socket's EOF (it is close-on-exec) tells tsrunc that the program runs.
 */
import { TsruncError } from "../../base/errors.ts";
import * as libcore from "../../ffi/libcore.ts";
import { debug, warn } from "../log.ts";
import type { BuiltPlan, OciProcess } from "../plan/build.ts";
import { buildExecPlan } from "../plan/build_exec.ts";
import { type ExecOverrides, execProcessFromFlags } from "../spec/exec_process.ts";
import { addProcess, subCgroups } from "../cgroups/manager.ts";
import type { CgroupRecord } from "../cgroups/record.ts";
import { hostLsm, passwdHome } from "./host_facts.ts";
import { NAMESPACE_FLAGS } from "../plan/tables.ts";
import { initAlive } from "../state/status.ts";
import { checkConsoleSocket, sendSeccompFd, takeConsole, writePidFile } from "./create.ts";
import { executorFds, ExecutorSession, REPORT_TIMEOUT_MS } from "./session.ts";
import { hookState } from "../state/oci_state.ts";
import type { StoredState } from "../state/store.ts";
import { openContainer } from "./open.ts";

/** Options of exec. */
export interface ExecOptions {
  root: string;
  id: string;
  /**
   * The process to start: a `--process` file's, already read and validated by the CLI,
   * or the container's own (from its state) with the flags' overrides applied.
   */
  process: { file: OciProcess } | { overrides: ExecOverrides };
  /** A foreground terminal's size: the pty starts with it (over process.consoleSize). */
  terminalSize?: { height: number; width: number };
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  ignorePaused: boolean;
  /** --cgroup: sub-cgroups ([controller:]path) to run the process in. */
  cgroups: string[];
}

/** A started process. */
export interface Execed {
  pid: number;
  /** The pty master, when the process has a terminal and no console socket took it. */
  ptyMaster?: number;
}

/** The proc names of the namespaces in NAMESPACE_FLAGS. */
const PROC_NS: Record<string, string> = {
  user: "user",
  mount: "mnt",
  pid: "pid",
  network: "net",
  ipc: "ipc",
  uts: "uts",
  cgroup: "cgroup",
  time: "time",
};

/** Start the process; on return it has exec'd its program (or exited). */
export function execProcess(options: ExecOptions): Execed {
  const opened = openContainer(options.root, options.id);
  const { state, status } = opened;
  opened.unlock();
  const { process, where } = "file" in options.process
    ? { process: options.process.file, where: "process.json: process" }
    : {
      process: execProcessFromFlags(state.process, options.process.overrides),
      where: "config.json: process",
    };
  if (process.terminal && options.terminalSize) process.consoleSize = options.terminalSize;
  checkConsoleSocket(process.terminal === true, options.detach, options.consoleSocket);
  if (status === "stopped") throw new TsruncError("cannot exec in a stopped container");
  if (status === "paused" && !options.ignorePaused) {
    throw new TsruncError("cannot exec in a paused container (use --ignore-paused to override)");
  }
  if (status === "creating") throw new TsruncError("cannot exec in a container being created");

  // The pidfd pins the init; checked against the stored start time, it is the init.
  let pidfd: number;
  try {
    pidfd = libcore.pidfdOpen(state.pid);
  } catch {
    throw new TsruncError("cannot exec in a stopped container");
  }
  try {
    if (!initAlive(state)) throw new TsruncError("cannot exec in a stopped container");
    const built = buildExecPlan({
      process,
      where,
      id: options.id,
      initPid: state.pid,
      initPidfd: executorFds(options.preserveFds).extra,
      joinFlags: namespacesToJoin(state.pid, status),
      noNewKeyring: state.noNewKeyring === true,
      preserveFds: options.preserveFds,
      seccomp: state.seccomp,
      lsm: hostLsm(),
      setgroupsDenied: readSetgroups(state.pid) === "deny",
      proxiedTerminal: !options.consoleSocket,
      unprivilegedCaller: Deno.uid() !== 0,
      home: process.env?.some((e) => e.startsWith("HOME="))
        ? undefined
        : passwdHome(state.rootfs, process.user?.uid ?? 0),
    });
    for (const warning of built.warnings) warn(warning);
    let cgroups = state.cgroups;
    if (options.cgroups.length > 0) {
      if (!cgroups) throw new TsruncError("--cgroup: the container has no cgroups");
      cgroups = subCgroups(cgroups, options.cgroups);
    }
    return runExecExecutor(built, pidfd, options, cgroups, state);
  } finally {
    libcore.close(pidfd);
  }
}

/** /proc/PID/setgroups ("allow" or "deny"), if readable. */
function readSetgroups(pid: number): string | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/setgroups`).trim();
  } catch {
    return undefined;
  }
}

/** CLONE_NEW* flags of the init's namespaces that are not tsrunc's own. */
function namespacesToJoin(pid: number, status: string): number {
  let flags = 0;
  for (const [type, name] of Object.entries(PROC_NS)) {
    let theirs: string;
    try {
      theirs = Deno.readLinkSync(`/proc/${pid}/ns/${name}`);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound && name === "time") continue; // old kernel
      if (error instanceof Deno.errors.PermissionDenied && status === "created") {
        // The waiting init is not dumpable (no container process may ptrace it): only a
        // caller with CAP_SYS_PTRACE may look at its namespaces.
        throw new TsruncError(
          "cannot exec in a created container that has not started yet without CAP_SYS_PTRACE " +
            "(rootless): start it first",
        );
      }
      throw new TsruncError("cannot exec in a stopped container");
    }
    if (theirs !== Deno.readLinkSync(`/proc/self/ns/${name}`)) flags |= NAMESPACE_FLAGS[type];
  }
  return flags;
}

function runExecExecutor(
  built: BuiltPlan,
  pidfd: number,
  options: ExecOptions,
  cgroups: CgroupRecord | undefined,
  state: StoredState,
): Execed {
  // process.* origins: the exec'd process, from --process or the flags over config.json's.
  const session = ExecutorSession.start(
    { ...built, originFile: "the exec'd" },
    options.preserveFds,
    pidfd,
  );
  try {
    const pid = session.waitPid();
    debug(`exec in ${options.id}: the executor joined the init's namespaces, cloned pid ${pid}`);
    session.waitPhase("ready", REPORT_TIMEOUT_MS);
    if (cgroups) addProcess(cgroups, pid);
    debug(`exec in ${options.id}: pid ${pid} is in the container's cgroups: go`);
    session.go();
    session.serveUntilExec({
      console: (message) => session.ptyMaster = takeConsole(message, options.consoleSocket),
      seccomp: (message) => sendSeccompFd(message, state.seccomp, hookState(state, "running"), pid),
    });
    debug(`exec in ${options.id}: pid ${pid} exec'd the program`);
    if (options.pidFile) writePidFile(options.pidFile, pid);
    return { pid, ptyMaster: session.ptyMaster };
  } catch (error) {
    session.abort();
    throw error;
  } finally {
    session.close();
  }
}

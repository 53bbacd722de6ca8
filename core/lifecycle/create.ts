/**
 * create: validate, build the plan, start the executor, and walk the sync phases with
 * it (id maps, prestart/createRuntime hooks) until the init reports `created`. Any
 * failure kills the init and removes the state directory: nothing is left behind.
 */
import { describeFsError, TsruncError, wrapError } from "../../base/errors.ts";
import * as libcore from "../../ffi/libcore.ts";
import { debug, warn } from "../log.ts";
import { mark } from "../timing.ts";
import { buildPlan, type BuiltPlan, type HostFacts, hostPath } from "../plan/build.ts";
import { gatherHostFacts } from "./host_facts.ts";
import type { LinuxSeccomp, OciSpec } from "../spec/types.ts";
import { parseConfig } from "../spec/validate.ts";
import { runHooks } from "../hooks.ts";
import {
  addProcess,
  createCgroups,
  missingCgroupDirs,
  ownMountSources,
  placeCgroups,
  removeCgroups,
  v1MountSources,
} from "../cgroups/manager.ts";
import { driverFor } from "../cgroups/driver.ts";
import { startUnit, stopUnit } from "../cgroups/systemd.ts";
import type { CgroupRecord } from "../cgroups/record.ts";
import { detachRootfsBind, noteCallerMounts, noteRootfsBind } from "./caller_mounts.ts";
import { applyIntelRdt, checkIntelRdt, removeIntelRdt } from "../cgroups/intel_rdt.ts";
import { hookState, OCI_VERSION } from "../state/oci_state.ts";
import { addNotifyMount, hostNotifySocket, makeNotifyDir } from "./notify.ts";
import { procStat } from "../state/status.ts";
import { ContainerDir, type StoredState } from "../state/store.ts";
import { executorFds, ExecutorSession, REPORT_TIMEOUT_MS, SETUP_TIMEOUT_MS } from "./session.ts";

/** Options of create (and of run's create step). */
export interface CreateOptions {
  root: string;
  id: string;
  bundle?: string;
  pidFile?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /** create and run -d: a terminal's master must go to a console socket. */
  detached: boolean;
  /** Unix socket that receives the pty master (process.terminal). */
  consoleSocket?: string;
  /** Socket-activation fds (LISTEN_FDS) passed as fds 3.., before the preserved ones. */
  listenFds?: number;
  /** --systemd-cgroup: cgroupsPath is slice:prefix:name, for the systemd driver. */
  systemdCgroup?: boolean;
  /** A foreground run's terminal size: the pty starts with it (over process.consoleSize). */
  terminalSize?: { height: number; width: number };
}

/** A created container. */
export interface Created {
  dir: ContainerDir;
  state: StoredState;
  /** The pty master, when the process has a terminal and no console socket took it. */
  ptyMaster?: number;
}

/** Load and validate the bundle's config.json. */
export function loadBundle(bundleArg: string | undefined): { bundle: string; spec: OciSpec } {
  const given = bundleArg ?? ".";
  let bundle: string;
  try {
    bundle = Deno.realPathSync(given);
  } catch (error) {
    throw new TsruncError(`bundle ${given}: ${describeFsError(error)}`);
  }
  const configPath = `${bundle}/config.json`;
  let text: string;
  try {
    text = Deno.readTextFileSync(configPath);
  } catch (error) {
    throw new TsruncError(`config.json: cannot read ${configPath}: ${describeFsError(error)}`);
  }
  return { bundle, spec: parseConfig(text, "config.json", { warn }) };
}

/**
 * What create decides before it touches the host: the validated config, where the
 * container's state and cgroups go, and the plan (create runs it; `explain` prints it).
 * Reads the host (config, rootfs, cgroup layout, host facts); writes nothing.
 */
export interface CreatePreparation {
  bundle: string;
  spec: OciSpec;
  rootfs: string;
  dir: ContainerDir;
  /** The config's process, without what tsrunc adds: exec starts from it. */
  configProcess: OciSpec["process"];
  /** NOTIFY_SOCKET is set: the container gets its socket (notify.ts). */
  notify: boolean;
  /** Socket-activation fds plus --preserve-fds. */
  preserveFds: number;
  cgroups: CgroupRecord;
  built: BuiltPlan;
  /** The plan again, for a host whose cgroups turned out to be out of reach. */
  planWithoutCgroups(): BuiltPlan;
}

/** Validate and decide everything of a create; see CreatePreparation. */
export function prepareCreate(options: CreateOptions): CreatePreparation {
  const { bundle, spec } = loadBundle(options.bundle);
  mark("config read and validated");
  debug(`create ${options.id}: config ${bundle}/config.json is valid`);
  if (!spec.root?.path) throw new TsruncError("config.json: root.path: required");
  const rootfs = hostPath(bundle, spec.root.path);
  try {
    if (!Deno.statSync(rootfs).isDirectory) throw new Error("not a directory");
  } catch (error) {
    throw new TsruncError(`config.json: root.path: rootfs ${rootfs}: ${describeFsError(error)}`);
  }
  checkConsoleSocket(spec.process?.terminal === true, options.detached, options.consoleSocket);
  const dir = new ContainerDir(options.root, options.id);
  // exec starts from the config's process, without what tsrunc adds below.
  const configProcess = spec.process && { ...spec.process, env: spec.process.env };
  if (spec.process?.terminal && options.terminalSize) {
    spec.process.consoleSize = options.terminalSize;
  }
  const notify = hostNotifySocket() !== undefined;
  if (notify) addNotifyMount(spec, dir);
  const listenFds = options.listenFds ?? 0;
  if (listenFds > 0 && spec.process) {
    // systemd socket activation (as runc): the sockets are fds 3.., before --preserve-fds.
    spec.process.env = [...(spec.process.env ?? []), `LISTEN_FDS=${listenFds}`, "LISTEN_PID=1"];
  }
  const preserveFds = listenFds + options.preserveFds;
  const cgroups = placeCgroups(spec, options.id, { systemd: options.systemdCgroup === true });
  checkIntelRdt(spec.linux?.intelRdt, "config.json: linux.intelRdt");
  const host = gatherHostFacts(spec, bundle, rootfs, v1MountSources(cgroups), options.noPivot);
  const makePlan = (lateMemory: string | undefined, host: HostFacts) =>
    buildPlan({
      spec,
      id: options.id,
      bundle,
      rootfs,
      fifoPath: dir.fifoPath,
      noPivot: options.noPivot,
      noNewKeyring: options.noNewKeyring,
      preserveFds,
      // the executor's extra fd: the memory cgroup.procs
      lateCgroupFd: lateMemory ? executorFds(preserveFds).extra : undefined,
      setgroupsDenied: setgroupsDenied(spec),
      proxiedTerminal: !options.consoleSocket,
      host,
    });
  const built = makePlan(driverFor(cgroups).lateMemoryCgroup(), host);
  for (const warning of built.warnings) warn(warning);
  mark("plan built");
  debug(`create ${options.id}: plan of ${built.plan.length} steps for the executor`);
  return {
    bundle,
    spec,
    rootfs,
    dir,
    configProcess,
    notify,
    preserveFds,
    cgroups,
    built,
    // skipped cgroups (no cgroupfs access): a `cgroup` mount shows tsrunc's own
    // cgroups, and the init joins no memory cgroup
    planWithoutCgroups: () =>
      makePlan(undefined, {
        ...host,
        cgroupV1: host.cgroupV1.length > 0 ? ownMountSources() : [],
      }),
  };
}

/** Create a container: on return its init waits for `start`. */
export async function createContainer(options: CreateOptions): Promise<Created> {
  const prepared = prepareCreate(options);
  const { bundle, spec, rootfs, dir, configProcess, notify, preserveFds, cgroups } = prepared;
  let built = prepared.built;
  dir.create();
  const lock = dir.lock();
  // state.json at once: a create killed from here on leaves what `delete --force` needs.
  const state: StoredState = {
    ociVersion: spec.ociVersion,
    id: options.id,
    pid: 0,
    initStartTime: 0,
    bundle,
    rootfs,
    created: new Date().toISOString(),
    owner: "",
    annotations: spec.annotations,
    createdDone: false,
    hooks: { poststart: spec.hooks?.poststart, poststop: spec.hooks?.poststop },
    process: configProcess,
    noNewKeyring: options.noNewKeyring,
    cgroups,
    resources: spec.linux?.resources,
    seccomp: spec.linux?.seccomp,
    callerMounts: (spec.linux?.namespaces ?? []).some((n) => n.type === "mount")
      ? undefined
      : noteCallerMounts(rootfs),
  };
  let ptyMaster: number | undefined;
  try {
    // systemd's unit is made, with its cgroup, once the init exists (runExecutor)
    const systemd = cgroups.systemd !== undefined;
    const created = systemd ? [] : missingCgroupDirs(cgroups);
    dir.write({ ...state, cgroups: { ...cgroups, created } });
    makeExecFifo(dir.fifoPath, spec);
    if (notify) makeNotifyDir(dir);
    if (!systemd) createCgroups(cgroups, spec);
    if (Object.keys(cgroups.dirs).length === 0) built = prepared.planWithoutCgroups();
    dir.write(state);
    mark("cgroups made, state written");
    ptyMaster = await runExecutor(built, spec, dir, state, { ...options, preserveFds });
    mark("created");
    if (state.callerMounts) noteRootfsBind(state.callerMounts);
    state.createdDone = true;
    dir.write(state);
    if (options.pidFile) writePidFile(options.pidFile, state.pid);
    return { dir, state, ptyMaster };
  } catch (error) {
    if (ptyMaster !== undefined) libcore.close(ptyMaster);
    if (state.pid > 0) {
      libcore.kill(state.pid, 9);
      await libcore.waitChild(state.pid).catch(() => 0);
    }
    if (cgroups.systemd && state.pid > 0) await stopUnit(cgroups).catch((e) => warn(e.message));
    removeCgroups(cgroups);
    removeIntelRdt(state.intelRdt);
    if (state.callerMounts) detachRootfsBind(state.callerMounts);
    dir.remove();
    throw error;
  } finally {
    lock.close();
  }
}

/**
 * Walk the executor through its phases; returns the pty master when the process has a
 * terminal and no console socket took it.
 */
async function runExecutor(
  built: BuiltPlan,
  spec: OciSpec,
  dir: ContainerDir,
  state: StoredState,
  options: CreateOptions,
): Promise<number | undefined> {
  const lateMemory = state.cgroups && driverFor(state.cgroups).lateMemoryCgroup();
  const procsFd = lateMemory ? libcore.openWrite(`${lateMemory}/cgroup.procs`) : undefined;
  mark("executor prepared");
  let session: ExecutorSession;
  try {
    session = ExecutorSession.start(
      { ...built, originFile: "config.json" },
      options.preserveFds,
      procsFd,
    );
  } finally {
    if (procsFd !== undefined) libcore.close(procsFd);
  }
  try {
    state.pid = session.waitPid();
    state.initStartTime = procStat(state.pid)?.startTime ?? 0;
    dir.write(state);
    debug(`create ${state.id}: the executor cloned the container's init, pid ${state.pid}`);

    session.waitPhase("ready", REPORT_TIMEOUT_MS);
    debug(`create ${state.id}: init ready: writing id maps, joining it to its cgroups`);
    writeIdMaps(spec, state.pid);
    if (state.cgroups?.systemd) {
      // systemd makes the scope with the init in it; the hierarchies it leaves alone and
      // the files it has no property for are tsrunc's, as with cgroupfs (runc does both)
      await startUnit(state.cgroups, spec, state.id, state.pid);
      createCgroups(state.cgroups, spec, 1);
      dir.write(state);
    }
    if (state.cgroups) addProcess(state.cgroups, state.pid, lateMemory);
    if (spec.linux?.intelRdt) {
      state.intelRdt = applyIntelRdt(spec.linux.intelRdt, state.id, state.pid);
      dir.write(state);
    }
    session.go();
    mark("init placed in cgroups");

    session.waitPhase("prestart", SETUP_TIMEOUT_MS);
    debug(`create ${state.id}: mounts made: running prestart and createRuntime hooks`);
    const creating = hookState(state, "creating");
    await runHooks("prestart", spec.hooks?.prestart ?? [], creating);
    await runHooks("createRuntime", spec.hooks?.createRuntime ?? [], creating);
    session.go(`${creating}\0${hookState(state, "created")}`);

    session.serveUntilPhase("created", {
      console: (message) => session.ptyMaster = takeConsole(message, options.consoleSocket),
      seccomp: (message) =>
        sendSeccompFd(message, spec.linux?.seccomp, hookState(state, "creating"), state.pid),
    });
    debug(`create ${state.id}: created: the init waits for start on its exec fifo`);
    return session.ptyMaster;
  } catch (error) {
    session.abort();
    throw error;
  } finally {
    session.close();
  }
}

/**
 * SCMP_ACT_NOTIFY: the listener fd goes to seccomp.listenerPath with the container
 * process state (runtime-spec: ociVersion, fds, pid, metadata, state), as runc sends it.
 */
export function sendSeccompFd(
  message: libcore.RawMessage,
  seccomp: LinuxSeccomp | undefined,
  stateJson: string,
  pid: number,
): void {
  if (message.fd < 0) throw new TsruncError("the container process sent no seccomp fd");
  try {
    const path = seccomp?.listenerPath;
    if (!path) throw new TsruncError("seccomp notify fd without a listenerPath");
    const processState = JSON.stringify({
      ociVersion: OCI_VERSION,
      fds: ["seccompFd"],
      pid,
      metadata: seccomp?.listenerMetadata ?? "",
      state: JSON.parse(stateJson),
    });
    try {
      libcore.sendFdTo(path, message.fd, processState);
    } catch (error) {
      throw wrapError(`config.json: linux.seccomp.listenerPath`, error);
    }
  } finally {
    libcore.close(message.fd);
  }
}

/**
 * runc's rules: a terminal of a process tsrunc does not wait for must go to a ptyMaster
 * socket, and a console socket needs a terminal.
 */
export function checkConsoleSocket(
  terminal: boolean,
  detached: boolean,
  consoleSocket: string | undefined,
): void {
  if (terminal && detached && !consoleSocket) {
    throw new TsruncError(
      "cannot allocate tty if tsrunc will detach without setting console socket (--console-socket)",
    );
  }
  if (consoleSocket && (!terminal || !detached)) {
    throw new TsruncError("cannot use console socket if tsrunc will not detach or allocate tty");
  }
}

/**
 * The pty master the process sent: handed to the console socket (and closed here), or
 * returned for tsrunc to proxy.
 */
export function takeConsole(
  message: libcore.RawMessage,
  consoleSocket: string | undefined,
): number | undefined {
  if (message.fd < 0) throw new TsruncError("the container process sent no pty");
  if (!consoleSocket) return message.fd;
  try {
    libcore.sendFdTo(consoleSocket, message.fd, message.payload);
  } catch (error) {
    throw wrapError(`--console-socket`, error);
  } finally {
    libcore.close(message.fd);
  }
  return undefined;
}

/**
 * The exec fifo the init opens for writing once set up: owned by the container's root
 * (so the init can open it inside a user namespace), mode 0622 whatever the umask.
 */
function makeExecFifo(path: string, spec: OciSpec): void {
  libcore.mkfifo(path, 0o622);
  Deno.chmodSync(path, 0o622);
  const rootOf = (maps: { containerID: number; hostID: number }[] | undefined) =>
    maps?.find((m) => m.containerID === 0)?.hostID ?? 0;
  const uid = rootOf(spec.linux?.uidMappings);
  const gid = rootOf(spec.linux?.gidMappings);
  if (uid !== 0 || gid !== 0) Deno.chownSync(path, uid, gid);
}

/**
 * uid_map/gid_map of a new user namespace. Root writes them directly. A user writes a
 * mapping of only their own ids directly too (setgroups then has to be "deny"); anything
 * more goes through the setuid helpers newuidmap/newgidmap (Debian's uidmap), which check
 * /etc/subuid and /etc/subgid, as runc does rootless.
 */
function writeIdMaps(spec: OciSpec, pid: number): void {
  const newUserNs = spec.linux?.namespaces?.some((n) => n.type === "user" && !n.path);
  if (!newUserNs) return;
  const uidMaps = spec.linux?.uidMappings ?? [];
  const gidMaps = spec.linux?.gidMappings ?? [];
  const format = (maps: { containerID: number; hostID: number; size: number }[]) =>
    maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join("");
  const root = Deno.uid() === 0;
  try {
    if (root || ownIdOnly(uidMaps, Deno.uid() ?? -1)) {
      Deno.writeTextFileSync(`/proc/${pid}/uid_map`, format(uidMaps));
    } else {
      runIdMapHelper("newuidmap", pid, uidMaps);
    }
    if (root || ownIdOnly(gidMaps, Deno.gid() ?? -1)) {
      if (!root) Deno.writeTextFileSync(`/proc/${pid}/setgroups`, "deny");
      Deno.writeTextFileSync(`/proc/${pid}/gid_map`, format(gidMaps));
    } else {
      runIdMapHelper("newgidmap", pid, gidMaps);
    }
  } catch (error) {
    if (error instanceof TsruncError) throw error;
    throw wrapError("write user namespace id maps", error);
  }
}

function ownIdOnly(maps: { hostID: number; size: number }[], id: number): boolean {
  return maps.length === 1 && maps[0].hostID === id && maps[0].size === 1;
}

/**
 * Whether the container's setgroups will be "deny": a user mapping only their own gid
 * (the kernel requires it); the init then keeps its groups, as runc's rootless does.
 */
function setgroupsDenied(spec: OciSpec): boolean {
  const newUserNs = spec.linux?.namespaces?.some((n) => n.type === "user" && !n.path);
  return newUserNs === true && Deno.uid() !== 0 &&
    ownIdOnly(spec.linux?.gidMappings ?? [], Deno.gid() ?? -1);
}

function runIdMapHelper(
  helper: "newuidmap" | "newgidmap",
  pid: number,
  maps: { containerID: number; hostID: number; size: number }[],
): void {
  const args = [String(pid), ...maps.flatMap((m) => [m.containerID, m.hostID, m.size].map(String))];
  let output: Deno.CommandOutput;
  try {
    output = new Deno.Command(helper, { args, stdout: "null", stderr: "piped" }).outputSync();
  } catch (error) {
    throw new TsruncError(
      `${helper}: ${
        describeFsError(error)
      }: mapping several ids as a user needs ${helper} (Debian package uidmap)`,
    );
  }
  if (!output.success) {
    const reason = new TextDecoder().decode(output.stderr).trim().split("\n").pop();
    throw new TsruncError(
      `${helper} ${args.join(" ")}: ${reason} (see /etc/sub${
        helper === "newuidmap" ? "u" : "g"
      }id)`,
    );
  }
}

/** Write the pid file atomically, as runc does (temp file + rename). */
export function writePidFile(path: string, pid: number): void {
  const temp = `${path}.${Deno.pid}.tmp`;
  try {
    Deno.writeTextFileSync(temp, String(pid));
    Deno.renameSync(temp, path);
  } catch (error) {
    throw wrapError(`write pid file ${path}`, error);
  }
}

/**
 * The state store: one directory per container under the root (mode 0700) holding
 * state.json (written atomically: temp file + rename), the exec fifo, and a lock file
 * that serialises commands on one container.
 */
import { TsruncError, wrapError } from "../../base/errors.ts";
import type { CgroupRecord } from "../cgroups/record.ts";
import type { RdtRecord } from "../cgroups/intel_rdt.ts";
import type { CallerMounts } from "../lifecycle/caller_mounts.ts";
import type { LinuxResources, LinuxSeccomp, OciSpec } from "../spec/types.ts";

/** What tsrunc keeps about a container (runtime-spec state plus its own fields). */
export interface StoredState {
  ociVersion: string;
  id: string;
  /** Host pid of the init; 0 while creating. */
  pid: number;
  /** Start time of the init (field 22 of /proc/PID/stat), to detect pid reuse. */
  initStartTime: number;
  bundle: string;
  rootfs: string;
  /** RFC 3339 creation time. */
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** Set once create has finished. */
  createdDone: boolean;
  /** Hooks `start` and `delete` run (poststart, poststop). */
  hooks?: { poststart?: HookSpec[]; poststop?: HookSpec[] };
  /** The config's process: what `exec` starts from without --process. */
  process?: OciSpec["process"];
  /** create --no-new-keyring: `exec` then joins no session keyring either. */
  noNewKeyring?: boolean;
  /** The container's cgroups (directories, which ones tsrunc made). */
  cgroups?: CgroupRecord;
  /** linux.seccomp: exec'd processes get the same filter. */
  seccomp?: LinuxSeccomp;
  /** The container's Intel RDT (resctrl) group, if any. */
  intelRdt?: RdtRecord;
  /** linux.resources as last applied (create, then each `update`). */
  resources?: LinuxResources;
  /** No mount namespace of its own: its rootfs bind in the caller's, which delete detaches. */
  callerMounts?: CallerMounts;
}

/** A hook as the config gives it. */
export interface HookSpec {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

const ID_PATTERN = /^[\w+\-.]+$/;

/** Check a container id: `^[\w+-.]+$`, never "." or "..". */
export function checkId(id: string | undefined): string {
  if (id === undefined || id === "") throw new TsruncError("container id cannot be empty");
  if (!ID_PATTERN.test(id) || id === "." || id === "..") {
    // JSON quoting keeps an id with a newline on one line of stderr.
    throw new TsruncError(
      `invalid container id ${JSON.stringify(id)}: use letters, digits and + - . _`,
    );
  }
  return id;
}

/** The state directory of one container. */
export class ContainerDir {
  readonly root: string;
  readonly id: string;
  readonly path: string;

  constructor(root: string, id: string) {
    this.root = root;
    this.id = checkId(id);
    this.path = `${root}/${id}`;
  }

  get statePath(): string {
    return `${this.path}/state.json`;
  }

  get fifoPath(): string {
    return `${this.path}/exec.fifo`;
  }

  /**
   * Create the directory; fails if a container with this id exists. The directory of a
   * create that was killed before it wrote state.json is taken over.
   */
  create(): void {
    Deno.mkdirSync(this.root, { recursive: true, mode: 0o711 });
    try {
      Deno.mkdirSync(this.path, { mode: 0o700 });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        if (this.removeIfAbandoned()) return this.create();
        throw new TsruncError(`container with id ${this.id} already exists`);
      }
      throw wrapError(`create state directory ${this.path}`, error);
    }
  }

  /**
   * Remove the directory when it holds no state.json once its lock is ours: the create
   * that made it died before writing any (a live one holds the lock until it has). True
   * when it is gone.
   */
  removeIfAbandoned(): boolean {
    let lock: Deno.FsFile;
    try {
      lock = this.lock();
    } catch {
      return !this.exists();
    }
    try {
      Deno.statSync(this.statePath);
      return false;
    } catch {
      this.remove();
      return true;
    } finally {
      lock.close();
    }
  }

  exists(): boolean {
    try {
      return Deno.statSync(this.path).isDirectory;
    } catch {
      return false;
    }
  }

  /** Read state.json; undefined while a create has not written it yet. */
  read(): StoredState | undefined {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.statePath);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        if (!this.exists()) throw notFound(this.id);
        return undefined;
      }
      throw error;
    }
    try {
      return JSON.parse(text) as StoredState;
    } catch {
      throw new TsruncError(`state of container ${this.id} is corrupt: ${this.statePath}`);
    }
  }

  /** Write state.json atomically. */
  write(state: StoredState): void {
    const temp = `${this.statePath}.${Deno.pid}.tmp`;
    Deno.writeTextFileSync(temp, JSON.stringify(state), { mode: 0o600 });
    Deno.renameSync(temp, this.statePath);
  }

  fifoExists(): boolean {
    try {
      Deno.lstatSync(this.fifoPath);
      return true;
    } catch {
      return false;
    }
  }

  /** Take the container's lock (flock) for the rest of this command. */
  lock(): Deno.FsFile {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(`${this.path}/lock`, { create: true, write: true, mode: 0o600 });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw notFound(this.id);
      throw error;
    }
    file.lockSync(true);
    return file;
  }

  /**
   * Remove the whole directory. It is first renamed out of the way (atomically, to a
   * name no id can have), so a command racing with the delete finds no half-removed
   * container and cannot recreate files in it.
   */
  remove(): void {
    // No id in the name: with a 255-character id it would pass NAME_MAX.
    const doomed = `${this.root}/~deleted-${Deno.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      Deno.renameSync(this.path, doomed);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    Deno.removeSync(doomed, { recursive: true });
  }
}

/** The "does not exist" error, worded as runc's. */
export function notFound(id: string): TsruncError {
  return new TsruncError(`container ${id} does not exist`);
}

/** Ids of every container under root, sorted. */
export function listIds(root: string): string[] {
  const ids: string[] = [];
  try {
    for (const entry of Deno.readDirSync(root)) {
      if (entry.isDirectory && ID_PATTERN.test(entry.name)) ids.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return ids.sort();
}

/**
 * `tsrunc spec`: write a starter config.json into the bundle, as `runc spec` does
 * (runc `spec.go`): tab-indented, no final newline, mode 0666 less the umask, and never
 * over an existing file.
 */

import { defaultSpec } from "../core/spec/default_spec.ts";
import { describeFsError, TsruncError } from "../base/errors.ts";

/** Options of specCommand(). */
export interface SpecCommandOptions {
  /** Bundle directory to write config.json into; default: the current directory. */
  bundle?: string;
  /** Write the rootless variant (`--rootless`). */
  rootless: boolean;
}

/**
 * Write `config.json` into the bundle directory.
 * @param opts bundle directory and variant
 * @throws TsruncError when the bundle is missing or config.json already exists
 */
export async function specCommand(opts: SpecCommandOptions): Promise<void> {
  const bundle = opts.bundle || ".";
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(bundle);
  } catch (error) {
    throw new TsruncError(`bundle ${bundle}: ${describeFsError(error)}`, { cause: error });
  }
  if (!info.isDirectory) throw new TsruncError(`bundle ${bundle}: not a directory`);

  // runc maps the effective ids; Deno only exposes the real ones, so read them from
  // /proc (they differ only under a setuid wrapper). Not needed for the rootful spec.
  const ids = opts.rootless ? await effectiveIds() : { uid: 0, gid: 0 };
  const spec = defaultSpec({ rootless: opts.rootless, uid: ids.uid, gid: ids.gid });
  // Go's json.MarshalIndent(spec, "", "\t"): tabs, and no trailing newline.
  const data = JSON.stringify(spec, null, "\t");
  const path = `${bundle}/config.json`;
  try {
    // createNew (O_EXCL) rather than runc's stat-then-write: no race, and a dangling
    // config.json symlink is refused instead of followed.
    await Deno.writeTextFile(path, data, { createNew: true, mode: 0o666 });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      // runc's exact words.
      throw new TsruncError("File config.json exists. Remove it first", { cause: error });
    }
    throw new TsruncError(`write ${path}: ${describeFsError(error)}`, { cause: error });
  }
}

async function effectiveIds(): Promise<{ uid: number; gid: number }> {
  const status = await Deno.readTextFile("/proc/self/status");
  // "Uid:\treal\teffective\tsaved\tfs"
  const field = (name: string, fallback: number): number => {
    const line = status.split("\n").find((l) => l.startsWith(`${name}:`));
    const value = Number(line?.split(/\s+/)[2]);
    return Number.isInteger(value) ? value : fallback;
  };
  return { uid: field("Uid", Deno.uid() ?? 0), gid: field("Gid", Deno.gid() ?? 0) };
}

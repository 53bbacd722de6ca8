/**
 * The process `exec` starts without --process: the container's own process with
 * runc's command-line overrides. Pure, for unit tests.
 */
import { TsruncError } from "../../base/errors.ts";
import type { Process } from "./types.ts";

/** exec's command-line flags that shape the process. */
export interface ExecOverrides {
  args: string[];
  cwd?: string;
  env: string[];
  tty: boolean;
  /** "uid[:gid]" */
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  selinuxLabel?: string;
}

/** The container's process with the overrides applied (as runc's exec does). */
export function execProcessFromFlags(base: Process | undefined, flags: ExecOverrides): Process {
  if (flags.args.length === 0) {
    throw new TsruncError("exec: a command is required (or --process process.json)");
  }
  const process: Process = structuredClone(base ?? { cwd: "/" }) as Process;
  process.args = flags.args;
  // A terminal only with --tty, whatever the container's process had.
  process.terminal = flags.tty;
  delete process.consoleSize;
  if (flags.cwd) process.cwd = flags.cwd;
  for (const entry of flags.env) {
    if (entry.indexOf("=") <= 0) {
      throw new TsruncError(`--env: invalid environment variable "${entry}" (want NAME=value)`);
    }
  }
  process.env = [...(process.env ?? []), ...flags.env];
  if (flags.apparmorProfile) process.apparmorProfile = flags.apparmorProfile;
  if (flags.selinuxLabel) process.selinuxLabel = flags.selinuxLabel;
  if (flags.noNewPrivileges) process.noNewPrivileges = true;
  if (flags.caps.length > 0) {
    // runc adds them to the bounding, effective and permitted sets.
    const caps = { ...process.capabilities };
    caps.bounding = [...(caps.bounding ?? []), ...flags.caps];
    caps.effective = [...(caps.effective ?? []), ...flags.caps];
    caps.permitted = [...(caps.permitted ?? []), ...flags.caps];
    process.capabilities = caps;
  }
  const user = { ...(process.user ?? { uid: 0, gid: 0 }) };
  if (flags.user) {
    const [uid, gid] = flags.user.split(":", 2);
    user.uid = parseId(uid, "--user", flags.user);
    if (gid !== undefined) user.gid = parseId(gid, "--user", flags.user);
  }
  if (flags.additionalGids.length > 0) {
    user.additionalGids = [
      ...(user.additionalGids ?? []),
      ...flags.additionalGids.map((g) => parseId(g, "--additional-gids", g)),
    ];
  }
  process.user = user;
  return process;
}

function parseId(text: string | undefined, flag: string, given: string): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) > 0xffffffff) {
    throw new TsruncError(`${flag}: invalid id "${given}": want a number (format <uid>[:<gid>])`);
  }
  return Number(text);
}

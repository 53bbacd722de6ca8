/**
 * Intel RDT (linux.intelRdt) through the resctrl file system, as runc: a resctrl group
 * (closID, else the container id) under /sys/fs/resctrl with the schemata lines, and the
 * init in its tasks. Where resctrl is not mounted, asking for it is a clear error.
 */
import { TsruncError, wrapError } from "../../base/errors.ts";
import type { LinuxIntelRdt } from "../spec/types.ts";

const RESCTRL = "/sys/fs/resctrl";

/** What state.json keeps: the group's directory, and whether tsrunc made it. */
export interface RdtRecord {
  dir: string;
  created: boolean;
}

function resctrlMounted(): boolean {
  try {
    return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").some((line) =>
      line.split(" - ")[1]?.startsWith("resctrl ") && line.split(" ")[4] === RESCTRL
    );
  } catch {
    return false;
  }
}

/** The schemata lines a config (or update) asks for. */
export function schemataLines(rdt: LinuxIntelRdt): string[] {
  return [
    ...(rdt.l3CacheSchema ? [rdt.l3CacheSchema] : []),
    ...(rdt.memBwSchema ? [rdt.memBwSchema] : []),
    ...(rdt.schemata ?? []),
  ];
}

/** Check that the host can do what linux.intelRdt asks, before anything is made. */
export function checkIntelRdt(rdt: LinuxIntelRdt | undefined, where: string): void {
  if (!rdt) return;
  if (!resctrlMounted()) {
    throw new TsruncError(
      `${where}: Intel RDT needs the resctrl file system at ${RESCTRL}, which is not mounted here`,
    );
  }
  const name = rdt.closID;
  if (name !== undefined && (name === "" || name.includes("/") || name === "." || name === "..")) {
    throw new TsruncError(`${where}.closID: "${name}" is not a resctrl group name`);
  }
}

/** Make (or join) the resctrl group, write its schemata, and put pid in it. */
export function applyIntelRdt(rdt: LinuxIntelRdt, id: string, pid: number): RdtRecord {
  const dir = `${RESCTRL}/${rdt.closID ?? id}`;
  let created = false;
  try {
    Deno.mkdirSync(dir);
    created = true;
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      throw wrapError(`resctrl group ${dir}`, error);
    }
  }
  try {
    writeSchemata(dir, schemataLines(rdt));
    Deno.writeTextFileSync(`${dir}/tasks`, String(pid));
  } catch (error) {
    if (created) Deno.removeSync(dir);
    throw error;
  }
  return { dir, created };
}

/** Write schemata lines (update --l3-cache-schema / --mem-bw-schema too). */
export function writeSchemata(dir: string, lines: string[]): void {
  for (const line of lines) {
    try {
      Deno.writeTextFileSync(`${dir}/schemata`, line + "\n");
    } catch (error) {
      throw wrapError(`resctrl ${dir}/schemata: "${line}"`, error);
    }
  }
}

/** delete: remove the group if tsrunc made it. */
export function removeIntelRdt(record: RdtRecord | undefined): void {
  if (!record?.created) return;
  try {
    Deno.removeSync(record.dir);
  } catch {
    // gone already, or the kernel still holds it: nothing of the host's is at stake
  }
}

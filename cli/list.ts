/** tsrunc list [--format table|json] [--quiet] */
import { TsruncError } from "../base/errors.ts";
import type { CommandContext } from "./commands.ts";
import { containerStatus } from "../core/state/status.ts";
import { stateOutput } from "../core/state/oci_state.ts";
import { ContainerDir, listIds } from "../core/state/store.ts";
import { writeOut } from "./output.ts";

/** Run the command. */
export function run(ctx: CommandContext): Promise<number> {
  const format = ctx.flags.format;
  if (format !== "table" && format !== "json") {
    throw new TsruncError(`invalid format option "${format}": use table or json`);
  }
  const rows = [];
  for (const id of listIds(ctx.globals.root)) {
    const dir = new ContainerDir(ctx.globals.root, id);
    let state;
    try {
      state = dir.read();
    } catch {
      continue; // deleted meanwhile
    }
    if (!state) continue;
    rows.push(stateOutput(state, containerStatus(dir, state), ownerOf(dir.path)));
  }
  if (ctx.flags.quiet) {
    writeOut(rows.map((r) => `${r.id}\n`).join(""));
  } else if (format === "json") {
    writeOut(JSON.stringify(rows) + "\n");
  } else {
    writeOut(table([
      ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"],
      ...rows.map((r) => [r.id, r.pid, r.status, r.bundle, r.created, r.owner].map(String)),
    ]));
  }
  return Promise.resolve(0);
}

/** Go's tabwriter as runc sets it up: minwidth 12, padding 3; the last column unpadded. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows.map((r) =>
    r.map((cell, col) => col === r.length - 1 ? cell : cell.padEnd(Math.max(12, widths[col] + 3)))
      .join("") + "\n"
  ).join("");
}

/** The user owning the state directory, by name, as runc shows it. */
function ownerOf(path: string): string {
  let uid: number | null = null;
  try {
    uid = Deno.statSync(path).uid;
  } catch {
    return "";
  }
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const fields = line.split(":");
      if (fields[2] === String(uid)) return fields[0];
    }
  } catch {
    // no passwd: the number will do
  }
  return `#${uid}`;
}

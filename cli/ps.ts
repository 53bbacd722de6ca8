/** tsrunc ps [--format table|json] <container-id> [ps options] */
import type { CommandContext } from "./commands.ts";
import { TsruncError, wrapError } from "../base/errors.ts";
import { openContainer } from "../core/lifecycle/open.ts";
import { containerPids } from "../core/lifecycle/processes.ts";
import { writeOut } from "./output.ts";

/** Run the command. */
export async function run(ctx: CommandContext): Promise<number> {
  const [id, ...rest] = ctx.args;
  const pids = pidsOf(ctx.globals.root, id);
  const format = ctx.flags.format;
  if (format === "json") {
    writeOut(JSON.stringify(pids) + "\n");
    return 0;
  }
  if (format !== "table") {
    throw new TsruncError(`invalid format option "${format}": use table or json`);
  }
  const psArgs = rest[0] === "--" ? rest.slice(1) : rest;
  const output = await runPs(psArgs.length > 0 ? psArgs : ["-ef"]);
  writeOut(filterPsOutput(output, pids));
  return 0;
}

/**
 * The host pids of the container: those left in its cgroups once it stopped (none, as a
 * rule: runc then prints the header only).
 */
function pidsOf(root: string, id: string): number[] {
  const opened = openContainer(root, id);
  try {
    try {
      return containerPids(opened.state);
    } catch (error) {
      if (opened.status === "stopped") return []; // no cgroups (any more)
      throw error;
    }
  } finally {
    opened.unlock();
  }
}

/** Run the host's ps with args; its stdout, or an error naming ps and what it said. */
async function runPs(args: string[]): Promise<string> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command("ps", { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .output();
  } catch (error) {
    throw wrapError("run ps", error);
  }
  const decoder = new TextDecoder();
  const stdout = decoder.decode(result.stdout);
  const stderr = decoder.decode(result.stderr);
  if (!result.success) {
    // One line: procps puts the error first, then a blank line and its usage.
    const said = (stderr.trim() || stdout.trim()).split(/\n\s*\n/)[0].replace(/\s+/g, " ");
    const status = result.signal ? `signal ${result.signal}` : `exit status ${result.code}`;
    throw new TsruncError(`ps ${args.join(" ")}: ${status}${said ? `: ${said}` : ""}`);
  }
  // procps warns on stderr (e.g. "bad syntax, perhaps a bogus '-'?") yet succeeds.
  if (stderr) Deno.stderr.writeSync(result.stderr);
  return stdout;
}

/**
 * Keep the header of ps output and the lines whose PID column (found by name in the
 * header, as runc does) is one of pids; blank lines are dropped. Throws when the header
 * has no PID column or a line's PID field is not a number.
 * @param output what ps printed
 * @param pids host pids to keep
 */
export function filterPsOutput(output: string, pids: readonly number[]): string {
  const [header, ...lines] = output.split("\n");
  const pidIndex = header.trim().split(/\s+/).indexOf("PID");
  if (pidIndex < 0) throw new TsruncError("couldn't find PID field in ps output");
  const wanted = new Set(pids);
  let kept = header + "\n";
  for (const line of lines) {
    if (line.trim() === "") continue;
    const field = line.trim().split(/\s+/)[pidIndex];
    if (field === undefined || !/^\d+$/.test(field)) {
      throw new TsruncError(`unable to parse pid: ${JSON.stringify(field ?? line)}`);
    }
    if (wanted.has(Number(field))) kept += line + "\n";
  }
  return kept;
}

/** tsrunc update [flags] <container-id>, or -r FILE|- with a JSON LinuxResources. */
import type { CommandContext } from "./commands.ts";
import { wrapError } from "../base/errors.ts";
import { updateContainer } from "../core/lifecycle/update.ts";
import { intelRdtFromFlags, updateFromFlags } from "../core/cgroups/update_flags.ts";
import { parseResources } from "../core/spec/validate.ts";
import { warn } from "../core/log.ts";
import { UPDATE_VALUE_FLAGS } from "./commands.ts";

/** Run the command. */
export async function run(ctx: CommandContext): Promise<number> {
  const file = ctx.flags.resources as string | undefined;
  let patch;
  let rdt;
  if (file !== undefined) {
    const text = file === "-" ? await readStdin() : readFile(file);
    patch = parseResources(text, file === "-" ? "resources (stdin)" : file);
  } else {
    const values: Record<string, string | undefined> = {};
    for (const name of UPDATE_VALUE_FLAGS) values[name] = ctx.flags[name] as string | undefined;
    const warnings: string[] = [];
    patch = updateFromFlags(values, warnings);
    for (const warning of warnings) warn(warning);
    rdt = intelRdtFromFlags(values);
  }
  await updateContainer(ctx.globals.root, ctx.args[0], patch, rdt);
  return 0;
}

function readFile(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    throw wrapError(`--resources ${path}`, error);
  }
}

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

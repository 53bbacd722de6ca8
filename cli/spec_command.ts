/** tsrunc spec [--bundle DIR] [--rootless] */
import type { CommandContext } from "./commands.ts";
import { specCommand } from "./spec.ts";

/** Run the command. */
export async function run(ctx: CommandContext): Promise<number> {
  await specCommand({
    bundle: ctx.flags.bundle as string | undefined,
    rootless: ctx.flags.rootless === true,
  });
  return 0;
}

/** tsrunc start <container-id> */
import type { CommandContext } from "./commands.ts";
import { startContainer } from "../core/lifecycle/start.ts";

/** Run the command. */
export async function run(ctx: CommandContext): Promise<number> {
  await startContainer(ctx.globals.root, ctx.args[0]);
  return 0;
}

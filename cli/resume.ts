/** tsrunc resume <container-id> */
import type { CommandContext } from "./commands.ts";
import { pauseContainer } from "../core/lifecycle/pause.ts";

/** Run the command. */
export function run(ctx: CommandContext): Promise<number> {
  pauseContainer(ctx.globals.root, ctx.args[0], false);
  return Promise.resolve(0);
}

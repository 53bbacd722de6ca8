/** tsrunc delete [--force] <container-id> */
import type { CommandContext } from "./commands.ts";
import { deleteContainer } from "../core/lifecycle/delete.ts";

/** Run the command. */
export async function run(ctx: CommandContext): Promise<number> {
  await deleteContainer(ctx.globals.root, ctx.args[0], ctx.flags.force === true);
  return 0;
}

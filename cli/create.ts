/** tsrunc create [options] <container-id> */
import type { CommandContext } from "./commands.ts";
import { createContainer } from "../core/lifecycle/create.ts";
import { createOptions } from "./create_options.ts";

/** Run the command. */
export async function run(ctx: CommandContext): Promise<number> {
  await createContainer(createOptions(ctx, true));
  return 0;
}

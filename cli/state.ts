/** tsrunc state <container-id> */
import type { CommandContext } from "./commands.ts";
import { openContainer } from "../core/lifecycle/open.ts";
import { stateOutput } from "../core/state/oci_state.ts";
import { writeOut } from "./output.ts";

/** Run the command. */
export function run(ctx: CommandContext): Promise<number> {
  const opened = openContainer(ctx.globals.root, ctx.args[0]);
  opened.unlock();
  writeOut(JSON.stringify(stateOutput(opened.state, opened.status), null, 2) + "\n");
  return Promise.resolve(0);
}

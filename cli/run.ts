/** tsrunc run [options] <container-id>: create + start, then wait and delete. */
import type { CommandContext } from "./commands.ts";
import * as libcore from "../ffi/libcore.ts";
import { createContainer } from "../core/lifecycle/create.ts";
import { deleteContainer } from "../core/lifecycle/delete.ts";
import { startContainer } from "../core/lifecycle/start.ts";
import { createOptions } from "./create_options.ts";
import { waitInForeground } from "./foreground.ts";

/** Run the command; the exit status is the container's (128+N for signal N). */
export async function run(ctx: CommandContext): Promise<number> {
  const detach = ctx.flags.detach === true;
  const { state, ptyMaster } = await createContainer(createOptions(ctx, detach));
  const root = ctx.globals.root;
  const id = ctx.args[0];
  if (detach) {
    try {
      await startContainer(root, id);
    } catch (error) {
      await deleteContainer(root, id, true).catch(() => {});
      throw error;
    }
    return 0;
  }
  try {
    await startContainer(root, id);
  } catch (error) {
    if (ptyMaster !== undefined) libcore.close(ptyMaster);
    await deleteContainer(root, id, true).catch(() => {});
    throw error;
  }
  const status = await waitInForeground(state.pid, ptyMaster);
  if (ctx.flags.keep !== true) await deleteContainer(root, id, true);
  return status;
}

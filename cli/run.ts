/** tsrunc run [options] <container-id>: create + start, then wait and delete. */
import type { CommandContext } from "./commands.ts";
import * as libcore from "../ffi/libcore.ts";
import { createContainer } from "../core/lifecycle/create.ts";
import { deleteContainer } from "../core/lifecycle/delete.ts";
import { startContainer } from "../core/lifecycle/start.ts";
import { createOptions } from "./create_options.ts";

/** Signals the foreground run passes on to the container's init. */
const FORWARDED: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
const NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
};

/** Run the command; the exit status is the container's (128+N for signal N). */
export async function run(ctx: CommandContext): Promise<number> {
  const detach = ctx.flags.detach === true;
  const { state } = await createContainer(createOptions(ctx, detach));
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
  const forwarders = FORWARDED.map((signal) => {
    const handler = () => libcore.kill(state.pid, NUMBERS[signal]!);
    Deno.addSignalListener(signal, handler);
    return () => Deno.removeSignalListener(signal, handler);
  });
  try {
    try {
      await startContainer(root, id);
    } catch (error) {
      await deleteContainer(root, id, true).catch(() => {});
      throw error;
    }
    const status = await libcore.waitChild(state.pid);
    if (ctx.flags.keep !== true) await deleteContainer(root, id, true);
    return status;
  } finally {
    for (const remove of forwarders) remove();
  }
}

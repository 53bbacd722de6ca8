/** tsrunc start <container-id> */
import type { CommandContext } from "./commands.ts";
import * as libcore from "../ffi/libcore.ts";
import { forwardReady, hostNotifySocket, listenNotify } from "../core/lifecycle/notify.ts";
import { startContainer } from "../core/lifecycle/start.ts";
import { ContainerDir } from "../core/state/store.ts";

/** Run the command; with NOTIFY_SOCKET it returns once the container said READY=1. */
export async function run(ctx: CommandContext): Promise<number> {
  const [root, id] = [ctx.globals.root, ctx.args[0]];
  const notifyHost = hostNotifySocket();
  const notifyFd = notifyHost ? listenNotify(new ContainerDir(root, id)) : undefined;
  let pid: number;
  try {
    pid = await startContainer(root, id);
  } catch (error) {
    if (notifyFd !== undefined) libcore.close(notifyFd);
    throw error;
  }
  if (notifyFd !== undefined) await forwardReady(notifyFd, notifyHost!, pid);
  return 0;
}

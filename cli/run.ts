/** tsrunc run [options] <container-id>: create + start, then wait and delete. */
import type { CommandContext } from "./commands.ts";
import * as libcore from "../ffi/libcore.ts";
import { createContainer } from "../core/lifecycle/create.ts";
import { deleteContainer } from "../core/lifecycle/delete.ts";
import { forwardReady, hostNotifySocket, listenNotify } from "../core/lifecycle/notify.ts";
import { startContainer } from "../core/lifecycle/start.ts";
import { createOptions } from "./create_options.ts";
import { mark } from "../core/timing.ts";
import { waitInitGone } from "../core/lifecycle/processes.ts";
import { SignalForwarder, waitInForeground } from "./foreground.ts";

/** Run the command; the exit status is the container's (128+N for signal N). */
export async function run(ctx: CommandContext): Promise<number> {
  const detach = ctx.flags.detach === true;
  // Listening starts before the container does: no signal is lost in between.
  const forwarder = detach ? undefined : new SignalForwarder();
  let created;
  try {
    created = await createContainer(createOptions(ctx, detach));
  } catch (error) {
    forwarder?.stop();
    throw error;
  }
  const { dir, state, ptyMaster } = created;
  const root = ctx.globals.root;
  const id = ctx.args[0];
  const notifyHost = hostNotifySocket();
  let notifyFd: number | undefined;
  try {
    if (notifyHost) notifyFd = listenNotify(dir);
    await startContainer(root, id);
  } catch (error) {
    forwarder?.stop();
    if (ptyMaster !== undefined) libcore.close(ptyMaster);
    if (notifyFd !== undefined) libcore.close(notifyFd);
    // An init that failed between `created` and execve (RLIMIT_NOFILE 0 cannot open the
    // exec fifo) has said why on the container's stderr, which is ours: its exit status
    // is the answer, not a second line that it stopped.
    // (It may still be exiting as start notices: a moment is allowed for that.)
    const initFailed = !detach && waitInitGone(state, 1000);
    const status = initFailed ? await libcore.waitChild(state.pid).catch(() => -1) : -1;
    await deleteContainer(root, id, true).catch(() => {});
    if (status > 0) return status;
    throw error;
  }
  if (detach) {
    if (notifyFd !== undefined) await forwardReady(notifyFd, notifyHost!, state.pid);
    return 0;
  }
  mark("started");
  const exited = waitInForeground(state.pid, ptyMaster, forwarder);
  const forwarded = notifyFd !== undefined
    ? forwardReady(notifyFd, notifyHost!, state.pid, exited)
    : undefined;
  const status = await exited;
  await forwarded;
  mark("exited");
  if (ctx.flags.keep !== true) await deleteContainer(root, id, true);
  mark("deleted");
  return status;
}

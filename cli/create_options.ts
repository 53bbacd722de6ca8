/** The flags create and run share, as CreateOptions. */
import type { CreateOptions } from "../core/lifecycle/create.ts";
import type { CommandContext } from "./commands.ts";

/** CreateOptions from create/run flags. */
export function createOptions(ctx: CommandContext, detached: boolean): CreateOptions {
  const { flags } = ctx;
  return {
    root: ctx.globals.root,
    id: ctx.args[0],
    bundle: flags.bundle as string | undefined,
    pidFile: flags["pid-file"] as string | undefined,
    noPivot: flags["no-pivot"] === true,
    noNewKeyring: flags["no-new-keyring"] === true,
    preserveFds: Number(flags["preserve-fds"] ?? 0),
    detached,
    consoleSocket: flags["console-socket"] as string | undefined,
    listenFds: listenFds(),
  };
}

/** LISTEN_FDS when systemd's socket activation addressed it to this process (as runc). */
function listenFds(): number {
  const count = Number(Deno.env.get("LISTEN_FDS"));
  if (!Number.isInteger(count) || count <= 0) return 0;
  return Deno.env.get("LISTEN_PID") === String(Deno.pid) ? count : 0;
}

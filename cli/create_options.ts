/** The flags create and run share, as CreateOptions. */
import { TsruncError } from "../base/errors.ts";
import type { CreateOptions } from "../core/lifecycle/create.ts";
import type { CommandContext } from "./commands.ts";
import { outerTerminalSize } from "./foreground.ts";

/** CreateOptions from create/run flags. */
export function createOptions(ctx: CommandContext, detached: boolean): CreateOptions {
  const { flags } = ctx;
  const listen = listenFds();
  const preserveFds = Number(flags["preserve-fds"] ?? 0);
  checkPassedFds(listen + preserveFds);
  return {
    root: ctx.globals.root,
    id: ctx.args[0],
    bundle: flags.bundle as string | undefined,
    pidFile: flags["pid-file"] as string | undefined,
    noPivot: flags["no-pivot"] === true,
    noNewKeyring: flags["no-new-keyring"] === true,
    preserveFds,
    detached,
    consoleSocket: flags["console-socket"] as string | undefined,
    listenFds: listen,
    systemdCgroup: ctx.globals.systemdCgroup,
    terminalSize: detached ? undefined : outerTerminalSize(),
  };
}

/** LISTEN_FDS when systemd's socket activation addressed it to this process (as runc). */
function listenFds(): number {
  const count = Number(Deno.env.get("LISTEN_FDS"));
  if (!Number.isInteger(count) || count <= 0) return 0;
  return Deno.env.get("LISTEN_PID") === String(Deno.pid) ? count : 0;
}

/**
 * Fds 3..3+count-1 must have come from tsrunc's caller: the launcher counts them
 * (TSRUNC_PASSED_FDS). Anything past them would be one of Deno's own descriptors.
 */
export function checkPassedFds(count: number): void {
  const passed = Deno.env.get("TSRUNC_PASSED_FDS");
  if (passed === undefined || count <= Number(passed)) return;
  throw new TsruncError(
    `--preserve-fds: fd ${3 + Number(passed)} was not passed to tsrunc (${passed} fds from 3 were)`,
  );
}

/** tsrunc exec [options] <container-id> <command> [args...] | -p process.json <container-id> */
import type { CommandContext } from "./commands.ts";
import { wrapError } from "../base/errors.ts";
import { execProcess } from "../core/lifecycle/exec.ts";
import type { ExecOverrides } from "../core/spec/exec_process.ts";
import type { Process } from "../core/spec/types.ts";
import { parseProcess } from "../core/spec/validate.ts";
import { checkPassedFds } from "./create_options.ts";
import { outerTerminalSize, SignalForwarder, waitInForeground } from "./foreground.ts";

/** Run the command; the exit status is the process's (128+N for signal N) or 0 with -d. */
export async function run(ctx: CommandContext): Promise<number> {
  const { flags } = ctx;
  const [id, ...args] = ctx.args;
  const detach = flags.detach === true;
  checkPassedFds(Number(flags["preserve-fds"] ?? 0));
  // Listening starts now: a signal that comes while the process starts is not lost.
  const forwarder = detach ? undefined : new SignalForwarder();
  let started;
  try {
    started = execProcess({
      root: ctx.globals.root,
      id,
      process: processOf(ctx, args),
      terminalSize: detach ? undefined : outerTerminalSize(),
      detach,
      pidFile: flags["pid-file"] as string | undefined,
      consoleSocket: flags["console-socket"] as string | undefined,
      preserveFds: Number(flags["preserve-fds"] ?? 0),
      ignorePaused: flags["ignore-paused"] === true,
      cgroups: flags.cgroup as string[],
    });
  } catch (error) {
    forwarder?.stop();
    throw error;
  }
  if (!forwarder) return 0;
  return await waitInForeground(started.pid, started.ptyMaster, forwarder);
}

/**
 * The process: a --process file, read and validated here, or the flags' overrides of the
 * container's own process (core applies them to it).
 */
function processOf(
  ctx: CommandContext,
  args: string[],
): { file: Process } | { overrides: ExecOverrides } {
  const { flags } = ctx;
  const path = flags.process as string | undefined;
  if (path) {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (error) {
      throw wrapError(`process.json: cannot read ${path}`, error);
    }
    return { file: parseProcess(text, "process.json") };
  }
  return {
    overrides: {
      args,
      cwd: flags.cwd as string | undefined,
      env: flags.env as string[],
      tty: flags.tty === true,
      user: flags.user as string | undefined,
      additionalGids: flags["additional-gids"] as string[],
      caps: flags.cap as string[],
      noNewPrivileges: flags["no-new-privs"] === true ? true : undefined,
      apparmorProfile: flags.apparmor as string | undefined,
      selinuxLabel: flags["process-label"] as string | undefined,
    },
  };
}

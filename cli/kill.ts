/** tsrunc kill [--all] <container-id> [signal] */
import type { CommandContext } from "./commands.ts";
import { killContainer } from "../core/lifecycle/kill.ts";
import { parseSignal } from "./signals.ts";

/** Run the command. */
export function run(ctx: CommandContext): Promise<number> {
  const signal = parseSignal(ctx.args[1] ?? "SIGTERM");
  killContainer(ctx.globals.root, ctx.args[0], signal, ctx.flags.all === true);
  return Promise.resolve(0);
}

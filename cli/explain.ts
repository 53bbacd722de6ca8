/** tsrunc explain [create options] [<container-id>]: what create would do, done nothing. */
import type { CommandContext } from "./commands.ts";
import { explainCreate } from "../core/lifecycle/explain.ts";
import { createOptions } from "./create_options.ts";
import { writeOut } from "./output.ts";

/** The id explained when none is given: only names (keyring, state path) depend on it. */
const DEFAULT_ID = "container";

/** Run the command. */
export function run(ctx: CommandContext): Promise<number> {
  // With --console-socket, as create (detached); without, as a foreground run, so that
  // a terminal config explains without one.
  const detached = ctx.flags["console-socket"] !== undefined;
  const args = ctx.args.length ? ctx.args : [DEFAULT_ID];
  const options = createOptions({ ...ctx, args }, detached);
  writeOut(explainCreate(options).join("\n") + "\n");
  return Promise.resolve(0);
}

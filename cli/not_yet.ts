/** Commands whose issue has not been done yet say so plainly. */
import { TsruncError } from "../base/errors.ts";
import type { CommandModule } from "./commands.ts";

/** A command module that fails with a clear message. */
export function notYet(name: string, issue: number): CommandModule {
  return {
    run(): Promise<number> {
      const where = issue ? ` (issue #${issue})` : "";
      return Promise.reject(new TsruncError(`${name}: not implemented yet${where}`));
    },
  };
}

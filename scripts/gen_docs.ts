/**
 * Write the man pages and the bash completion from the command table (cli/commands.ts),
 * the source --help is made from. `make docs` runs it:
 *
 *   deno run --allow-read --allow-write scripts/gen_docs.ts \
 *     --man build/man --completion build/completion/tsrunc.bash
 *
 * Each output is written to a temporary file and renamed, and left alone when
 * unchanged. Man pages of commands that no longer exist are removed from the directory.
 */
import { COMMANDS, GLOBAL_FLAGS } from "../cli/commands.ts";
import { bashCompletion } from "../cli/completion.ts";
import { manPages } from "../cli/man_pages.ts";
import { signalNames } from "../cli/signals.ts";
import { VERSION } from "../cli/version.ts";

const USAGE = "usage: gen_docs.ts [--man DIR] [--completion FILE]";

/** Write text to path by rename, unless the file already holds it. */
function put(path: string, text: string): void {
  try {
    if (Deno.readTextFileSync(path) === text) return;
  } catch { /* not there yet */ }
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, text);
  Deno.renameSync(tmp, path);
}

function parseArgs(args: string[]): { man?: string; completion?: string } {
  const out: { man?: string; completion?: string } = {};
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined) throw new Error(USAGE);
    if (flag === "--man") out.man = value;
    else if (flag === "--completion") out.completion = value;
    else throw new Error(USAGE);
  }
  if (!out.man && !out.completion) throw new Error(USAGE);
  return out;
}

function main(args: string[]): number {
  let options;
  try {
    options = parseArgs(args);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (options.man) {
    Deno.mkdirSync(options.man, { recursive: true });
    const pages = manPages({ commands: COMMANDS, globalFlags: GLOBAL_FLAGS, version: VERSION });
    for (const [name, text] of pages) put(`${options.man}/${name}`, text);
    for (const entry of Deno.readDirSync(options.man)) {
      if (/^tsrunc(-.*)?\.8$/.test(entry.name) && !pages.has(entry.name)) {
        Deno.removeSync(`${options.man}/${entry.name}`);
      }
    }
  }
  if (options.completion) {
    const dir = options.completion.replace(/\/[^/]*$/, "");
    if (dir !== options.completion && dir !== "") Deno.mkdirSync(dir, { recursive: true });
    put(
      options.completion,
      bashCompletion({ commands: COMMANDS, globalFlags: GLOBAL_FLAGS, signals: signalNames() }),
    );
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(main(Deno.args));
}

/**
 * tsrunc: an OCI container runtime compatible with runc. This entry parses the global
 * flags, then imports only the module of the command asked for (start-up is the
 * budget: every engine call is a fresh process).
 */
import { COMMANDS, GLOBAL_FLAGS, type Globals } from "./cli/commands.ts";
import { parseFlags } from "./cli/flags.ts";
import { osErrorText, TsruncError } from "./base/errors.ts";
import { configureLog, logError } from "./core/log.ts";
import { mark } from "./core/timing.ts";

/** Run tsrunc with argv; returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  mark("main");
  let failureStatus = 1;
  try {
    // Global flags stop at the command name.
    const global = parseFlags(argv, GLOBAL_FLAGS, true, "tsrunc");
    const logFormat = String(global.flags["log-format"]);
    if (logFormat !== "text" && logFormat !== "json") {
      throw new TsruncError(`invalid log-format "${logFormat}": use text or json`);
    }
    const globals: Globals = {
      root: stateRoot(String(global.flags.root)),
      log: global.flags.log as string | undefined,
      logFormat,
      debug: global.flags.debug === true,
      systemdCgroup: global.flags["systemd-cgroup"] === true,
    };
    configureLog({ file: globals.log, format: logFormat, debug: globals.debug });
    if (global.flags.version) {
      const { versionText } = await import("./cli/version.ts");
      await write(versionText());
      return 0;
    }
    const [name, ...rest] = global.args;
    if (name === undefined || global.flags.help || name === "help" && rest.length === 0) {
      const { mainHelp } = await import("./cli/help.ts");
      await write(mainHelp());
      return 0;
    }
    const helpFor = name === "help" ? rest[0] : undefined;
    const command = COMMANDS.find((c) => c.name === (helpFor ?? name));
    if (!command) {
      // runc's (urfave/cli's) words, which scripts look for
      throw new TsruncError(
        `No help topic for '${helpFor ?? name}': not a tsrunc command (tsrunc --help lists them)`,
      );
    }
    const where = `tsrunc ${command.name}`;
    const wantsHelp = helpFor !== undefined ||
      (!command.stopAtArg && rest.some((a) => a === "-h" || a === "--help")) ||
      (command.stopAtArg && (rest[0] === "-h" || rest[0] === "--help"));
    if (wantsHelp) {
      const { commandHelp } = await import("./cli/help.ts");
      await write(commandHelp(command));
      return 0;
    }
    const parsed = parseFlags(rest, command.flags, command.stopAtArg === true, where);
    // Flag errors above exit 1; exec's own failures exit 255, as runc's.
    failureStatus = command.failureStatus ?? 1;
    checkArgCount(where, command.args, parsed.args.length);
    const module = await command.load();
    mark(`loaded ${command.name}`);
    return await module.run({ globals, flags: parsed.flags, args: parsed.args });
  } catch (error) {
    report(error);
    return failureStatus;
  }
}

/**
 * --root; by default /run/tsrunc, or $XDG_RUNTIME_DIR/tsrunc for a user who is not root
 * (as runc's rootless default).
 */
function stateRoot(flag: string): string {
  const xdg = Deno.env.get("XDG_RUNTIME_DIR");
  if (flag === "/run/tsrunc" && Deno.uid() !== 0 && xdg) return `${xdg}/tsrunc`;
  return flag;
}

function checkArgCount(where: string, expected: number | [number, number], got: number): void {
  const [min, max] = typeof expected === "number" ? [expected, expected] : expected;
  if (got >= min && got <= max) return;
  const wanted = min === max
    ? `exactly ${min}`
    : max === Infinity
    ? `at least ${min}`
    : `between ${min} and ${max}`;
  throw new TsruncError(`${where}: requires ${wanted} argument(s), got ${got}`);
}

/** Print the error once, on stderr (and in the --log file). */
function report(error: unknown): void {
  const message = error instanceof TsruncError ? error.message : osErrorText(error) ??
    (error instanceof Error ? `internal error: ${error.message}` : String(error));
  logError(message);
  console.error(`tsrunc: ${message}`);
  if (!(error instanceof TsruncError) && Deno.env.get("TSRUNC_TRACE")) console.error(error);
}

async function write(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += await Deno.stdout.write(bytes.subarray(written));
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

/**
 * runc-style help text, generated from the command table. The man pages and the bash
 * completion (scripts/gen_docs.ts) are made from the same pieces.
 */
import { COMMANDS, type CommandSpec, GLOBAL_FLAGS } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";

/** The one-line summary of the program (help's NAME, the man page's NAME). */
export const PROGRAM_SUMMARY = "Open Container Initiative runtime written in TypeScript";

/** The paragraph under the program's NAME. */
export const PROGRAM_DESCRIPTION =
  `tsrunc is a command line client for running applications packaged according to
the Open Container Initiative (OCI) format and is a compliant implementation of the
Open Container Initiative specification, compatible with runc.`;

/** The summary of `tsrunc help`, listed with the commands. */
export const HELP_COMMAND_SUMMARY = "Shows a list of commands or help for one command";

/** The --help flag every command has besides its own. */
export const HELP_FLAG: FlagSpec = { name: "help", short: "h", kind: "bool", usage: "show help" };

/** The flags help shows: hidden ones left out. */
export function visibleFlags(flags: readonly FlagSpec[]): FlagSpec[] {
  return flags.filter((f) => !f.hidden);
}

/** A command's flags as its help lists them: its own visible ones, then --help. */
export function commandFlags(command: CommandSpec): FlagSpec[] {
  return [...visibleFlags(command.flags), HELP_FLAG];
}

/** A flag's usage text, with its default when the text does not already say it. */
export function flagUsage(flag: FlagSpec): string {
  const showDefault = flag.default !== undefined && flag.kind !== "bool" && flag.default !== 0 &&
    !flag.usage.includes("default");
  return showDefault ? `${flag.usage} (default: ${JSON.stringify(flag.default)})` : flag.usage;
}

function flagLines(flags: readonly FlagSpec[]): string {
  const rows = visibleFlags(flags).map((f) => {
    const value = f.placeholder ? ` ${f.placeholder}` : "";
    const names = [`--${f.name}${value}`, ...(f.short ? [`-${f.short}${value}`] : [])].join(", ");
    return [names, flagUsage(f)] as const;
  });
  const width = Math.max(0, ...rows.map(([n]) => n.length));
  return rows.map(([n, u]) => `   ${n.padEnd(width)}  ${u}`).join("\n");
}

/** Help of the whole program. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  const commands = COMMANDS.map((c) => `     ${c.name.padEnd(width)}  ${c.summary}`);
  commands.push(`     ${"help".padEnd(width)}  ${HELP_COMMAND_SUMMARY}`);
  return `NAME:
   tsrunc - ${PROGRAM_SUMMARY}

${PROGRAM_DESCRIPTION}

USAGE:
   tsrunc [global options] command [command options] [arguments...]

COMMANDS:
${commands.join("\n")}

GLOBAL OPTIONS:
${flagLines(GLOBAL_FLAGS)}
`;
}

/** Help of one command. */
export function commandHelp(command: CommandSpec): string {
  const args = command.argsUsage ? ` ${command.argsUsage}` : "";
  const description = command.description
    ? `\nDESCRIPTION:\n${command.description.split("\n").map((l) => `   ${l}`).join("\n")}\n`
    : "";
  return `NAME:
   tsrunc ${command.name} - ${command.summary}

USAGE:
   tsrunc ${command.name} [command options]${args}
${description}
OPTIONS:
${flagLines(commandFlags(command))}
`;
}

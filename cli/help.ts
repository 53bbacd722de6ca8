/** runc-style help text, generated from the command table. */
import { COMMANDS, type CommandSpec, GLOBAL_FLAGS } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";

function flagLines(flags: readonly FlagSpec[]): string {
  const rows = flags.filter((f) => !f.hidden).map((f) => {
    const value = f.placeholder ? ` ${f.placeholder}` : "";
    const names = [`--${f.name}${value}`, ...(f.short ? [`-${f.short}${value}`] : [])].join(", ");
    const def = f.default !== undefined && f.kind !== "bool" && f.default !== 0 &&
        !f.usage.includes("default")
      ? ` (default: ${JSON.stringify(f.default)})`
      : "";
    return [names, f.usage + def] as const;
  });
  const width = Math.max(0, ...rows.map(([n]) => n.length));
  return rows.map(([n, u]) => `   ${n.padEnd(width)}  ${u}`).join("\n");
}

/** Help of the whole program. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  const commands = COMMANDS.map((c) => `     ${c.name.padEnd(width)}  ${c.summary}`);
  commands.push(`     ${"help".padEnd(width)}  Shows a list of commands or help for one command`);
  return `NAME:
   tsrunc - Open Container Initiative runtime written in TypeScript

tsrunc is a command line client for running applications packaged according to
the Open Container Initiative (OCI) format and is a compliant implementation of the
Open Container Initiative specification, compatible with runc.

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
  const flags = [
    ...command.flags,
    { name: "help", short: "h", kind: "bool", usage: "show help" } as FlagSpec,
  ];
  return `NAME:
   tsrunc ${command.name} - ${command.summary}

USAGE:
   tsrunc ${command.name} [command options]${args}
${description}
OPTIONS:
${flagLines(flags)}
`;
}

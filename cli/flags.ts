/**
 * A small flag parser in urfave/cli's manner (what runc uses): `--flag value`,
 * `--flag=value`, `-f value`, boolean flags, repeatable lists, `--` ends the flags.
 */
import { TsruncError } from "../base/errors.ts";

/** How a flag takes its value. */
export type FlagKind = "bool" | "string" | "int" | "list";

/** One flag of a command. */
export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  usage: string;
  /** Shown in help as `--name value`. */
  placeholder?: string;
  default?: string | number | boolean;
  hidden?: boolean;
}

/** Parsed flag values by flag name. */
export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

/** The result of parsing. */
export interface Parsed {
  flags: FlagValues;
  args: string[];
}

/**
 * Parse argv against specs. With `stopAtArg`, the first positional argument ends the
 * flags (exec's program arguments are not ours); otherwise flags may follow arguments.
 */
export function parseFlags(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  stopAtArg: boolean,
  where: string,
): Parsed {
  const flags: FlagValues = {};
  const args: string[] = [];
  for (const spec of specs) {
    if (spec.kind === "list") flags[spec.name] = [];
    else if (spec.default !== undefined) flags[spec.name] = spec.default;
    else if (spec.kind === "bool") flags[spec.name] = false;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (stopAtArg) {
        args.push(...argv.slice(i));
        break;
      }
      args.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = specs.find((s) => s.name === name || s.short === name);
    if (!spec) throw new TsruncError(`${where}: flag provided but not defined: -${name}`);
    if (spec.kind === "bool") {
      const value = eq < 0 ? "true" : body.slice(eq + 1);
      if (value !== "true" && value !== "false") {
        throw new TsruncError(`${where}: invalid boolean value "${value}" for -${name}`);
      }
      flags[spec.name] = value === "true";
      continue;
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new TsruncError(`${where}: flag needs an argument: -${name}`);
    if (spec.kind === "int") {
      if (!/^\d+$/.test(value)) {
        throw new TsruncError(
          `${where}: invalid value "${value}" for flag -${name}: expected a number`,
        );
      }
      flags[spec.name] = Number(value);
    } else if (spec.kind === "list") {
      (flags[spec.name] as string[]).push(value);
    } else {
      flags[spec.name] = value;
    }
  }
  return { flags, args };
}

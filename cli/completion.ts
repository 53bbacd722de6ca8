/**
 * Bash completion made from the command table, so it offers what --help lists: the
 * commands, each command's flags (long and short) and the global flags, values of
 * flags where the usage text names them (choices, paths), container ids from
 * `tsrunc list -q` (under a --root given earlier on the line) and kill's signals.
 * Written by scripts/gen_docs.ts; the build installs it.
 */
import type { CommandSpec } from "./commands.ts";
import type { FlagSpec } from "./flags.ts";
import { commandFlags, visibleFlags } from "./help.ts";

/** What the completion is made from. */
export interface CompletionTable {
  commands: readonly CommandSpec[];
  globalFlags: readonly FlagSpec[];
  /** Signal names with "SIG", for kill's signal argument. */
  signals: readonly string[];
}

/** How the value of a flag is completed. */
export type FlagValue =
  | { kind: "none" }
  | { kind: "file" }
  | { kind: "directory" }
  | { kind: "words"; words: string[] };

/**
 * What a flag's value completes to, read from its usage text (the table has no field
 * for it): quoted choices ('text', or 'json') or "one of: table or json" are words;
 * a directory or a path/file/socket/binary is a host path. Paths inside the container
 * (exec --cwd) and numbers are not completed.
 */
export function flagValue(flag: FlagSpec): FlagValue {
  if (flag.kind === "bool" || flag.kind === "int") return { kind: "none" };
  const usage = flag.usage;
  const quoted = [...usage.matchAll(/'(\w+)'/g)].map((m) => m[1]);
  if (quoted.length >= 2) return { kind: "words", words: [...new Set(quoted)] };
  const oneOf = /one of: (\w+(?:(?:, | or |, or )\w+)+)/.exec(usage);
  if (oneOf) return { kind: "words", words: oneOf[1].split(/, or |, | or /) };
  if (/in the container/.test(usage)) return { kind: "none" };
  if (/\bdirectory\b/.test(usage)) return { kind: "directory" };
  if (/\b(path|file|socket|binary)\b/.test(usage)) return { kind: "file" };
  return { kind: "none" };
}

/** What a command's positional argument N is, from its argsUsage (`<container-id>`...). */
export function argumentKinds(command: CommandSpec): string[] {
  const form = command.argsUsage.split("||")[0];
  return [...form.matchAll(/<([^>]+)>|\[([^\]]+)\]/g)].map((m) => m[1] ?? m[2]);
}

/**
 * Commands whose container id names a container that does not exist yet: existing ids
 * are not offered for them.
 */
const NEW_ID_COMMANDS = ["create", "run", "restore"];

const SAFE_NAME = /^[a-z0-9][a-z0-9-]*$/;
const SAFE_WORD = /^[\w.+-]+$/;

/** Names go into the script unquoted (case patterns, word lists): refuse anything else. */
function safe(text: string, pattern: RegExp = SAFE_NAME): string {
  if (!pattern.test(text)) throw new Error(`completion: unsafe name for a shell script: ${text}`);
  return text;
}

/** Every spelling of a flag the parser accepts: -name and --name, -n and --n. */
function spellings(flag: FlagSpec): string[] {
  const names = [flag.name, ...(flag.short ? [flag.short] : [])].map((n) => safe(n));
  return names.flatMap((n) => [`-${n}`, `--${n}`]);
}

/** The words offered for a flag list: --name and -n, as help shows them. */
function flagWords(flags: readonly FlagSpec[]): string {
  return flags.flatMap((f) => [`--${safe(f.name)}`, ...(f.short ? [`-${safe(f.short)}`] : [])])
    .join(" ");
}

/**
 * A `case` branch, `  pattern | pattern) body ;;` wrapped with backslash-newlines near
 * 100 columns, or nothing when there is no pattern.
 */
function branch(patterns: string[], body: string): string[] {
  if (patterns.length === 0) return [];
  const lines = [" "];
  for (const [i, pattern] of patterns.entries()) {
    const piece = `${pattern}${i < patterns.length - 1 ? " |" : ")"}`;
    if (lines.at(-1)!.length + piece.length + 1 > 96 && lines.at(-1)!.trim() !== "") {
      lines[lines.length - 1] += " \\";
      lines.push("   ");
    }
    lines[lines.length - 1] += ` ${piece}`;
  }
  lines[lines.length - 1] += ` ${body} ;;`;
  return lines;
}

/** The table-made functions: flags, which take values, value and argument kinds. */
function tableFunctions(table: CompletionTable): string {
  const scopes: [string, FlagSpec[]][] = [
    ["", visibleFlags(table.globalFlags)],
    ...table.commands.map((c) => [safe(c.name), commandFlags(c)] as [string, FlagSpec[]]),
  ];
  const flagsCase = scopes.flatMap(([scope, flags]) =>
    branch([scope === "" ? '""' : scope], `echo "${flagWords(flags)}"`)
  );
  const takesValue: string[] = [];
  const values = new Map<string, string[]>(); // body -> patterns
  for (const [scope, flags] of scopes) {
    for (const flag of flags) {
      if (flag.kind === "bool") continue;
      const patterns = spellings(flag).map((s) => `${scope}/${s}`);
      takesValue.push(...patterns);
      const value = flagValue(flag);
      const body = value.kind === "file"
        ? '_tsrunc_paths -f "$3"'
        : value.kind === "directory"
        ? '_tsrunc_paths -d "$3"'
        : value.kind === "words"
        ? `_tsrunc_words "${value.words.map((w) => safe(w, SAFE_WORD)).join(" ")}" "$3"`
        : undefined;
      if (body) values.set(body, [...values.get(body) ?? [], ...patterns]);
    }
  }
  const args = new Map<string, string[]>(); // kind -> patterns
  for (const command of table.commands) {
    argumentKinds(command).forEach((kind, i) => {
      const existing = kind === "container-id" && !NEW_ID_COMMANDS.includes(command.name);
      if (existing || kind === "signal") {
        args.set(kind, [...args.get(kind) ?? [], `${safe(command.name)}/${i}`]);
      }
    });
  }
  args.set("command", ["help/0"]);
  const stops = table.commands.filter((c) => c.stopAtArg).map((c) => safe(c.name));
  const names = [...table.commands.map((c) => safe(c.name)), "help"];
  const signals = table.signals.map((s) => safe(s, /^SIG[A-Z0-9]+$/));

  return [
    "# The commands, as completion words.",
    `_tsrunc_commands() { echo "${names.join(" ")}"; }`,
    "",
    "# Signal names kill takes: with SIG when the word starts so, else without.",
    "_tsrunc_signals() {",
    "  case $1 in",
    `  SIG*) echo "${signals.join(" ")}" ;;`,
    `  *) echo "${signals.map((s) => s.slice(3)).join(" ")}" ;;`,
    "  esac",
    "}",
    "",
    '# The flags of command $1 ("" for the global flags), as completion words.',
    "_tsrunc_flags() {",
    "  case $1 in",
    ...flagsCase,
    "  esac",
    "}",
    "",
    "# Whether flag $2 of command $1 takes a value (the next word).",
    "_tsrunc_takes_value() {",
    "  case $1/$2 in",
    ...branch(takesValue, "return 0"),
    "  esac",
    "  return 1",
    "}",
    "",
    "# Complete $3, the value of flag $2 of command $1.",
    "_tsrunc_value() {",
    "  case $1/$2 in",
    ...[...values].flatMap(([body, patterns]) => branch(patterns, body)),
    "  esac",
    "}",
    "",
    "# What positional argument $2 (from 0) of command $1 is.",
    "_tsrunc_argument() {",
    "  case $1/$2 in",
    ...[...args].flatMap(([kind, patterns]) => branch(patterns, `echo ${kind}`)),
    "  esac",
    "}",
    "",
    "# Whether command $1's flags end at its first argument.",
    "_tsrunc_stops_at_argument() {",
    "  case $1 in",
    ...branch(stops, "return 0"),
    "  esac",
    "  return 1",
    "}",
  ].join("\n");
}

/*
 * The driver. COMP_WORDS splits --flag=value at "=" (COMP_WORDBREAKS): the words are
 * joined back first. Global flags stop at the command name, as tsrunc parses them; a
 * command's flags may follow its arguments unless it stops at the first (exec, ps).
 * Container ids are read with list -q, never expanded by the shell (compgen -W would).
 */
const DRIVER = `
# Offer the words of $1 (our own, space separated) that start with $2.
_tsrunc_words() {
  local word
  for word in $1; do
    if [[ $word == "$2"* ]]; then COMPREPLY+=("$word"); fi
  done
}

# Complete a host path: -f files and directories, -d directories.
_tsrunc_paths() {
  local IFS=$'\\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen "$1" -- "$2"))
}

# A word as typed, as the shell would see it: one pair of quotes and a leading ~/ undone.
_tsrunc_unquote() {
  local w=$1
  if [[ $w == \\"*\\" || $w == \\'*\\' ]]; then w=\${w:1:\${#w}-2}; fi
  if [[ $w == "~/"* ]]; then w=$HOME/\${w:2}; fi
  printf '%s' "$w"
}

# Container ids of tsrunc $1 under state root $2 (empty: the default) that start with $3.
_tsrunc_ids() {
  local -a cmd=("$1")
  if [ -n "$2" ]; then cmd+=(--root "$2"); fi
  local id
  while IFS= read -r id; do
    if [[ -n $id && $id == "$3"* ]]; then COMPREPLY+=("$id"); fi
  done < <("\${cmd[@]}" list -q 2>/dev/null)
}

# Complete "$2", a --flag=value word of command $1: the value after "=".
_tsrunc_value_in_word() {
  _tsrunc_value "$1" "\${2%%=*}" "\${2#*=}"
  if [[ $COMP_WORDBREAKS != *=* ]]; then
    COMPREPLY=("\${COMPREPLY[@]/#/\${2%%=*}=}")
  fi
}

_tsrunc() {
  COMPREPLY=()
  local -a words=()
  local cword=0 i=0 n w
  while ((i < \${#COMP_WORDS[@]})); do
    w=\${COMP_WORDS[i]}
    n=\${#words[@]}
    if [[ $w == "=" && $n -gt 1 && \${words[n - 1]} == -* && \${words[n - 1]} != *=* ]]; then
      words[n - 1]+="="
      if ((i == COMP_CWORD)); then cword=$((n - 1)); fi
      if ((i < COMP_CWORD)); then
        i=$((i + 1))
        words[n - 1]+=\${COMP_WORDS[i]}
        if ((i == COMP_CWORD)); then cword=$((n - 1)); fi
      fi
    else
      words+=("$w")
      if ((i == COMP_CWORD)); then cword=$n; fi
    fi
    i=$((i + 1))
  done

  local cur=\${words[cword]} root="" command=""
  local tsrunc
  tsrunc=$(_tsrunc_unquote "\${words[0]}")
  command -v "$tsrunc" >/dev/null 2>&1 || tsrunc=tsrunc

  # Global flags, up to the command name.
  i=1
  while ((i < cword)); do
    w=\${words[i]}
    case $w in
    -*=*)
      if [[ \${w%%=*} == -root || \${w%%=*} == --root ]]; then root=$(_tsrunc_unquote "\${w#*=}"); fi
      ;;
    -?*)
      if _tsrunc_takes_value "" "$w"; then
        if ((i + 1 == cword)); then
          _tsrunc_value "" "$w" "$cur"
          return 0
        fi
        if [[ $w == -root || $w == --root ]]; then root=$(_tsrunc_unquote "\${words[i + 1]}"); fi
        i=$((i + 1))
      fi
      ;;
    *)
      command=$w
      break
      ;;
    esac
    i=$((i + 1))
  done
  if [ -z "$command" ]; then
    case $cur in
    -*=*) _tsrunc_value_in_word "" "$cur" ;;
    -*) _tsrunc_words "$(_tsrunc_flags "")" "$cur" ;;
    *) _tsrunc_words "$(_tsrunc_commands)" "$cur" ;;
    esac
    return 0
  fi

  # The command's flags and arguments before the word being completed.
  local nargs=0 flags=1
  i=$((i + 1))
  while ((i < cword)); do
    w=\${words[i]}
    if [[ -n $flags && $w == -- ]]; then
      flags=""
    elif [[ -n $flags && $w == -?* ]]; then
      if [[ $w != *=* ]] && _tsrunc_takes_value "$command" "$w"; then
        if ((i + 1 == cword)); then
          _tsrunc_value "$command" "$w" "$cur"
          return 0
        fi
        i=$((i + 1))
      fi
    else
      nargs=$((nargs + 1))
      if _tsrunc_stops_at_argument "$command"; then flags=""; fi
    fi
    i=$((i + 1))
  done
  if [[ -n $flags && $cur == -*=* ]]; then
    _tsrunc_value_in_word "$command" "$cur"
  elif [[ -n $flags && $cur == -* ]]; then
    _tsrunc_words "$(_tsrunc_flags "$command")" "$cur"
  else
    case $(_tsrunc_argument "$command" "$nargs") in
    container-id) _tsrunc_ids "$tsrunc" "$root" "$cur" ;;
    signal) _tsrunc_words "$(_tsrunc_signals "$cur")" "$cur" ;;
    command) _tsrunc_words "$(_tsrunc_commands)" "$cur" ;;
    esac
  fi
  return 0
}

complete -F _tsrunc tsrunc
`;

/** The bash completion script for tsrunc. */
export function bashCompletion(table: CompletionTable): string {
  return `# bash completion for tsrunc: generated by scripts/gen_docs.ts from cli/commands.ts; do not edit.
# Installed as share/bash-completion/completions/tsrunc (bash-completion loads it the
# first time tsrunc is completed); or source it from ~/.bashrc.

${tableFunctions(table)}
${DRIVER}`;
}

import { COMMANDS, type CommandSpec, GLOBAL_FLAGS } from "../../../cli/commands.ts";
import { argumentKinds, bashCompletion, flagValue } from "../../../cli/completion.ts";
import { signalNames } from "../../../cli/signals.ts";
import { assert, assertEquals } from "../_assert.ts";

const TABLE = { commands: COMMANDS, globalFlags: GLOBAL_FLAGS, signals: signalNames() };
const SCRIPT = bashCompletion(TABLE);

/** The words offered for command `scope` ("" = global): the echo in _tsrunc_flags. */
function flagWords(script: string, scope: string): string[] {
  const label = scope === "" ? '""' : scope;
  const line = script.split("\n").find((l) => l.startsWith(`  ${label}) echo "`));
  assert(line, `no flags line for ${label}`);
  return line.replace(/^.*echo "/, "").replace(/".*$/, "").split(" ");
}

/**
 * Complete `words` (the last is the word being completed) with the script sourced in a
 * fresh bash; words[0] is the tsrunc to run for container ids. Returns COMPREPLY.
 */
function complete(words: string[], script = SCRIPT): string[] {
  const file = Deno.makeTempFileSync({ suffix: ".bash" });
  try {
    Deno.writeTextFileSync(file, script);
    const out = new Deno.Command("bash", {
      args: [
        "--norc",
        "--noprofile",
        "-c",
        `. "$0" || exit 9
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}
_tsrunc; printf '%s\\n' "\${COMPREPLY[@]}"`,
        file,
        ...words,
      ],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    assertEquals(out.code, 0, text(out.stderr));
    return text(out.stdout).split("\n").filter(Boolean);
  } finally {
    Deno.removeSync(file);
  }
}

/** A stand-in tsrunc that lists ids naming the --root it was given. */
function fakeTsrunc(dir: string): string {
  const path = `${dir}/tsrunc`;
  Deno.writeTextFileSync(
    path,
    `#!/bin/sh
root=default
if [ "$1" = --root ]; then root=$(basename "$2"); shift 2; fi
[ "$1 $2" = "list -q" ] || exit 3
echo "ctr-$root"
echo "other-$root"
`,
  );
  Deno.chmodSync(path, 0o755);
  return path;
}

Deno.test("the completion script passes bash -n", () => {
  const file = Deno.makeTempFileSync({ suffix: ".bash" });
  try {
    Deno.writeTextFileSync(file, SCRIPT);
    const out = new Deno.Command("bash", { args: ["-n", file], stderr: "piped" }).outputSync();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("the completion offers every visible flag of every command, long and short", () => {
  for (const command of COMMANDS) {
    const words = flagWords(SCRIPT, command.name);
    for (const flag of command.flags.filter((f) => !f.hidden)) {
      assert(words.includes(`--${flag.name}`), `${command.name}: --${flag.name}`);
      if (flag.short) assert(words.includes(`-${flag.short}`), `${command.name}: -${flag.short}`);
    }
    assert(words.includes("--help") && words.includes("-h"), `${command.name}: --help`);
  }
  const global = flagWords(SCRIPT, "");
  for (const flag of GLOBAL_FLAGS.filter((f) => !f.hidden)) {
    assert(global.includes(`--${flag.name}`), `global --${flag.name}`);
    if (flag.short) assert(global.includes(`-${flag.short}`), `global -${flag.short}`);
  }
});

Deno.test("the completion leaves hidden flags out", () => {
  const command: CommandSpec = {
    ...COMMANDS.find((c) => c.name === "delete")!,
    flags: [{ name: "secret", kind: "string", usage: "path to it", hidden: true }],
  };
  const script = bashCompletion({ ...TABLE, commands: [command] });
  assert(!script.includes("secret"));
});

Deno.test("the completion completes commands and global flags before the command", () => {
  const commands = complete(["tsrunc", ""]);
  assertEquals(commands, [...COMMANDS.map((c) => c.name), "help"]);
  assertEquals(complete(["tsrunc", "--ro"]), ["--root", "--rootless"]);
  assertEquals(complete(["tsrunc", "--log-format", ""]), ["text", "json"]);
  assertEquals(complete(["tsrunc", "--debug", "de"]), ["delete"]);
  assertEquals(complete(["tsrunc", "--root", "/x", "s"]), ["spec", "start", "state"]);
});

Deno.test("the completion completes a command's flags and their values", () => {
  assertEquals(complete(["tsrunc", "delete", "-"]), ["--force", "-f", "--help", "-h"]);
  assertEquals(complete(["tsrunc", "list", "--format", ""]), ["table", "json"]);
  assertEquals(complete(["tsrunc", "list", "--format", "=", "j"]), ["json"]);
  assertEquals(complete(["tsrunc", "kill", "c", "--a"]), ["--all"]);
  // exec's flags end at the container id: what follows is the program's.
  assertEquals(complete(["tsrunc", "exec", "c", "-"]), []);
  assertEquals(complete(["tsrunc", "exec", "-t", "--"]).includes("--tty"), true);
});

Deno.test("the completion completes container ids from list -q under the given --root", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const tsrunc = fakeTsrunc(dir);
    assertEquals(complete([tsrunc, "kill", ""]), ["ctr-default", "other-default"]);
    assertEquals(complete([tsrunc, "--root", "/r/one", "delete", "c"]), ["ctr-one"]);
    assertEquals(complete([tsrunc, "--root", "=", "/r/two", "state", ""]), [
      "ctr-two",
      "other-two",
    ]);
    assertEquals(complete([tsrunc, "--debug", "-root", "/r/3", "exec", "-t", "o"]), ["other-3"]);
    // Flags with values are skipped when counting arguments.
    assertEquals(complete([tsrunc, "exec", "--cwd", "/", "-e", "A=1", ""]), [
      "ctr-default",
      "other-default",
    ]);
    // create and run name a new container: no existing ids.
    assertEquals(complete([tsrunc, "create", ""]), []);
    assertEquals(complete([tsrunc, "run", "-d", ""]), []);
    // kill's second argument is a signal.
    assertEquals(complete([tsrunc, "kill", "ctr-default", "KI"]), ["KILL"]);
    assertEquals(complete([tsrunc, "kill", "ctr-default", "SIGTE"]), ["SIGTERM"]);
    assertEquals(complete([tsrunc, "help", "ex"]), ["exec", "explain"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the completion never expands what list -q prints", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const tsrunc = `${dir}/tsrunc`;
    Deno.writeTextFileSync(tsrunc, `#!/bin/sh\necho '$(touch ${dir}/pwned)'\necho '*'\n`);
    Deno.chmodSync(tsrunc, 0o755);
    assertEquals(complete([tsrunc, "state", ""]), [`$(touch ${dir}/pwned)`, "*"]);
    assertThrowsNotFound(`${dir}/pwned`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

function assertThrowsNotFound(path: string): void {
  try {
    Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  throw new Error(`${path} exists`);
}

Deno.test("flagValue() reads choices and paths from the usage text", () => {
  const byName = (name: string) => GLOBAL_FLAGS.find((f) => f.name === name)!;
  assertEquals(flagValue(byName("log-format")), { kind: "words", words: ["text", "json"] });
  assertEquals(flagValue(byName("rootless")), { kind: "words", words: ["true", "false", "auto"] });
  assertEquals(flagValue(byName("root")), { kind: "directory" });
  assertEquals(flagValue(byName("log")), { kind: "file" });
  assertEquals(flagValue(byName("debug")), { kind: "none" });
  const exec = COMMANDS.find((c) => c.name === "exec")!;
  assertEquals(flagValue(exec.flags.find((f) => f.name === "cwd")!), { kind: "none" });
  assertEquals(flagValue(exec.flags.find((f) => f.name === "preserve-fds")!), { kind: "none" });
});

Deno.test("argumentKinds() reads the arguments from argsUsage", () => {
  const kinds = (name: string) => argumentKinds(COMMANDS.find((c) => c.name === name)!);
  assertEquals(kinds("kill"), ["container-id", "signal"]);
  assertEquals(kinds("exec"), ["container-id", "command", "command options"]);
  assertEquals(kinds("list"), []);
});

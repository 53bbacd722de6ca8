import { COMMANDS, type CommandSpec, GLOBAL_FLAGS } from "../../../cli/commands.ts";
import type { FlagSpec } from "../../../cli/flags.ts";
import { commandPage, manPages, roffEscape, roffText } from "../../../cli/man_pages.ts";
import { VERSION } from "../../../cli/version.ts";
import { assert, assertEquals } from "../_assert.ts";

const TABLE = { commands: COMMANDS, globalFlags: GLOBAL_FLAGS, version: VERSION };

/** How a flag name appears in a page: bold, hyphens as \-. */
const boldFlag = (dashes: string, name: string) => `\\fB${roffEscape(dashes + name)}\\fR`;

function fake(overrides: Partial<CommandSpec>): CommandSpec {
  return {
    name: "fake",
    summary: "a fake command",
    argsUsage: "<container-id>",
    flags: [],
    args: 1,
    load: () => Promise.reject(new Error("not loadable")),
    ...overrides,
  };
}

/** groff's warnings (-ww) for a page, or undefined when groff is not installed. */
function groffWarnings(page: string): string | undefined {
  const file = Deno.makeTempFileSync({ suffix: ".8" });
  try {
    Deno.writeTextFileSync(file, page);
    const out = new Deno.Command("groff", {
      args: ["-man", "-Tutf8", "-ww", "-z", file],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    return new TextDecoder().decode(out.stderr);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  } finally {
    Deno.removeSync(file);
  }
}

Deno.test("manPages() writes tsrunc.8 and a page for every command", () => {
  const pages = manPages(TABLE);
  assertEquals(
    [...pages.keys()].sort(),
    ["tsrunc.8", ...COMMANDS.map((c) => `tsrunc-${c.name}.8`)].sort(),
  );
  for (const [name, page] of pages) {
    const title = name.replace(/\.8$/, "").toUpperCase();
    assert(page.includes(`.TH "${roffEscape(title)}" 8 `), `${name} has its .TH`);
    for (const section of ["NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"]) {
      assert(page.includes(`\n.SH ${section}\n`), `${name} has ${section}`);
    }
  }
});

Deno.test("every visible flag of every command is in its page, with its short form", () => {
  const pages = manPages(TABLE);
  for (const command of COMMANDS) {
    const page = pages.get(`tsrunc-${command.name}.8`)!;
    assert(page.includes("\n.SH OPTIONS\n"), `${command.name} has OPTIONS`);
    const flags: FlagSpec[] = [
      ...command.flags,
      { name: "help", short: "h", kind: "bool", usage: "" },
    ];
    for (const flag of flags.filter((f) => !f.hidden)) {
      assert(page.includes(boldFlag("--", flag.name)), `${command.name}: --${flag.name}`);
      if (flag.short) {
        assert(page.includes(boldFlag("-", flag.short)), `${command.name}: -${flag.short}`);
      }
    }
    assert(
      page.includes(`${roffEscape(`tsrunc-${command.name}`)} \\- ${roffEscape(command.summary)}`),
      `${command.name}: NAME line`,
    );
  }
});

Deno.test("tsrunc.8 lists every command and every visible global flag", () => {
  const page = manPages(TABLE).get("tsrunc.8")!;
  for (const command of COMMANDS) {
    assert(page.includes(`\n\\fB${roffEscape(command.name)}\\fR\n`), `command ${command.name}`);
    assert(page.includes(`\\fB${roffEscape(`tsrunc-${command.name}`)}\\fR(8)`), "see also");
  }
  for (const flag of GLOBAL_FLAGS.filter((f) => !f.hidden)) {
    assert(page.includes(boldFlag("--", flag.name)), `--${flag.name}`);
    if (flag.short) assert(page.includes(boldFlag("-", flag.short)), `-${flag.short}`);
  }
});

Deno.test("commandPage() leaves hidden flags out", () => {
  const page = commandPage(
    fake({
      flags: [
        { name: "shown", kind: "bool", usage: "a visible flag" },
        { name: "secret", short: "s", kind: "string", usage: "a hidden flag", hidden: true },
      ],
    }),
    "1.0",
  );
  assert(page.includes(boldFlag("--", "shown")));
  assert(!page.includes("secret"), "the hidden flag is not in the page");
  assert(!page.includes(boldFlag("-", "s")), "nor its short form");
});

Deno.test("roffEscape() escapes backslashes, hyphens and apostrophes", () => {
  assertEquals(roffEscape("a\\b --x it's"), "a\\eb \\-\\-x it\\(aqs");
});

Deno.test("roffText() keeps a line starting with a dot or a quote from being a request", () => {
  assertEquals(roffText(".SH x\n'br\nplain"), "\\&.SH x\n\\(aqbr\nplain");
});

Deno.test("commandPage() escapes a description's leading dots and backslashes", () => {
  const page = commandPage(
    fake({
      summary: "uses C:\\path and .dots",
      description: ".SH INJECTED\nback\\slash\n\n   .indented example\n'quoted",
    }),
    "1.0",
  );
  const lines = page.split("\n");
  assert(!lines.includes(".SH INJECTED"), "a leading dot is not a request");
  assert(lines.includes("\\&.SH INJECTED"), "it is guarded with \\&");
  assert(lines.includes("back\\eslash"), "a backslash prints as itself");
  assert(lines.includes("\\&.indented example"), "also in an example block");
  assert(lines.includes("\\(aqquoted"), "a leading quote is not a request");
  assert(page.includes("uses C:\\epath and .dots"), "the summary is escaped too");
  // Every line that starts with a dot is one of the macros the generator writes.
  const requests = new Set(lines.filter((l) => l.startsWith(".")).map((l) => l.split(" ")[0]));
  for (const r of requests) {
    assert(
      ['.\\"', ".TH", ".nh", ".ad", ".SH", ".PP", ".TP", ".RS", ".RE", ".nf", ".fi", ".br"]
        .includes(r),
      `unexpected request ${r}`,
    );
  }
});

Deno.test("the pages format without groff warnings", () => {
  for (const [name, page] of manPages(TABLE)) {
    const warnings = groffWarnings(page);
    if (warnings === undefined) return; // no groff here
    assertEquals(warnings, "", name);
  }
});

import { defaultSpec, OCI_VERSION } from "../../../../core/spec/default_spec.ts";
import { parseConfig } from "../../../../core/spec/validate.ts";
import { specCommand } from "../../../../cli/spec.ts";
import { TsruncError } from "../../../../base/errors.ts";

// Minimal assertions (Deno std is not reachable here, and node:assert needs @types/node).
function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  return keys.length === Object.keys(rb).length &&
    keys.every((k) => Object.hasOwn(rb, k) && equal(ra[k], rb[k]));
}

function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  if (!equal(actual, expected)) {
    throw new Error(
      `${message}\nexpected: ${JSON.stringify(expected)}\n  actual: ${JSON.stringify(actual)}`,
    );
  }
}

function checkError(error: unknown, expected?: string | RegExp): Error {
  assert(error instanceof Error, `not an Error: ${error}`);
  if (typeof expected === "string") assertEquals(error.message, expected);
  if (expected instanceof RegExp) {
    assert(expected.test(error.message), `${error.message} !~ ${expected}`);
  }
  return error;
}

async function assertRejects(
  fn: () => Promise<unknown>,
  expected?: string | RegExp,
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, expected);
  }
  throw new Error("expected an error, got none");
}

// Captured from Debian's runc 1.1.5 (`runc spec`, `runc spec --rootless`), run as root so
// that the rootless mappings say hostID 0. runc writes "ociVersion": "1.0.2-dev"; tsrunc
// writes the version it implements, and everything else identically.
const FIXTURES = new URL("./fixtures/", import.meta.url);

function runcOutput(rootless: boolean): Record<string, unknown> {
  const name = rootless ? "runc_spec_rootless.json" : "runc_spec.json";
  const spec = JSON.parse(Deno.readTextFileSync(new URL(name, FIXTURES)));
  assertEquals(spec.ociVersion, "1.0.2-dev");
  // Replaced in place, so the key keeps its first position.
  spec.ociVersion = OCI_VERSION;
  return spec;
}

Deno.test("defaultSpec() writes what `runc spec` writes, key order included", () => {
  assertEquals(
    JSON.stringify(defaultSpec({ rootless: false })),
    JSON.stringify(runcOutput(false)),
  );
});

Deno.test("defaultSpec() writes what `runc spec --rootless` writes, key order included", () => {
  assertEquals(
    JSON.stringify(defaultSpec({ rootless: true, uid: 0, gid: 0 })),
    JSON.stringify(runcOutput(true)),
  );
});

Deno.test("defaultSpec() maps the given uid and gid to root in the rootless variant", () => {
  const linux = defaultSpec({ rootless: true, uid: 1000, gid: 1001 }).linux!;
  assertEquals(linux.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
  assertEquals(linux.gidMappings, [{ containerID: 0, hostID: 1001, size: 1 }]);
});

Deno.test("defaultSpec() says ociVersion 1.3.0", () => {
  assertEquals(defaultSpec({ rootless: false }).ociVersion, "1.3.0");
});

Deno.test("defaultSpec() output passes parseConfig()", () => {
  for (const rootless of [false, true]) {
    const spec = defaultSpec({ rootless, uid: 1000, gid: 1000 });
    assertEquals(parseConfig(JSON.stringify(spec)), spec);
  }
});

Deno.test("defaultSpec() returns a fresh object every time", () => {
  const a = defaultSpec({ rootless: false });
  a.process!.capabilities!.bounding!.push("CAP_SYS_ADMIN");
  a.linux!.maskedPaths!.pop();
  assertEquals(defaultSpec({ rootless: false }), runcOutput(false));
});

// specCommand() lives in cli/spec.ts; its tests sit here, beside the spec they write.

Deno.test("specCommand() writes config.json tab-indented without a final newline, as runc", async () => {
  const bundle = await Deno.makeTempDir();
  try {
    await specCommand({ bundle, rootless: false });
    const written = await Deno.readTextFile(`${bundle}/config.json`);
    // Go's json.MarshalIndent(spec, "", "\t").
    assertEquals(written, JSON.stringify(runcOutput(false), null, "\t"));
    assert(written.startsWith('{\n\t"ociVersion": "1.3.0",\n\t"process": {\n\t\t"terminal"'));
    assert(written.endsWith("\n\t}\n}"));
  } finally {
    await Deno.remove(bundle, { recursive: true });
  }
});

Deno.test("specCommand() --rootless maps the caller's effective ids", async () => {
  const bundle = await Deno.makeTempDir();
  try {
    await specCommand({ bundle, rootless: true });
    const spec = parseConfig(await Deno.readTextFile(`${bundle}/config.json`));
    assertEquals(spec.linux!.uidMappings![0].hostID, Deno.uid());
    assertEquals(spec.linux!.gidMappings![0].hostID, Deno.gid());
    assert(spec.linux!.namespaces!.some((ns) => ns.type === "user"));
  } finally {
    await Deno.remove(bundle, { recursive: true });
  }
});

Deno.test("specCommand() refuses to overwrite config.json with runc's message", async () => {
  const bundle = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${bundle}/config.json`, "mine");
    const error = await assertRejects(
      () => specCommand({ bundle, rootless: false }),
      "File config.json exists. Remove it first",
    );
    assert(error instanceof TsruncError);
    assertEquals(await Deno.readTextFile(`${bundle}/config.json`), "mine");
    // A dangling symlink counts as existing: nothing is written through it.
    await Deno.remove(`${bundle}/config.json`);
    await Deno.symlink(`${bundle}/elsewhere.json`, `${bundle}/config.json`);
    await assertRejects(
      () => specCommand({ bundle, rootless: false }),
      "File config.json exists. Remove it first",
    );
    const stat = await assertRejects(() => Deno.stat(`${bundle}/elsewhere.json`));
    assert(stat instanceof Deno.errors.NotFound);
  } finally {
    await Deno.remove(bundle, { recursive: true });
  }
});

Deno.test("specCommand() names a missing or non-directory bundle", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const error = await assertRejects(
      () => specCommand({ bundle: `${dir}/nope`, rootless: false }),
      `bundle ${dir}/nope: no such file or directory`,
    );
    assert(error instanceof TsruncError);
    await Deno.writeTextFile(`${dir}/file`, "");
    await assertRejects(
      () => specCommand({ bundle: `${dir}/file`, rootless: false }),
      `bundle ${dir}/file: not a directory`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("specCommand() writes into the current directory without a bundle", async () => {
  // In a child process: chdir would change the directory of every test running in parallel.
  const dir = await Deno.makeTempDir();
  try {
    const module = new URL("../../../../cli/spec.ts", import.meta.url).href;
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { specCommand } from "${module}"; await specCommand({ rootless: false });`,
      ],
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    assert((await Deno.stat(`${dir}/config.json`)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

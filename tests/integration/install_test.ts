/**
 * Installing tsrunc: scripts/install.sh with a made-up PREFIX into a temporary DESTDIR
 * lays out the tree (launcher, lib dir, man pages, completion), the staged tsrunc runs
 * from another cwd and as another user, the pages render, a second install rewrites
 * nothing, and uninstall removes exactly what install put there. scripts/dist.sh's
 * tarball unpacks into any directory and runs.
 *
 * Needs `make build` done (make test installs first, which builds). A build/ made
 * before `make docs` existed gets its man pages and completion generated into a
 * temporary overlay of build/.
 */
import { COMMANDS } from "../../cli/commands.ts";
import { VERSION } from "../../cli/version.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { exists, hasCommand, IS_ROOT } from "./_helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const BUILD = `${REPO}/build`;
const DENO = `${REPO}/node_modules/@deno/linux-x64-glibc/deno`;
const BUILT = ["lib/tsrunc.js", "libcore.so", "executor", "tsrunc-launcher"];
const NOBODY = ["--reuid=65534", "--regid=65534", "--clear-groups"];
const PAGES = ["tsrunc.8", ...COMMANDS.map((c) => `tsrunc-${c.name}.8`)];
const COMPLETION = "share/bash-completion/completions/tsrunc";

const built = BUILT.every((f) => exists(`${BUILD}/${f}`));
const ignore = !IS_ROOT || !built;

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command; a clean environment unless env is given (nothing of ours leaks in). */
async function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Output> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd ?? "/",
    clearEnv: true,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/**
 * A temporary directory others may enter (the nobody run), with the build to install
 * from: build/ itself, or an overlay of it with the docs generated when build/ has none.
 */
async function withTemp(fn: (base: string, build: string) => Promise<void>): Promise<void> {
  const base = Deno.makeTempDirSync({ prefix: "tsrunc-install-test-" });
  try {
    Deno.chmodSync(base, 0o755);
    let build = BUILD;
    if (!exists(`${BUILD}/man/tsrunc.8`) || !exists(`${BUILD}/completion/tsrunc.bash`)) {
      build = `${base}/build`;
      Deno.mkdirSync(build);
      for (const f of ["lib", "libcore.so", "executor", "tsrunc-launcher", "version.json"]) {
        if (exists(`${BUILD}/${f}`)) Deno.symlinkSync(`${BUILD}/${f}`, `${build}/${f}`);
      }
      const docs = await run(DENO, [
        "run",
        "--quiet",
        "-A",
        `${REPO}/scripts/gen_docs.ts`,
        "--man",
        `${build}/man`,
        "--completion",
        `${build}/completion/tsrunc.bash`,
      ], { env: { HOME: Deno.env.get("HOME") ?? "/root" } });
      assertEquals(docs.code, 0, docs.stderr);
    }
    await fn(base, build);
  } finally {
    Deno.removeSync(base, { recursive: true });
  }
}

function installSh(action: string, prefix: string, destdir: string, build: string) {
  return run(`${REPO}/scripts/install.sh`, [action], {
    env: { PREFIX: prefix, DESTDIR: destdir, BUILD: build },
  });
}

/** `tsrunc --version` of a staged tree, from / , as root or as nobody. */
async function versionLine(tsrunc: string, asNobody = false): Promise<string> {
  const out = asNobody
    ? await run("setpriv", [...NOBODY, tsrunc, "--version"])
    : await run(tsrunc, ["--version"]);
  assertEquals(out.code, 0, `${asNobody ? "as nobody: " : ""}${out.stderr}`);
  return out.stdout.split("\n")[0];
}

/** The page as man (or groff, or mandoc) formats it, or undefined when none is here. */
async function render(page: string): Promise<string | undefined> {
  const env = { MANPAGER: "cat", PAGER: "cat", MANWIDTH: "100", LANG: "C" };
  const tools: [string, string[]][] = [
    ["man", ["-l", page]],
    ["groff", ["-man", "-Tascii", page]],
    ["mandoc", ["-Tascii", page]],
  ];
  for (const [tool, args] of tools) {
    if (!hasCommand(tool)) continue;
    const out = await run(tool, args, { env });
    assertEquals(out.code, 0, `${tool} ${page}: ${out.stderr}`);
    // Overstrike (bold, underline) as groff -Tascii writes it: drop it.
    // deno-lint-ignore no-control-regex
    return out.stdout.replace(/.\x08/g, "");
  }
  return undefined;
}

Deno.test({
  name: "install.sh lays out a working tree with man pages and completion, uninstall removes it",
  ignore,
  fn: () =>
    withTemp(async (base, build) => {
      const destdir = `${base}/dest`;
      const prefix = `/opt/tsrunc-test-${Deno.pid}-${Math.floor(Math.random() * 1e6)}`;
      const root = `${destdir}${prefix}`;

      const install = await installSh("install", prefix, destdir, build);
      assertEquals(install.code, 0, install.stderr);

      const mode = (path: string) => Deno.statSync(`${root}/${path}`).mode! & 0o777;
      assertEquals(mode("sbin/tsrunc"), 0o755, "sbin/tsrunc is executable");
      for (const f of ["deno", "executor"]) assertEquals(mode(`lib/tsrunc/${f}`), 0o755, f);
      for (const f of ["tsrunc.js", "libcore.so"]) assertEquals(mode(`lib/tsrunc/${f}`), 0o644, f);
      for (const page of PAGES) assertEquals(mode(`share/man/man8/${page}`), 0o644, page);
      assertEquals(mode(COMPLETION), 0o644, "completion");
      const installedPages = [...Deno.readDirSync(`${root}/share/man/man8`)].map((e) => e.name);
      assertEquals(installedPages.sort(), [...PAGES].sort(), "exactly the generated pages");

      // The staged launcher finds its lib dir from its own location, whatever the cwd
      // or the user.
      const tsrunc = `${root}/sbin/tsrunc`;
      assertEquals(await versionLine(tsrunc), `tsrunc version ${VERSION}`);
      if (hasCommand("setpriv")) {
        assertEquals(await versionLine(tsrunc, true), `tsrunc version ${VERSION}`);
      }

      // The pages render; the command pages list their flags.
      const main = await render(`${root}/share/man/man8/tsrunc.8`);
      if (main !== undefined) {
        assertMatch(main, /NAME\s+tsrunc - Open Container Initiative runtime/);
        assertStringIncludes(main, "--root");
        const create = (await render(`${root}/share/man/man8/tsrunc-create.8`))!;
        assertMatch(create, /NAME\s+tsrunc-create - create a container/);
        assertStringIncludes(create, "--bundle value, -b value");
      } else {
        console.log("install_test: no man, groff or mandoc here: pages not rendered");
      }

      // The completion loads and registers itself.
      const complete = await run("bash", [
        "--norc",
        "-c",
        `. "$1" && complete -p tsrunc`,
        "bash",
        `${root}/${COMPLETION}`,
      ]);
      assertEquals(complete.code, 0, complete.stderr);
      assertStringIncludes(complete.stdout, "-F _tsrunc tsrunc");

      // Nothing changed: nothing is rewritten.
      const again = await installSh("install", prefix, destdir, build);
      assertEquals(again.code, 0, again.stderr);
      assertEquals(again.stderr, "", "a second install reports no file");

      // Uninstall removes what install put there, and only that.
      Deno.writeTextFileSync(`${root}/share/man/man8/other.8`, ".TH OTHER 8\n");
      const uninstall = await installSh("uninstall", prefix, destdir, build);
      assertEquals(uninstall.code, 0, uninstall.stderr);
      for (const path of ["sbin/tsrunc", "lib/tsrunc", COMPLETION]) {
        assert(!exists(`${root}/${path}`), `${path} is gone`);
      }
      assertEquals(
        [...Deno.readDirSync(`${root}/share/man/man8`)].map((e) => e.name),
        ["other.8"],
        "only the other package's page is left",
      );
    }),
});

Deno.test({
  name: "dist.sh makes a tarball of the installed tree that runs wherever it is unpacked",
  ignore: ignore || !hasCommand("tar"),
  fn: () =>
    withTemp(async (base, build) => {
      const out = `${base}/out`;
      const dist = await run(`${REPO}/scripts/dist.sh`, [out], { env: { BUILD: build } });
      assertEquals(dist.code, 0, dist.stderr);
      const tarball = `${out}/tsrunc-${VERSION}-linux-x64.tar.gz`;
      assert(exists(tarball), `${tarball} exists`);

      // Paths relative to the prefix, files only (unpacking must not touch the modes
      // or owners of existing directories such as /usr/local/share), owned by root.
      const list = await run("tar", ["-tvzf", tarball]);
      assertEquals(list.code, 0, list.stderr);
      const entries = list.stdout.trim().split("\n").map((l) => l.split(/\s+/));
      const names = entries.map((e) => e.at(-1)!);
      for (const name of names) assertMatch(name, /^(sbin|lib|share)\/[^/]/, "relative path");
      for (const e of entries) {
        assert(!e[0].startsWith("d"), `no directory entry: ${e.at(-1)}`);
        assertEquals(e[1], "0/0", `owner of ${e.at(-1)}`);
      }
      for (
        const f of [
          "sbin/tsrunc",
          "lib/tsrunc/deno",
          "lib/tsrunc/tsrunc.js",
          "lib/tsrunc/libcore.so",
          "lib/tsrunc/executor",
          COMPLETION,
          ...PAGES.map((p) => `share/man/man8/${p}`),
        ]
      ) {
        assert(names.includes(f), `the tarball has ${f}`);
      }

      const prefix = `${base}/unpacked/somewhere`;
      Deno.mkdirSync(prefix, { recursive: true });
      const untar = await run("tar", ["-C", prefix, "-xzf", tarball]);
      assertEquals(untar.code, 0, untar.stderr);
      assertEquals(await versionLine(`${prefix}/sbin/tsrunc`), `tsrunc version ${VERSION}`);
    }),
});

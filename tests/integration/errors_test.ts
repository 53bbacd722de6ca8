/**
 * Bad input: each case must fail with exit 1 and exactly one line on stderr that names
 * the culprit, and leave nothing behind: no state directory, no process, no mount. runc
 * 1.1 runs the same bundle for comparison; where it fails too, tsrunc's message must say
 * at least as much.
 *
 * Leftover processes are found by running tsrunc under a child subreaper (a `deno eval`
 * wrapper): anything tsrunc started and did not clean up is re-parented to the wrapper,
 * which reports and kills it. This is exact even while other suites run containers.
 */
import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import {
  type Bundle,
  IS_ROOT,
  type Result,
  runToFiles,
  tsruncCommand,
  uniqueId,
  withBundle,
} from "./_helpers.ts";

const ignore = !IS_ROOT;
const RUNC = "/usr/sbin/runc";
const HAVE_RUNC = (() => {
  try {
    return Deno.statSync(RUNC).isFile;
  } catch {
    return false;
  }
})();

/** A process left behind by a tsrunc command. */
interface Leftover {
  pid: number;
  comm: string;
  state: string;
}

// Runs argv[1..] as a child subreaper, then reports (to argv[0]) and kills every live
// process re-parented to it, and reaps them all.
const WRAPPER = `
const libc = Deno.dlopen("libc.so.6", {
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  waitpid: { parameters: ["i32", "pointer", "i32"], result: "i32" },
});
if (libc.symbols.prctl(36, 1n, 0n, 0n, 0n) !== 0) throw new Error("PR_SET_CHILD_SUBREAPER failed");
const [report, cmd, ...args] = Deno.args;
const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "inherit", stderr: "inherit" }).spawn();
const { code } = await child.status;
await new Promise((r) => setTimeout(r, 150));
const me = String(Deno.pid);
const left = [];
for (const e of Deno.readDirSync("/proc")) {
  if (!/^\\d+$/.test(e.name)) continue;
  let stat;
  try { stat = Deno.readTextFileSync("/proc/" + e.name + "/stat"); } catch { continue; }
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (f[1] !== me) continue;
  const pid = Number(e.name);
  if (f[0] !== "Z") {
    left.push({ pid, comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")), state: f[0] });
    try { Deno.kill(pid, "SIGKILL"); } catch { /* gone */ }
    libc.symbols.waitpid(pid, null, 0x40000000);
  }
}
while (libc.symbols.waitpid(-1, null, 0x40000001) > 0) { /* reap zombies */ }
Deno.writeTextFileSync(report, JSON.stringify(left));
Deno.exit(code);
`;

/** What a watched tsrunc command did and left behind. */
interface Watched extends Result {
  leftovers: Leftover[];
  mountsBefore: string[];
  mountsAfter: string[];
}

/** Mount table lines that mention the bundle's directory. */
function bundleMounts(b: Bundle): string[] {
  const base = b.dir.replace(/\/[^/]+$/, "");
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter((l) => l.includes(base));
}

/** Run tsrunc --root <root> args in the bundle under the subreaper wrapper. */
async function watched(b: Bundle, args: string[]): Promise<Watched> {
  const report = `${b.dir}/../leftovers-${uniqueId("r")}.json`;
  const mountsBefore = bundleMounts(b);
  const argv = [Deno.execPath(), "eval", "--quiet", WRAPPER, "--", report, ...tsruncCommand()];
  const out = await runToFiles([...argv, "--root", b.root, ...args], {
    cwd: b.dir,
    tmpDir: `${b.dir}/..`,
  });
  let leftovers: Leftover[];
  try {
    leftovers = JSON.parse(Deno.readTextFileSync(report));
    Deno.removeSync(report);
  } catch {
    throw new Error(`the wrapper did not report: ${out.stderr}`);
  }
  return { ...out, leftovers, mountsBefore, mountsAfter: bundleMounts(b) };
}

/** runc --root <private root> args in the bundle; then deletes container `cleanup`. */
async function runc(b: Bundle, args: string[], cleanup?: string): Promise<Result> {
  const root = `${b.dir}/../runc-state`;
  const out = await runToFiles([RUNC, "--root", root, ...args], {
    cwd: b.dir,
    tmpDir: `${b.dir}/..`,
  });
  if (cleanup !== undefined) {
    await new Deno.Command(RUNC, {
      args: ["--root", root, "delete", "--force", cleanup],
      stdout: "null",
      stderr: "null",
    }).output();
  }
  return out;
}

/** Insist stderr is exactly one non-empty line. */
function assertOneLine(stderr: string, what: string): void {
  assert(
    stderr.endsWith("\n") && stderr.trim().length > 0,
    `${what}: stderr is not a line: ${JSON.stringify(stderr)}`,
  );
  assertEquals(
    stderr.trimEnd().split("\n").length,
    1,
    `${what}: stderr is not one line: ${JSON.stringify(stderr)}`,
  );
}

/** Insist a watched command failed cleanly and left nothing behind. */
function assertCleanFailure(b: Bundle, id: string, w: Watched, what: string): void {
  assertEquals(
    w.code,
    1,
    `${what}: exit status (stdout ${JSON.stringify(w.stdout)}, stderr ${w.stderr})`,
  );
  assertEquals(w.stdout, "", `${what}: stdout`);
  assertOneLine(w.stderr, what);
  let entries: string[] = [];
  try {
    entries = [...Deno.readDirSync(b.root)].map((e) => e.name);
  } catch { /* no root at all: fine */ }
  assert(!entries.includes(id), `${what}: state directory ${b.root}/${id} left behind`);
  assertEquals(entries, [], `${what}: entries left under the state root`);
  assertEquals(w.leftovers, [], `${what}: processes left behind`);
  assertEquals(w.mountsAfter, w.mountsBefore, `${what}: mounts left behind`);
}

/**
 * The common shape: prepare the bundle, `tsrunc create` must fail cleanly with a
 * message containing every `mentions`; runc, given the same bundle, must fail too
 * unless runcAccepts.
 */
async function badCreate(
  b: Bundle,
  what: string,
  mentions: string[],
  options: { createArgs?: string[]; runcAccepts?: boolean; runcRun?: boolean } = {},
): Promise<void> {
  const id = uniqueId("err");
  const w = await watched(b, ["create", ...(options.createArgs ?? []), id]);
  let runcSays = "(runc not run)";
  if (HAVE_RUNC) {
    // runcRun: runc's create only checks that the program exists; exec fails at start.
    const cmd = options.runcRun ? "run" : "create";
    const r = await runc(b, [cmd, ...(options.createArgs ?? []), id], id);
    runcSays = `runc exit ${r.code}: ${r.stderr.trim()}`;
    if (!options.runcAccepts) assert(r.code !== 0, `${what}: runc accepts this bundle`);
  }
  assertCleanFailure(b, id, w, `${what} [${runcSays}]`);
  for (const m of mentions) {
    assertStringIncludes(w.stderr, m, `${what}: message should name ${m} [${runcSays}]`);
  }
}

Deno.test({
  name: "the leftover check sees the process a successful create leaves (harness self-test)",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("err");
      const w = await watched(b, ["create", id]);
      assertEquals(w.code, 0, w.stderr);
      assertEquals(w.leftovers.length, 1, `leftovers: ${JSON.stringify(w.leftovers)}`);
      assert(w.leftovers[0].pid > 0);
    }),
});

Deno.test({
  name: "create with a missing bundle directory fails on one line naming the directory",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const missing = `${b.dir}/no-such-bundle`;
      await badCreate(b, "missing bundle", [missing], { createArgs: ["--bundle", missing] });
    }),
});

Deno.test({
  name: "create without config.json fails on one line naming config.json",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      Deno.removeSync(`${b.dir}/config.json`);
      await badCreate(b, "missing config.json", ["config.json"]);
    }),
});

Deno.test({
  name: "create with malformed JSON in config.json fails on one line naming config.json",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      Deno.writeTextFileSync(`${b.dir}/config.json`, '{"ociVersion": "1.0.2", "process": {');
      await badCreate(b, "malformed JSON", ["config.json", "JSON"]);
    }),
});

Deno.test({
  name: "create with process.args as a string fails on one line naming process.args",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.process.args = "sh -c true";
      b.save();
      await badCreate(b, "process.args a string", ["process.args"]);
    }),
});

Deno.test({
  name: "create with ociVersion 2.0.0 fails on one line naming the version (runc accepts it)",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.ociVersion = "2.0.0";
      b.save();
      await badCreate(b, "ociVersion 2.0.0", ["ociVersion", "2.0.0"], { runcAccepts: true });
    }),
});

Deno.test({
  name: "start of a started container fails on one line and leaves it running",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("err");
      assertEquals((await b.run(["create", id])).code, 0);
      assertEquals((await b.run(["start", id])).code, 0);
      const pid = JSON.parse((await b.run(["state", id])).stdout).pid;
      const again = await watched(b, ["start", id]);
      assertEquals(again.code, 1, again.stderr);
      assertEquals(again.stdout, "");
      assertOneLine(again.stderr, "second start");
      assertEquals(again.leftovers, []);
      const st = JSON.parse((await b.run(["state", id])).stdout);
      assertEquals([st.status, st.pid], ["running", pid]);
      if (HAVE_RUNC) {
        const rid = uniqueId("runc");
        await runc(b, ["create", rid]);
        await runc(b, ["start", rid]);
        const r2 = await runc(b, ["start", rid], rid);
        assertEquals(r2.code, 1, "runc's second start exit status");
      }
    }),
});

Deno.test({
  name: "start of a stopped container fails on one line",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = uniqueId("err");
      assertEquals((await b.run(["run", "--keep", id])).code, 0);
      const r = await watched(b, ["start", id]);
      assertEquals(r.code, 1, r.stderr);
      assertOneLine(r.stderr, "start of a stopped container");
      assertEquals(r.leftovers, []);
    }),
});

Deno.test({
  name: "a program not in PATH fails create on one line naming the program and the PATH",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const path = "/usr/local/bin:/bin:/opt/tools";
      b.config.process.args = ["no-such-program", "--flag"];
      b.config.process.env = [`PATH=${path}`];
      b.save();
      await badCreate(b, "program not in PATH", ["no-such-program", path]);
    }),
});

Deno.test({
  name: "a program not in PATH fails run the same way and leaves nothing",
  ignore,
  fn: () =>
    withBundle(["no-such-program"], async (b) => {
      const id = uniqueId("err");
      const w = await watched(b, ["run", id]);
      assertCleanFailure(b, id, w, "run of a missing program");
      assertStringIncludes(w.stderr, "no-such-program");
    }),
});

Deno.test({
  name: "an absolute program path that does not exist fails on one line naming it",
  ignore,
  fn: () =>
    withBundle(["/bin/no-such-file"], async (b) => {
      await badCreate(b, "missing absolute program", ["/bin/no-such-file"]);
    }),
});

Deno.test({
  name: "a script whose #! interpreter is missing fails on one line naming the interpreter",
  ignore,
  fn: () =>
    withBundle(["/bin/script.sh"], async (b) => {
      Deno.writeTextFileSync(`${b.rootfs}/bin/script.sh`, "#!/opt/nowhere/interp -x\necho hi\n");
      Deno.chmodSync(`${b.rootfs}/bin/script.sh`, 0o755);
      await badCreate(b, "missing #! interpreter", ["/opt/nowhere/interp"], { runcRun: true });
    }),
});

Deno.test({
  name: "a file without execute permission fails on one line naming the file",
  ignore,
  fn: () =>
    withBundle(["/bin/not-executable"], async (b) => {
      Deno.writeTextFileSync(`${b.rootfs}/bin/not-executable`, "echo hi\n");
      Deno.chmodSync(`${b.rootfs}/bin/not-executable`, 0o644);
      await badCreate(b, "non-executable file", ["/bin/not-executable"]);
    }),
});

Deno.test({
  name: "a directory given as the program fails on one line naming it",
  ignore,
  fn: () =>
    withBundle(["/etc"], async (b) => {
      await badCreate(b, "directory as program", ["/etc"]);
    }),
});

Deno.test({
  name: "a dynamically linked program whose loader is missing fails naming the loader",
  ignore,
  fn: () =>
    withBundle(["/bin/dynamic-ls"], async (b) => {
      const bytes = Deno.readFileSync("/bin/ls");
      // PT_INTERP of the host's ls, e.g. /lib64/ld-linux-x86-64.so.2.
      const text = new TextDecoder("latin1").decode(bytes.subarray(0, 4096));
      const loader = /\/lib[\w/.-]*ld-linux[\w.-]*/.exec(text)?.[0];
      assert(loader, "cannot find the loader of /bin/ls");
      Deno.writeFileSync(`${b.rootfs}/bin/dynamic-ls`, bytes, { mode: 0o755 });
      Deno.chmodSync(`${b.rootfs}/bin/dynamic-ls`, 0o755);
      await badCreate(b, "missing dynamic loader", [loader, "/bin/dynamic-ls"], {
        runcRun: true,
      });
    }),
});

Deno.test({
  name: "a cwd that does not exist is created, as runc does",
  ignore,
  fn: () =>
    withBundle(["pwd"], async (b) => {
      b.config.process.cwd = "/no/such/dir";
      b.save();
      const r = await b.run(["run", uniqueId("err")]);
      assertEquals(r, { code: 0, stdout: "/no/such/dir\n", stderr: "" });
      if (HAVE_RUNC) {
        const id = uniqueId("runc");
        const rr = await runc(b, ["run", id], id);
        assertEquals(rr.code, 0, `runc: ${rr.stderr}`);
      }
    }),
});

Deno.test({
  name: "a cwd that cannot be made (below a file) fails on one line naming the cwd",
  ignore,
  fn: () =>
    withBundle(["pwd"], async (b) => {
      b.config.process.cwd = "/etc/passwd/sub";
      b.save();
      await badCreate(b, "cwd below a file", ["/etc/passwd/sub"]);
    }),
});

Deno.test({
  name: "a relative cwd fails on one line naming process.cwd",
  ignore,
  fn: () =>
    withBundle(["pwd"], async (b) => {
      b.config.process.cwd = "relative/dir";
      b.save();
      await badCreate(b, "relative cwd", ["cwd", "relative/dir"]);
    }),
});

Deno.test({
  name: "a bind mount whose source does not exist fails on one line naming the mount",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const source = `${b.dir}/no-such-source`;
      b.config.mounts.push({
        destination: "/data",
        type: "bind",
        source,
        options: ["rbind", "ro"],
      });
      b.save();
      await badCreate(b, "missing mount source", [source, "/data"]);
    }),
});

Deno.test({
  name: "a namespace path that does not exist fails on one line naming the path",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.linux.namespaces = b.config.linux.namespaces.map((ns: { type: string }) =>
        ns.type === "network" ? { type: "network", path: "/nonexistent" } : ns
      );
      b.save();
      await badCreate(b, "bad namespace path", ["/nonexistent"]);
    }),
});

Deno.test({
  name: "a namespace path that is not a namespace fails on one line naming the path and the type",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.linux.namespaces = b.config.linux.namespaces.map((ns: { type: string }) =>
        ns.type === "network" ? { type: "network", path: `${b.dir}/config.json` } : ns
      );
      b.save();
      // runc: "failed to setns into net namespace: Invalid argument": name the type too.
      await badCreate(b, "namespace path to a regular file", [`${b.dir}/config.json`, "network"]);
    }),
});

Deno.test({
  name: "a namespace path of the wrong type fails on one line naming the path and the type",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      // The host's uts namespace (this test's) given as the network namespace.
      const uts = `/proc/${Deno.pid}/ns/uts`;
      b.config.linux.namespaces = b.config.linux.namespaces.map((ns: { type: string }) =>
        ns.type === "network" ? { type: "network", path: uts } : ns
      );
      b.save();
      // runc: "failed to setns into net namespace: Invalid argument": name the type too.
      await badCreate(b, "namespace of the wrong type", [uts, "network"]);
    }),
});

/**
 * The single executable: scripts/compile.sh's outcomes, and the sealed-memfd loading of
 * libcore and the executor that the compiled binary uses (TSRUNC_MEMFD_NATIVE=1 takes
 * the same path in the installed tree, so it is tested here for real).
 */
import { assert, assertEquals } from "./_assert.ts";
import { exists, IS_ROOT, sleep, tsruncCommand, uniqueId, withBundle } from "./_helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const DENO = `${REPO}node_modules/@deno/linux-x64-glibc/deno`;
const BUILT = (() => {
  try {
    return Deno.statSync(`${REPO}build/lib/tsrunc.js`).isFile;
  } catch {
    return false;
  }
})();

async function compile(env: Record<string, string>) {
  const out = await new Deno.Command("bash", {
    args: [`${REPO}scripts/compile.sh`],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test({
  name: "compile: builds a binary that answers as tsrunc, or stops with one clear line",
  ignore: !BUILT,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tsrunc-test-compile-" });
    try {
      const out = `${dir}/tsrunc`;
      const r = await compile({ OUT: out, COMPILE_TIMEOUT: "300" });
      if (r.code === 0) {
        // a machine with network (or DENORT_BIN): the binary must run on its own
        const version = await new Deno.Command(out, { args: ["--version"] }).output();
        assertEquals(version.code, 0);
        assert(new TextDecoder().decode(version.stdout).startsWith("tsrunc version "));
        return;
      }
      assertEquals(r.code, 1, r.stderr);
      const lines = r.stderr.trim().split("\n");
      assertEquals(lines.length, 1, r.stderr);
      assert(/^compile: .*(denort|DENORT_BIN)/.test(lines[0]), lines[0]);
      assert(!exists(out, { follow: true }), "no binary is left behind");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "compile: a full deno as DENORT_BIN is caught (the result would not run tsrunc)",
  ignore: !BUILT,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "tsrunc-test-compile-" });
    try {
      const out = `${dir}/tsrunc`;
      const r = await compile({ OUT: out, DENORT_BIN: DENO });
      assertEquals(r.code, 1, r.stderr);
      assert(r.stderr.includes("does not run as tsrunc"), r.stderr);
      assert(!exists(out, { follow: true }), "the useless binary is removed");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "TSRUNC_MEMFD_NATIVE=1: libcore and the executor run from sealed memfds, not files",
  ignore: !IS_ROOT,
  fn: async () => {
    await withBundle(["sleep", "3"], async (b) => {
      const id = uniqueId("memfd");
      const [cmd, ...pre] = tsruncCommand();
      const child = new Deno.Command(cmd, {
        args: [...pre, "--root", b.root, "run", id],
        cwd: b.dir,
        env: { TSRUNC_MEMFD_NATIVE: "1" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      try {
        let pid = 0;
        for (let i = 0; i < 100 && pid === 0; i++) {
          const state = await b.run(["state", id]);
          if (state.code === 0) pid = JSON.parse(state.stdout).pid;
          if (pid === 0) await sleep(50);
        }
        assert(pid > 0, "the container started");
        // The init is tsrunc's child (the executor clones it as a sibling of itself).
        const ppid = Number(
          Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ")[1],
        );
        const maps = Deno.readTextFileSync(`/proc/${ppid}/maps`);
        assert(maps.includes("/memfd:tsrunc-sealed-libcore.so (deleted)"), "libcore from a memfd");
        assert(!/\/libcore\.so$/m.test(maps), "no libcore.so file is mapped");
        const fds = [...Deno.readDirSync(`/proc/${ppid}/fd`)].map((e) => {
          try {
            return Deno.readLinkSync(`/proc/${ppid}/fd/${e.name}`);
          } catch {
            return "";
          }
        });
        assert(fds.includes("/memfd:tsrunc-sealed-executor (deleted)"), fds.join(" "));
      } finally {
        const status = await child.output();
        assertEquals(status.code, 0, new TextDecoder().decode(status.stderr));
      }
    });
  },
});

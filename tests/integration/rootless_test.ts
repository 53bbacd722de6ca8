/**
 * Rootless containers, run by a real unprivileged user (made here if missing): runc's
 * README flow (`spec --rootless`, default root $XDG_RUNTIME_DIR/tsrunc), exec/ps/kill/
 * delete, several id ranges through newuidmap/newgidmap, and clear errors for what a
 * user cannot do (cgroup limits).
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  type Config,
  hasCommand,
  IS_ROOT,
  makeRootfs,
  sleep,
  tsruncCommand,
  uniqueId,
} from "./_helpers.ts";

const USER = "tsrunc-rl";
const ignore = !IS_ROOT || !hasCommand("setpriv");

/** The test user's uid and gid, made (with /etc/subuid ranges) on first use. */
function ensureUser(): { uid: number; gid: number } {
  const id = (flag: string) =>
    new Deno.Command("id", { args: [flag, USER], stdout: "piped", stderr: "null" }).outputSync();
  if (!id("-u").success) {
    const made = new Deno.Command("useradd", { args: ["-m", "-s", "/bin/sh", USER] })
      .outputSync();
    assert(made.success, `useradd ${USER}: ${new TextDecoder().decode(made.stderr)}`);
  }
  const num = (flag: string) => Number(new TextDecoder().decode(id(flag).stdout).trim());
  return { uid: num("-u"), gid: num("-g") };
}

interface Rootless {
  base: string;
  bundle: string;
  xdg: string;
  uid: number;
  gid: number;
  /** tsrunc as the user, in the bundle, with XDG_RUNTIME_DIR set and no --root. */
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  config: Config;
  save(): void;
}

async function withRootless(args: string[], fn: (r: Rootless) => Promise<void>) {
  const { uid, gid } = ensureUser();
  const base = Deno.makeTempDirSync({ prefix: "tsrunc-rl-" });
  const bundle = `${base}/bundle`;
  const xdg = `${base}/xdg`;
  Deno.mkdirSync(xdg, { recursive: true, mode: 0o700 });
  makeRootfs(`${bundle}/rootfs`);
  const chown = (path: string) =>
    new Deno.Command("chown", { args: ["-R", `${uid}:${gid}`, path] }).outputSync();
  chown(base);
  const [cmd, ...pre] = tsruncCommand();
  // Output through files: a detached container keeps its stdio, so pipes would not close.
  const run = async (a: string[]) => {
    const status = await new Deno.Command("sh", {
      args: [
        "-c",
        'exec "$@" >"$0.out" 2>"$0.err"',
        `${base}/io`,
        "setpriv",
        "--reuid",
        String(uid),
        "--regid",
        String(gid),
        "--clear-groups",
        "env",
        "-i",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        `HOME=${base}`,
        `XDG_RUNTIME_DIR=${xdg}`,
        ...(Deno.env.get("TSRUNC_LIBDIR")
          ? [`TSRUNC_LIBDIR=${Deno.env.get("TSRUNC_LIBDIR")}`]
          : []),
        cmd,
        ...pre,
        ...a,
      ],
      cwd: bundle,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return {
      code: status.code,
      stdout: Deno.readTextFileSync(`${base}/io.out`),
      stderr: Deno.readTextFileSync(`${base}/io.err`),
    };
  };
  const spec = await run(["spec", "--rootless"]);
  assertEquals(spec.code, 0, spec.stderr);
  const r: Rootless = {
    base,
    bundle,
    xdg,
    uid,
    gid,
    run,
    config: JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`)),
    save() {
      Deno.writeTextFileSync(`${bundle}/config.json`, JSON.stringify(this.config, null, 2));
      chown(`${bundle}/config.json`);
    },
  };
  r.config.process.terminal = false;
  r.config.process.args = args;
  r.save();
  try {
    await fn(r);
  } finally {
    let ids: string[] = [];
    try {
      ids = [...Deno.readDirSync(`${xdg}/tsrunc`)].filter((e) => e.isDirectory).map((e) => e.name);
    } catch { /* nothing was created */ }
    for (const id of ids) await run(["delete", "--force", id]);
    Deno.removeSync(base, { recursive: true });
  }
}

Deno.test({
  name: "rootless: spec --rootless and run as a user: root inside is the user outside",
  ignore,
  fn: () =>
    withRootless(
      ["sh", "-c", "id -u; cat /proc/self/uid_map; cat /proc/self/setgroups"],
      async (r) => {
        const out = await r.run(["run", uniqueId("rl")]);
        assertEquals(out.code, 0, out.stderr);
        const lines = out.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
        assertEquals(lines, ["0", `0 ${r.uid} 1`, "deny"]);
        // no cgroup limits asked: cgroups are skipped, silently as with runc
        assertEquals(out.stderr, "");
      },
    ),
});

Deno.test({
  name: "rootless: run -d, state under $XDG_RUNTIME_DIR/tsrunc, exec, ps, kill, delete",
  ignore,
  fn: () =>
    withRootless(["sleep", "100"], async (r) => {
      const id = uniqueId("rl");
      const started = await r.run(["run", "-d", id]);
      assertEquals(started.code, 0, started.stderr);
      const info = Deno.statSync(`${r.xdg}/tsrunc/${id}`);
      assertEquals(info.uid, r.uid);
      assertEquals(info.mode! & 0o777, 0o700);
      const state = JSON.parse((await r.run(["state", id])).stdout);
      assertEquals(state.status, "running");
      const exec = await r.run(["exec", id, "sh", "-c", "id -u; echo $$"]);
      assertEquals(exec.code, 0, exec.stderr);
      assertEquals(exec.stdout.split("\n")[0], "0");
      const ps = await r.run(["ps", "--format", "json", id]);
      assertEquals(JSON.parse(ps.stdout), [state.pid]);
      assertEquals((await r.run(["kill", id, "KILL"])).code, 0);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        if (JSON.parse((await r.run(["state", id])).stdout).status === "stopped") break;
        await sleep(50);
      }
      assertEquals((await r.run(["delete", id])).code, 0);
      assertEquals((await r.run(["list", "-q"])).stdout, "");
    }),
});

Deno.test({
  name: "rootless: several id ranges through newuidmap/newgidmap and /etc/subuid",
  ignore: ignore || !hasCommand("newuidmap"),
  fn: () =>
    withRootless(["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map"], async (r) => {
      const sub = Deno.readTextFileSync("/etc/subuid").split("\n").find((l) =>
        l.startsWith(`${USER}:`)
      );
      assert(sub, `no /etc/subuid range for ${USER}`);
      const start = Number(sub.split(":")[1]);
      const subg = Deno.readTextFileSync("/etc/subgid").split("\n").find((l) =>
        l.startsWith(`${USER}:`)
      )!;
      const startG = Number(subg.split(":")[1]);
      r.config.linux.uidMappings = [
        { containerID: 0, hostID: r.uid, size: 1 },
        { containerID: 1, hostID: start, size: 1000 },
      ];
      r.config.linux.gidMappings = [
        { containerID: 0, hostID: r.gid, size: 1 },
        { containerID: 1, hostID: startG, size: 1000 },
      ];
      r.save();
      const out = await r.run(["run", uniqueId("rl")]);
      assertEquals(out.code, 0, out.stderr);
      const lines = out.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/).join(" "));
      assertEquals(lines, [`0 ${r.uid} 1`, `1 ${start} 1000`, `0 ${r.gid} 1`, `1 ${startG} 1000`]);
    }),
});

Deno.test({
  name: "rootless: cgroup limits a user cannot set fail clearly and leave nothing",
  ignore,
  fn: () =>
    withRootless(["true"], async (r) => {
      r.config.linux.resources = { pids: { limit: 10 } };
      r.save();
      const id = uniqueId("rl");
      const out = await r.run(["run", id]);
      assertEquals(out.code, 1);
      assertEquals(out.stderr.trim().split("\n").length, 1, out.stderr);
      assertMatch(out.stderr, /create cgroup: .*[Pp]ermission denied/);
      assertEquals((await r.run(["list", "-q"])).stdout, "");
    }),
});

Deno.test({
  name: "rootless: the non-dumpable executor still sets oomScoreAdj for run and exec; exec into " +
    "a created container that has not started says why it cannot",
  ignore,
  fn: () =>
    withRootless(["sh", "-c", "cat /proc/self/oom_score_adj"], async (r) => {
      r.config.process.oomScoreAdj = 321;
      r.save();
      const run = await r.run(["run", uniqueId("rl")]);
      assertEquals([run.code, run.stdout], [0, "321\n"], run.stderr);
      r.config.process.args = ["sleep", "100"];
      r.save();
      const id = uniqueId("rl");
      assertEquals((await r.run(["create", id])).code, 0);
      const early = await r.run(["exec", id, "true"]);
      assertEquals(early.code, 255, early.stderr); // runc exec's own failures
      assertMatch(early.stderr, /^tsrunc: .*not started.*\n$/);
      assertEquals((await r.run(["start", id])).code, 0);
      const exec = await r.run(["exec", id, "cat", "/proc/self/oom_score_adj"]);
      assertEquals([exec.code, exec.stdout], [0, "321\n"], exec.stderr);
    }),
});

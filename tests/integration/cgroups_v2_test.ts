/**
 * A container's cgroup2 directory. On a hybrid host (v1 controllers, an empty cgroup2 at
 * /sys/fs/cgroup/unified) tsrunc puts the limits in the v1 hierarchies but makes and
 * joins the cgroup2 directory too, as runc does; on a unified host it is the only one.
 * These tests check what holds in both: placement of the init and of exec'd processes,
 * removal on delete, cgroup.events, and that kill --all and ps find the processes.
 *
 * Every container gets an absolute cgroupsPath /tsrunc-test/<unique> (_cgroups.ts), and
 * the cgroups are removed afterwards even when a test fails. With TSRUNC=/usr/sbin/runc
 * the tests pass (the TSRUNC_CGROUP_PARENT test, tsrunc's own, is skipped for runc).
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { type Bundle, IS_ROOT, tsruncCommand, uniqueId, withBundle } from "./_helpers.ts";
import {
  alive,
  exists,
  HAS_V2,
  hierarchies,
  ok,
  parseProcCgroup,
  procsOf,
  psPids,
  readCg,
  removeCgroupTree,
  runDetached,
  SLEEPER,
  stateOf,
  TEST_PARENT,
  v2Dir,
  waitFor,
  withCgroupBundle,
} from "./_cgroups.ts";

const ignore = !IS_ROOT || !HAS_V2;
const IS_RUNC = /(^|\/)runc$/.test(tsruncCommand()[0]);

/** exec -d a sleep; returns its host pid. */
async function execSleep(b: Bundle, id: string): Promise<number> {
  const pidFile = `${b.dir}/exec-${Math.random().toString(36).slice(2)}.pid`;
  ok(await b.run(["exec", "-d", "--pid-file", pidFile, id, "sleep", "600"]), "exec -d sleep");
  const pid = Number(Deno.readTextFileSync(pidFile).trim());
  assert(pid > 0, `no pid in ${pidFile}`);
  return pid;
}

Deno.test({
  name:
    "cgroup2: the init and exec'd processes are in the container's directory; delete removes it",
  ignore,
  fn: () =>
    withCgroupBundle("cg2-place", SLEEPER, async (b, { id, path }) => {
      const pid = await runDetached(b, id);
      const dir = v2Dir(path);
      assert(exists(dir), `${dir} does not exist`);
      assertEquals(procsOf(dir), [pid], `${dir}/cgroup.procs`);
      assertEquals(parseProcCgroup(Deno.readTextFileSync(`/proc/${pid}/cgroup`)).get(""), path);

      const other = await execSleep(b, id);
      assertEquals(
        procsOf(dir).sort((x, y) => x - y),
        [pid, other].sort((x, y) => x - y),
        "exec'd process",
      );
      assertEquals(parseProcCgroup(Deno.readTextFileSync(`/proc/${other}/cgroup`)).get(""), path);

      ok(await b.run(["delete", "--force", id]), "delete --force");
      assert(!alive(pid) && !alive(other), "processes left after delete --force");
      assert(!exists(dir), `${dir} is left after delete`);
    }),
});

Deno.test({
  name: "cgroup2: cgroup.events says populated while the container runs, not once it stopped",
  ignore,
  fn: () =>
    withCgroupBundle("cg2-events", SLEEPER, async (b, { id, path }) => {
      const pid = await runDetached(b, id);
      const dir = v2Dir(path);
      assertMatch(readCg(dir, "cgroup.events"), /^populated 1$/m);
      ok(await b.run(["kill", id, "KILL"]), "kill");
      await waitFor("the init to die", () => !alive(pid));
      await waitFor("cgroup.events populated 0", () =>
        /^populated 0$/m.test(readCg(dir, "cgroup.events")));
      await waitFor("state stopped", async () =>
        (await stateOf(b, id)).status === "stopped");
      ok(await b.run(["delete", id]), "delete");
      assert(!exists(dir), `${dir} is left after delete`);
    }),
});

Deno.test({
  name: "cgroup2: ps and kill --all find every process of the container's cgroup",
  ignore,
  fn: () =>
    withCgroupBundle("cg2-killall", SLEEPER, async (b, { id, path }) => {
      const pid = await runDetached(b, id);
      const one = await execSleep(b, id);
      const two = await execSleep(b, id);
      const all = [pid, one, two].sort((x, y) => x - y);
      assertEquals(await psPids(b, id), all, "ps --format json");
      assertEquals(procsOf(v2Dir(path)).sort((x, y) => x - y), all, "cgroup.procs");
      ok(await b.run(["kill", "--all", id, "KILL"]), "kill --all");
      await waitFor("every process to die", () => all.every((p) => !alive(p)));
      await waitFor("state stopped", async () => (await stateOf(b, id)).status === "stopped");
      await waitFor("an empty cgroup", () => procsOf(v2Dir(path)).length === 0);
    }),
});

Deno.test({
  name: "cgroup2: a relative cgroupsPath goes below TSRUNC_CGROUP_PARENT there too",
  // runc has no TSRUNC_CGROUP_PARENT: it would use the test runner's own cgroups.
  ignore: ignore || IS_RUNC,
  fn: async () => {
    const parent = `${TEST_PARENT}/${uniqueId("cg2-parent")}`;
    const env = { TSRUNC_CGROUP_PARENT: parent };
    try {
      await withBundle(SLEEPER, async (b) => {
        const id = uniqueId("cg2-rel");
        b.config.linux.cgroupsPath = "rel";
        b.save();
        const pid = await runDetached(b, id, env);
        assertEquals(procsOf(v2Dir(`${parent}/rel`)), [pid]);
        ok(await b.run(["delete", "--force", id], { env }), "delete --force");
        assert(!exists(v2Dir(`${parent}/rel`)), "left after delete");
      });
    } finally {
      await removeCgroupTree(parent);
      for (const h of hierarchies()) assert(!exists(h.mountpoint + parent), "parent left");
    }
  },
});

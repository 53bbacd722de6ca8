/**
 * tsrunc explain (not in runc): the plan create would run, each op with the config path
 * it came from, and nothing made on the host; a failing create names the same op.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { exists, ok, uniqueId, withBundle } from "./_helpers.ts";

Deno.test("explain prints the numbered plan with config paths and makes nothing", async () => {
  await withBundle(["true"], async (b) => {
    const id = uniqueId("explain");
    const cgroup = `/tsrunc-test-${id}`;
    b.config.linux.cgroupsPath = cgroup;
    b.config.linux.resources = { pids: { limit: 50 } };
    b.config.hooks = { poststop: [{ path: "/bin/true" }] };
    b.save();
    const out = ok(await b.run(["explain", id]), "explain").stdout.split("\n");
    assertMatch(out[0], new RegExp(`^container ${id}: bundle ${b.dir}, rootfs ${b.rootfs}$`));
    const ops = out.filter((l) => /^ +\d+ {2}/.test(l));
    assert(ops.length > 20, out.join("\n"));
    // numbered 1..N in order
    ops.forEach((l, i) => assertEquals(Number(l.trim().split(" ")[0]), i + 1, l));
    const proc = ops.find((l) => l.includes("mount proc on /proc"));
    assertMatch(proc ?? "", /← mounts\[0\]$/);
    assert(ops.some((l) => /mask \/proc\/kcore {2}← linux\.maskedPaths\[\d+\]$/.test(l)));
    assert(ops.some((l) => /execve true .*← process\.args$/.test(l)));
    assert(out.some((l) => l.includes(`pids: /sys/fs/cgroup/pids${cgroup}`)), out.join("\n"));
    assert(
      out.some((l) => l.trim() === `/sys/fs/cgroup/pids${cgroup}/pids.max = "50"`),
      out.join("\n"),
    );
    assert(out.some((l) => l.includes("hooks.poststop[0]: /bin/true")), out.join("\n"));
    // nothing was made: no state, no cgroup
    assert(!exists(`${b.root}/${id}`), "explain made a state directory");
    assert(!exists(`/sys/fs/cgroup/pids${cgroup}`), "explain made a cgroup");
  });
});

Deno.test("a failing op's error names its explain number and its config.json path", async () => {
  await withBundle(["true"], async (b) => {
    b.config.mounts.push({ destination: "/mnt", type: "nosuchfs", source: "x" });
    b.save();
    const index = b.config.mounts.length - 1;
    const id = uniqueId("opfail");
    const run = await b.run(["run", id]);
    assertEquals(run.code, 1, run.stderr);
    const match =
      /^tsrunc: mount x on \/mnt \(type nosuchfs\): no such device \(op (\d+), config\.json mounts\[(\d+)\]\)$/
        .exec(run.stderr.trim());
    assert(match, run.stderr);
    assertEquals(Number(match[2]), index);
    assert(!exists(`${b.root}/${id}`), "a failed run leaves no state");
    // explain's line of that number is the same mount
    const out = ok(await b.run(["explain", id]), "explain").stdout.split("\n");
    const line = out.find((l) => l.trimStart().startsWith(`${match[1]}  `));
    assertStringIncludes(line ?? "", `mount nosuchfs x on /mnt  ← mounts[${index}]`);
  });
});

Deno.test("explain refuses a bad config with create's one-line error", async () => {
  await withBundle(["true"], async (b) => {
    b.config.process.args = [];
    b.save();
    const r = await b.run(["explain"]);
    assertEquals(r.code, 1);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertStringIncludes(r.stderr, "config.json: process.args");
  });
});

/**
 * driverFor() picks the driver by the record's version: each driver reads and writes the
 * files of its version in a temporary directory laid out like cgroupfs (plain files stand in
 * for the kernel's; what only the kernel does, such as cgroup.events changing, is written by
 * the test).
 */
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { driverFor } from "../../../../core/cgroups/driver.ts";
import type { CgroupRecord } from "../../../../core/cgroups/record.ts";
import { deviceRules } from "../../../../core/cgroups/devices.ts";
import type { OciSpec } from "../../../../core/spec/types.ts";

/** fn on a temporary directory holding files with their contents (parents made). */
function withCgroupfs(files: Record<string, string>, fn: (root: string) => void): void {
  const root = Deno.makeTempDirSync({ prefix: "tsrunc-cgroupfs-" });
  try {
    for (const [path, text] of Object.entries(files)) {
      Deno.mkdirSync(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      Deno.writeTextFileSync(`${root}/${path}`, text);
    }
    fn(root);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

function read(path: string): string {
  return Deno.readTextFileSync(path);
}

Deno.test("driverFor() gives a version 1 record the v1 driver: a directory per controller", () => {
  withCgroupfs({
    "freezer/c1/freezer.state": "THAWED\n",
    "memory/c1/memory.limit_in_bytes": "9223372036854771712\n",
    "memory/c1/memory.memsw.limit_in_bytes": "9223372036854771712\n",
    "memory/c1/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
    "pids/c1/pids.max": "max\n",
    "pids/c1/pids.current": "2\n",
    "devices/c1/devices.allow": "",
    "devices/c1/devices.deny": "",
  }, (root) => {
    const dirs = Object.fromEntries(
      ["freezer", "memory", "pids", "devices"].map((c) => [c, `${root}/${c}/c1`]),
    );
    const driver = driverFor({ version: 1, dirs, created: [] });
    assertEquals(driver.version, 1);
    assertEquals(driver.lateMemoryCgroup(), `${root}/memory/c1`);
    assert(driver.canFreeze() && !driver.isFrozen());
    driver.setFrozen(true);
    assertEquals(read(`${root}/freezer/c1/freezer.state`), "FROZEN");
    assert(driver.isFrozen());
    assertEquals(driver.oomKills(), 3);

    const spec = { ociVersion: "1.3.0", linux: { resources: {} } } as OciSpec;
    driver.setResources(
      { pids: { limit: 10 }, memory: { limit: 64 * 1024 ** 2 } },
      deviceRules(spec),
    );
    assertEquals(read(`${root}/pids/c1/pids.max`), "10");
    assertEquals(read(`${root}/memory/c1/memory.limit_in_bytes`), "67108864");
    assertEquals(read(`${root}/devices/c1/devices.allow`), "c 10:200 rwm"); // the last rule
    assertEquals(driver.stats().pids, { current: 2, limit: 10 });

    const noFreezer = driverFor({ version: 1, dirs: { pids: dirs.pids }, created: [] });
    assert(!noFreezer.canFreeze() && !noFreezer.isFrozen());
    assertThrows(() => noFreezer.setFrozen(true), /freezer cgroup controller is not available/);
  });
});

Deno.test("driverFor() gives a version 2 record the v2 driver: one directory, no late join", () => {
  withCgroupfs({
    "c1/cgroup.freeze": "0\n",
    "c1/cgroup.events": "populated 1\nfrozen 0\n",
    "c1/memory.events": "low 0\nhigh 0\nmax 0\noom 1\noom_kill 2\n",
    "c1/pids.current": "1\n",
    "c1/pids.max": "max\n",
  }, (root) => {
    const record: CgroupRecord = { version: 2, dirs: { "": `${root}/c1` }, created: [] };
    const driver = driverFor(record);
    assertEquals(driver.version, 2);
    assertEquals(driver.lateMemoryCgroup(), undefined);
    assert(driver.canFreeze() && !driver.isFrozen());
    driver.setFrozen(true);
    assertEquals(read(`${root}/c1/cgroup.freeze`), "1");
    Deno.writeTextFileSync(`${root}/c1/cgroup.events`, "populated 1\nfrozen 1\n"); // the kernel
    assert(driver.isFrozen());
    assertEquals(driver.oomKills(), 2);
    assertEquals(driver.stats().pids, { current: 1 });
    assert(!driverFor({ ...record, dirs: { "": `${root}/gone` } }).canFreeze());
  });
});

Deno.test("describeResources() lists what setResources() would write, and writes nothing", () => {
  withCgroupfs({ "pids/c1/pids.max": "max\n", "unified/c1/pids.max": "max\n" }, (root) => {
    const v1 = driverFor({ version: 1, dirs: { pids: `${root}/pids/c1` }, created: [] });
    assertEquals(v1.describeResources({ pids: { limit: 10 } }), [
      `${root}/pids/c1/pids.max = "10"`,
    ]);
    const v2 = driverFor({ version: 2, dirs: { "": `${root}/unified/c1` }, created: [] });
    const spec = { ociVersion: "1.3.0", linux: { resources: {} } } as OciSpec;
    assertEquals(v2.describeResources({ pids: { limit: 10 } }, deviceRules(spec)), [
      "enable controller pids in the ancestors",
      `${root}/unified/c1/pids.max = "10"`,
      `${root}/unified/c1: eBPF device filter of ${deviceRules(spec).length} rules`,
    ]);
    assertEquals(read(`${root}/pids/c1/pids.max`), "max\n");
    assertEquals(read(`${root}/unified/c1/pids.max`), "max\n");
  });
});

/**
 * The cgroup2 side of core/cgroups/manager.ts and its v2 driver on the real cgroup2 hierarchy
 * of this hybrid host (/sys/fs/cgroup/unified, which holds no controllers): make, join, list,
 * freeze, device filter, remove, and the clear error when a controller is missing.
 * (A pure cgroup2 host runs the same code through `create`.)
 */
import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { IS_ROOT } from "./_helpers.ts";
import {
  addProcess,
  cgroupPids,
  createCgroups,
  removeCgroups,
} from "../../core/cgroups/manager.ts";
import { driverFor } from "../../core/cgroups/driver.ts";
import type { CgroupRecord } from "../../core/cgroups/record.ts";
import type { OciSpec } from "../../core/spec/types.ts";

const UNIFIED = "/sys/fs/cgroup/unified";
const ignore = !IS_ROOT || !isCgroup2(UNIFIED);

/** Whether dir is a cgroup2 directory (only cgroup2 has cgroup.subtree_control). */
function isCgroup2(dir: string): boolean {
  try {
    return Deno.statSync(`${dir}/cgroup.subtree_control`).isFile;
  } catch {
    return false;
  }
}

const spec = (resources?: OciSpec["linux"]) =>
  ({ ociVersion: "1.3.0", linux: resources }) as OciSpec;

/** A sleeping process, and a record for a fresh cgroup below a parent the test owns. */
async function withCgroup(fn: (record: CgroupRecord, pid: number) => Promise<void> | void) {
  const parent = `${UNIFIED}/tsrunc-test-v2-${crypto.randomUUID().slice(0, 8)}`;
  const record: CgroupRecord = { version: 2, dirs: { "": `${parent}/c1` }, created: [] };
  const child = new Deno.Command("sleep", { args: ["30"], stdout: "null", stderr: "null" })
    .spawn();
  try {
    await fn(record, child.pid);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
    await child.status;
    if (record.created.length > 0) {
      // thaw first: a frozen process cannot die
      try {
        driverFor(record).setFrozen(false);
      } catch {
        // not made
      }
      removeCgroups(record);
    }
    for (const dir of [`${parent}/c1`, parent]) {
      try {
        Deno.removeSync(dir);
      } catch {
        // removed
      }
    }
  }
}

Deno.test({
  name: "cgroup2: make, join, list and remove a container's cgroup",
  ignore,
  fn: () =>
    withCgroup((record, pid) => {
      createCgroups(record, spec());
      assertEquals(record.created.length, 2, "the parent and the container's directory");
      addProcess(record, pid);
      assert(
        Deno.readTextFileSync(`${record.dirs[""]}/cgroup.procs`).split("\n").includes(String(pid)),
      );
      assertEquals(cgroupPids(record), [pid]);
      assertEquals(
        Deno.readTextFileSync(`/proc/${pid}/cgroup`).match(/^0::(.*)$/m)?.[1],
        record.dirs[""].slice(UNIFIED.length),
      );
    }),
});

Deno.test({
  name: "cgroup2: freeze and thaw through cgroup.freeze",
  ignore,
  fn: () =>
    withCgroup((record, pid) => {
      createCgroups(record, spec());
      addProcess(record, pid);
      driverFor(record).setFrozen(true);
      const deadline = Date.now() + 5000;
      while (!driverFor(record).isFrozen() && Date.now() < deadline) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
      assert(driverFor(record).isFrozen(), "cgroup.events says frozen 1");
      driverFor(record).setFrozen(false);
      assert(!driverFor(record).isFrozen(), "thawed");
    }),
});

Deno.test({
  name: "cgroup2: the device filter is attached and limits the cgroup's processes",
  ignore,
  fn: () =>
    withCgroup(async (record) => {
      // deny all but runc's defaults: /dev/zero allowed, /dev/kmsg (1:11) not
      createCgroups(record, spec({ resources: { devices: [{ allow: false, access: "rwm" }] } }));
      const probe = (path: string) =>
        new Deno.Command("sh", {
          args: ["-c", `echo $$ > ${record.dirs[""]}/cgroup.procs && head -c1 ${path} >/dev/null`],
          stdout: "null",
          stderr: "piped",
        }).output();
      assertEquals((await probe("/dev/zero")).code, 0);
      const denied = await probe("/dev/kmsg");
      assert(denied.code !== 0, "reading /dev/kmsg is denied");
      assert(/not permitted/i.test(new TextDecoder().decode(denied.stderr)));
    }),
});

Deno.test({
  name: "cgroup2: a limit whose controller the hierarchy lacks is a clear error",
  ignore,
  fn: () =>
    withCgroup((record) => {
      createCgroups(record, spec());
      assertThrows(
        () => driverFor(record).setResources({ pids: { limit: 10 } }),
        Error,
        "controller(s) pids not available",
      );
    }),
});

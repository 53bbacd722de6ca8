/**
 * runc update's flags as resources, the merge into the stored resources, and the writes an
 * update makes from them: compared with what runc 1.1's `update` parses and writes.
 */
import { assertEquals } from "../../_assert.ts";
import {
  checkMemoryBeforeUpdate,
  intelRdtFromFlags,
  mergeResources,
  ramInBytes,
  updateFromFlags,
} from "../../../../core/cgroups/update_flags.ts";
import { v1Writes } from "../../../../core/cgroups/v1/mod.ts";
import { v2Writes } from "../../../../core/cgroups/v2/mod.ts";
import type { LinuxResources } from "../../../../core/spec/types.ts";
import { assertTsruncError, c1, c2, G, M } from "./_helpers.ts";

Deno.test("ramInBytes() reads sizes as docker/go-units RAMInBytes", () => {
  const table: [string, number][] = [
    ["100", 100],
    ["0", 0],
    ["1k", 1024],
    ["1K", 1024],
    ["1kb", 1024],
    ["1KiB", 1024],
    ["10 KiB", 10240],
    ["512m", 512 * M],
    ["512MB", 512 * M],
    ["1g", G],
    ["1.5g", 1610612736],
    ["2t", 2 * 1024 ** 4],
    ["1p", 1024 ** 5],
    ["10b", 10],
    ["1.9", 1],
  ];
  for (const [text, n] of table) assertEquals(ramInBytes(text), n, text);
  for (const text of ["", "-1", "abc", "1x", "1gg", "1.2.3", " 1", "1  k", "1e3", "0x10"]) {
    assertTsruncError(() => ramInBytes(text), /^invalid size: /);
  }
});

Deno.test("updateFromFlags() reads runc update's flags as resources", () => {
  assertEquals(
    updateFromFlags({
      "blkio-weight": "300",
      "cpu-period": "100000",
      "cpu-quota": "-1",
      "cpu-burst": "5000",
      "cpu-rt-period": "1000000",
      "cpu-rt-runtime": "950000",
      "cpu-share": "512",
      "cpuset-cpus": "0-1",
      "cpuset-mems": "0",
      "cpu-idle": "1",
      memory: "512m",
      "memory-reservation": "256M",
      "memory-swap": "1g",
      "pids-limit": "100",
    }),
    {
      blockIO: { weight: 300 },
      cpu: {
        cpus: "0-1",
        mems: "0",
        idle: 1,
        burst: 5000,
        period: 100000,
        realtimePeriod: 1000000,
        shares: 512,
        quota: -1,
        realtimeRuntime: 950000,
      },
      memory: { limit: 512 * M, swap: G, reservation: 256 * M },
      pids: { limit: 100 },
    },
  );
  assertEquals(updateFromFlags({}), {});
  assertEquals(updateFromFlags({ memory: "", "cpu-share": undefined }), {});
  assertEquals(updateFromFlags({ "--memory-swap": "-1", "cpu-shares": "2" }), {
    cpu: { shares: 2 },
    memory: { swap: -1 },
  });
  assertEquals(updateFromFlags({ "pids-limit": "0", "blkio-weight": "0" }), { pids: { limit: 0 } });
});

Deno.test("updateFromFlags() errors name the flag and the value", () => {
  const cases: [Record<string, string>, string][] = [
    [{ memory: "1x" }, `invalid value for --memory: "1x": invalid size: '1x'`],
    [{ "memory-swap": "-2" }, `invalid value for --memory-swap: "-2": invalid size: '-2'`],
    [{ "cpu-period": "-1" }, `invalid value for --cpu-period: "-1": invalid syntax`],
    [{ "cpu-share": "1.5" }, `invalid value for --cpu-share: "1.5": invalid syntax`],
    [{ "cpu-quota": "x" }, `invalid value for --cpu-quota: "x": invalid syntax`],
    [{ "cpu-rt-runtime": "1e3" }, `invalid value for --cpu-rt-runtime: "1e3": invalid syntax`],
    [{ "pids-limit": "ten" }, `invalid value for --pids-limit: "ten": invalid syntax`],
    [{ "blkio-weight": "5" }, `invalid value for --blkio-weight: "5": range is from 10 to 1000`],
    [
      { "cpu-burst": "99999999999999999999" },
      `invalid value for --cpu-burst: "99999999999999999999": value out of range`,
    ],
  ];
  for (const [flags, message] of cases) assertTsruncError(() => updateFromFlags(flags), message);
});

Deno.test("updateFromFlags() ignores the kernel memory flags with runc's warning", () => {
  const warnings: string[] = [];
  assertEquals(updateFromFlags({ "kernel-memory": "1g", "kernel-memory-tcp": "x" }, warnings), {});
  assertEquals(warnings, [
    "setting --kernel-memory is ignored and will be removed",
    "setting --kernel-memory-tcp is ignored and will be removed",
  ]);
});

Deno.test("intelRdtFromFlags() reads --l3-cache-schema and --mem-bw-schema", () => {
  assertEquals(intelRdtFromFlags({}), undefined);
  assertEquals(intelRdtFromFlags({ "l3-cache-schema": "L3:0=ff", "mem-bw-schema": "MB:0=70" }), {
    l3CacheSchema: "L3:0=ff",
    memBwSchema: "MB:0=70",
  });
  assertTsruncError(
    () => intelRdtFromFlags({ "mem-bw-schema": "MB:0=70\nL3:0=1" }),
    /^invalid value for --mem-bw-schema: .*must be one line$/,
  );
});

Deno.test("mergeResources() stores what runc's update takes, leaving the rest", () => {
  const base: LinuxResources = {
    memory: { limit: G, swap: 2 * G, swappiness: 10 },
    cpu: { shares: 1024, cpus: "0-3" },
    pids: { limit: 50 },
    hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
    blockIO: { weight: 100, leafWeight: 200 },
    unified: { "memory.high": "1G" },
  };
  const snapshot = structuredClone(base);
  const patch: LinuxResources = {
    memory: { limit: 2 * G, kernel: 1, checkBeforeUpdate: true },
    cpu: { quota: 50000, mems: "0" },
    blockIO: { weight: 300, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] },
    hugepageLimits: [{ pageSize: "1GB", limit: 1 }],
    network: { classID: 1 },
  };
  assertEquals(mergeResources(base, patch), {
    memory: { limit: 2 * G, swap: 2 * G, swappiness: 10, checkBeforeUpdate: true },
    cpu: { shares: 1024, cpus: "0-3", quota: 50000, mems: "0" },
    pids: { limit: 50 },
    hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
    blockIO: { weight: 300, leafWeight: 200 },
    unified: { "memory.high": "1G" },
  });
  assertEquals(base, snapshot);
  assertEquals(
    mergeResources(base, { pids: { limit: 0 }, unified: { "pids.max": "5" } }).unified,
    { "pids.max": "5" },
  );
  assertEquals(mergeResources({}, { pids: { limit: 0 } }), { pids: { limit: 0 } });
});

Deno.test("mergeResources() makes the swap unlimited with an unlimited memory and no swap", () => {
  const base: LinuxResources = { memory: { limit: G, swap: 2 * G } };
  assertEquals(mergeResources(base, { memory: { limit: -1 } }).memory, { limit: -1, swap: -1 });
  assertEquals(mergeResources(base, { memory: { limit: -1, swap: 4 * G } }).memory, {
    limit: -1,
    swap: 4 * G,
  });
});

Deno.test("update flags, merged and mapped, give the writes of runc update", () => {
  const stored: LinuxResources = { memory: { limit: G, swap: 2 * G }, cpu: { period: 100000 } };
  const patch = updateFromFlags({ memory: "2g", "memory-swap": "4g", "cpu-quota": "50000" });
  const merged = mergeResources(stored, patch);
  assertEquals(v1Writes(merged, [], { current: { limit: G } }), [
    c1("memory", "memory.memsw.limit_in_bytes", "4294967296"),
    c1("memory", "memory.limit_in_bytes", "2147483648"),
    c1("cpu", "cpu.cfs_period_us", "100000", { deferOnEinval: true }),
    c1("cpu", "cpu.cfs_quota_us", "50000"),
    c1("cpu", "cpu.cfs_period_us", "100000", { retry: true }),
  ]);
  assertEquals(v2Writes(merged, []), [
    c2("memory.swap.max", "2147483648"),
    c2("memory.max", "2147483648"),
    c2("cpu.max", "50000 100000"),
  ]);
});

Deno.test("checkMemoryBeforeUpdate() refuses limits at or below the usage, as runc's check", () => {
  checkMemoryBeforeUpdate({ limit: G }, 2 * G); // not asked
  checkMemoryBeforeUpdate({ limit: G, checkBeforeUpdate: true }, undefined); // usage unknown
  checkMemoryBeforeUpdate({ limit: 2 * G, checkBeforeUpdate: true }, G);
  checkMemoryBeforeUpdate({ limit: -1, checkBeforeUpdate: true }, G);
  assertTsruncError(
    () => checkMemoryBeforeUpdate({ limit: G, checkBeforeUpdate: true }, G),
    "linux.resources.memory.limit: rejecting memory limit 1073741824 <= usage 1073741824",
  );
  assertTsruncError(
    () => checkMemoryBeforeUpdate({ limit: 4 * G, swap: G, checkBeforeUpdate: true }, 2 * G),
    "linux.resources.memory.swap: rejecting memory+swap limit 1073741824 <= usage 2147483648",
  );
});

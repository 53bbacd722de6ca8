/** The systemd driver's decisions: unit names, slice paths, runc's property mapping. */
import { assertEquals, assertThrows } from "../../_assert.ts";
import {
  annotationProperties,
  bitmask,
  cpuQuotaProperties,
  deviceProperties,
  expandSlice,
  placeUnit,
  resourceProperties,
} from "../../../../core/systemd/unit.ts";

const MAX = 18446744073709551615n;

Deno.test("placeUnit() makes slice:prefix:name a scope in its slice, as runc", () => {
  assertEquals(placeUnit("system.slice:docker:abc", "c1"), {
    slice: "system.slice",
    unit: "docker-abc.scope",
    cgroup: "/system.slice/docker-abc.scope",
  });
  assertEquals(placeUnit(":libpod:x", "c1").cgroup, "/system.slice/libpod-x.scope");
  assertEquals(
    placeUnit("machine-a.slice::x", "c1").cgroup,
    "/machine.slice/machine-a.slice/x.scope",
  );
  assertEquals(placeUnit(undefined, "c1").unit, "tsrunc-c1.scope");
  assertEquals(placeUnit(undefined, "c1", true).slice, "user.slice");
  // a name that is a slice makes the container's unit that slice
  assertEquals(placeUnit("system.slice::my.slice", "c1").unit, "my.slice");
  assertThrows(() => placeUnit("/a/b", "c1"), /must be slice:prefix:name/);
  assertThrows(() => placeUnit("system.slice:p:", "c1"), /name part is empty/);
  assertThrows(() => placeUnit("system:p:n", "c1"), /not a slice name/);
});

Deno.test("expandSlice() nests dashed slices as systemd does", () => {
  assertEquals(expandSlice("-.slice"), "");
  assertEquals(expandSlice("system.slice"), "/system.slice");
  assertEquals(expandSlice("a-b-c.slice"), "/a.slice/a-b.slice/a-b-c.slice");
  assertThrows(() => expandSlice("a--b.slice"), /invalid name/);
});

Deno.test("resourceProperties() follows runc's v2 and v1 mapping", () => {
  const r = {
    memory: { limit: 2 ** 30, reservation: 2 ** 20, swap: 2 ** 31 },
    cpu: { shares: 1024, quota: 50000, period: 100000, cpus: "0-1", mems: "0" },
    pids: { limit: 100 },
    blockIO: { weight: 500 },
  };
  assertEquals(resourceProperties(r, true), [
    ["MemoryMax", { sig: "t", value: 1073741824n }],
    ["MemoryLow", { sig: "t", value: 1048576n }],
    ["MemorySwapMax", { sig: "t", value: 1073741824n }],
    ["CPUWeight", { sig: "t", value: 39n }],
    ["CPUQuotaPeriodUSec", { sig: "t", value: 100000n }],
    ["CPUQuotaPerSecUSec", { sig: "t", value: 500000n }],
    ["AllowedCPUs", { sig: "ay", value: [3] }],
    ["AllowedMemoryNodes", { sig: "ay", value: [1] }],
    ["IOWeight", { sig: "t", value: 4950n }],
    ["TasksMax", { sig: "t", value: 100n }],
  ]);
  assertEquals(resourceProperties({ memory: { limit: -1 }, cpu: { shares: 512 } }, false), [
    ["MemoryLimit", { sig: "t", value: MAX }],
    ["CPUShares", { sig: "t", value: 512n }],
  ]);
  assertEquals(resourceProperties({ pids: { limit: -1 } }, true), [
    ["TasksMax", { sig: "t", value: MAX }],
  ]);
});

Deno.test("cpuQuotaProperties() rounds up to 10 ms and treats -1 as unlimited", () => {
  assertEquals(cpuQuotaProperties(0, 0), []);
  assertEquals(cpuQuotaProperties(12345, 0), [["CPUQuotaPerSecUSec", {
    sig: "t",
    value: 130000n,
  }]]);
  assertEquals(cpuQuotaProperties(-1, 50000), [
    ["CPUQuotaPeriodUSec", { sig: "t", value: 50000n }],
    ["CPUQuotaPerSecUSec", { sig: "t", value: MAX }],
  ]);
});

Deno.test("bitmask() sets bit N of byte N/8", () => {
  assertEquals(bitmask("0,9-10", "x"), { sig: "ay", value: [1, 6] });
  assertThrows(() => bitmask("3-1", "linux.resources.cpu.cpus"), /invalid list/);
});

Deno.test("deviceProperties() is a strict policy with the allowed devices", () => {
  assertEquals(
    deviceProperties([
      { type: "a", major: -1, minor: -1, access: "rwm", allow: false },
      { type: "c", major: 1, minor: 3, access: "rwm", allow: true },
      { type: "c", major: 136, minor: -1, access: "rw", allow: true },
      { type: "b", major: -1, minor: -1, access: "m", allow: true },
    ]),
    [
      ["DevicePolicy", { sig: "s", value: "strict" }],
      ["DeviceAllow", {
        sig: "a(ss)",
        value: [["/dev/char/1:3", "rwm"], ["char-136", "rw"], ["block-*", "m"]],
      }],
    ],
  );
  assertThrows(
    () =>
      deviceProperties([
        { type: "a", major: -1, minor: -1, access: "rwm", allow: true },
        { type: "c", major: 1, minor: 3, access: "rwm", allow: false },
      ]),
    /cannot be expressed/,
  );
});

Deno.test("annotationProperties() reads runc's org.systemd.property.* values", () => {
  assertEquals(
    annotationProperties({
      "org.systemd.property.TimeoutStopUSec": "uint64 123456789",
      "org.systemd.property.CollectMode": "'inactive-or-failed'",
      "org.systemd.property.Delegate": "true",
      "other": "ignored",
    }),
    [
      ["TimeoutStopUSec", { sig: "t", value: 123456789n }],
      ["CollectMode", { sig: "s", value: "inactive-or-failed" }],
      ["Delegate", { sig: "b", value: true }],
    ],
  );
  assertThrows(
    () => annotationProperties({ "org.systemd.property.X": "{weird}" }),
    /cannot read/,
  );
});

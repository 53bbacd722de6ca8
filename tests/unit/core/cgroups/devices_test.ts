/** deviceRules(): the container's device cgroup rules, in order (no root needed). */
import { assertEquals } from "../../_assert.ts";
import { accessOf, deviceRules } from "../../../../core/cgroups/devices.ts";
import { v1DeviceWrites } from "../../../../core/cgroups/v1/devices.ts";
import type { OciSpec } from "../../../../core/spec/types.ts";

function spec(linux: OciSpec["linux"]): OciSpec {
  return { ociVersion: "1.0.2", linux } as OciSpec;
}

Deno.test("accessOf() keeps r, w and m in order, as runc reads access strings", () => {
  assertEquals(accessOf("rwa"), "rw");
  assertEquals(accessOf("mwr"), "rwm");
  assertEquals(accessOf("a"), "");
});

Deno.test("deviceRules() writes only valid v1 rules and leaves linux.devices to resources.devices", () => {
  const rules = deviceRules(spec({
    resources: {
      devices: [
        { allow: false, access: "rwm" },
        { allow: false, type: "c", major: 1, minor: 11, access: "rwa" },
        { allow: true, type: "c", major: 1, minor: 12, access: "a" },
      ],
    },
    devices: [{ path: "/dev/kmsg", type: "c", major: 1, minor: 11 }],
  }));
  const writes = v1DeviceWrites(rules).slice(0, 2);
  assertEquals(writes, [
    { controller: "devices", file: "devices.deny", value: "a" },
    { controller: "devices", file: "devices.deny", value: "c 1:11 rw" },
  ]);
  // nothing for 1:12 (no access) nor for the /dev/kmsg node (runc: a node, no rule)
  assertEquals(rules.filter((r) => r.major === 1 && (r.minor === 12 || r.minor === 11)).length, 1);
});

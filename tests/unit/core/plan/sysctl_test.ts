/**
 * sysctlOps(): runc's rules for linux.sysctl. Only what a namespace of the container's own
 * isolates may be written; anything else would be written to the host.
 */
import { assertEquals, assertThrows } from "../../_assert.ts";
import { sysctlOps } from "../../../../core/plan/sysctl.ts";
import type { OciSpec } from "../../../../core/spec/types.ts";

function spec(sysctl: Record<string, string>, namespaces: string[]): OciSpec {
  return {
    ociVersion: "1.0.2",
    linux: { sysctl, namespaces: namespaces.map((type) => ({ type })) },
  } as OciSpec;
}

Deno.test("sysctlOps() writes namespaced sysctls under /proc/sys", () => {
  assertEquals(
    sysctlOps(
      spec(
        { "net.ipv4.ip_forward": "1", "kernel.shmmax": "4096", "fs.mqueue.msg_max": "20" },
        ["network", "ipc"],
      ),
      false,
    ),
    [
      { op: "writeFile", path: "/proc/sys/net/ipv4/ip_forward", content: "1", fsMagic: 0x9fa0 },
      { op: "writeFile", path: "/proc/sys/kernel/shmmax", content: "4096", fsMagic: 0x9fa0 },
      { op: "writeFile", path: "/proc/sys/fs/mqueue/msg_max", content: "20", fsMagic: 0x9fa0 },
    ],
  );
  assertEquals(sysctlOps(spec({ "kernel.domainname": "d" }, ["uts"]), false).length, 1);
  // "/" as the separator, as runc accepts it
  assertEquals(
    sysctlOps(spec({ "net/ipv4/ip_forward": "1" }, ["network"]), false)[0].path,
    "/proc/sys/net/ipv4/ip_forward",
  );
});

Deno.test("sysctlOps() refuses sysctls no namespace of the container isolates", () => {
  const refused: [Record<string, string>, string[], boolean, RegExp][] = [
    [
      { "fs.lease-break-time": "46" },
      ["network", "ipc", "uts"],
      false,
      /"fs\.lease-break-time"\]: not in a separate kernel namespace/,
    ],
    [
      { "kernel.core_pattern": "|/x" },
      ["network", "ipc", "uts"],
      false,
      /not in a separate kernel namespace/,
    ],
    [{ "net.ipv4.ip_forward": "1" }, ["ipc"], false, /host's network namespace/],
    [{ "net.ipv4.ip_forward": "1" }, ["network"], true, /host's network namespace/],
    [{ "kernel.shmmax": "1" }, ["network"], false, /host's ipc namespace/],
    [{ "kernel.domainname": "d" }, ["network"], false, /not in a separate kernel namespace/],
    [{ "kernel.hostname": "h" }, ["uts"], false, /conflicts with the OCI "hostname" field/],
  ];
  for (const [sysctl, namespaces, netnsIsHost, pattern] of refused) {
    assertThrows(() => sysctlOps(spec(sysctl, namespaces), netnsIsHost), pattern);
  }
});

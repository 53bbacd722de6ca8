/** The host's cgroup layout and the container's cgroup paths, from /proc text. */
import { assertEquals, assertThrows } from "../../_assert.ts";
import {
  cleanCgroupPath,
  containerCgroupPaths,
  parseLayout,
  parseProcCgroup,
} from "../../../../core/cgroups/layout.ts";

const HYBRID_MOUNTINFO = `
25 30 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
28 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:12 - cgroup cgroup rw,cpu,cpuacct
29 25 0:27 / /sys/fs/cgroup/memory rw,nosuid shared:13 - cgroup cgroup rw,memory
30 25 0:28 / /sys/fs/cgroup/pids rw,nosuid shared:14 - cgroup cgroup rw,pids
31 25 0:28 / /mnt/pids\\040again rw,nosuid shared:14 - cgroup cgroup rw,pids
`;

Deno.test("parseLayout() finds v1 hierarchies and the cgroup2 mount of a hybrid host", () => {
  const layout = parseLayout(HYBRID_MOUNTINFO);
  assertEquals(layout.mode, "hybrid");
  assertEquals(layout.v2, { key: "", controllers: [], mountpoint: "/sys/fs/cgroup/unified" });
  assertEquals(layout.v1.map((h) => [h.key, h.mountpoint]), [
    ["name=systemd", "/sys/fs/cgroup/systemd"],
    ["cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct"],
    ["memory", "/sys/fs/cgroup/memory"],
    ["pids", "/sys/fs/cgroup/pids"],
  ]);
  assertEquals(layout.v1[1].controllers, ["cpu", "cpuacct"]);
});

Deno.test("parseLayout() tells unified and legacy hosts", () => {
  assertEquals(
    parseLayout("26 25 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate").mode,
    "unified",
  );
  assertEquals(
    parseLayout("29 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory").mode,
    "legacy",
  );
});

Deno.test("containerCgroupPaths(): absolute from the root, relative and default below our own", () => {
  const layout = parseLayout(HYBRID_MOUNTINFO);
  const own = parseProcCgroup(
    "4:memory:/process_api/abc\n3:pids:/\n2:cpu,cpuacct:/svc\n1:name=systemd:/\n0::/u\n",
  );
  const absolute = containerCgroupPaths(layout, own, "/tsrunc/c1", "c1");
  assertEquals([...absolute.values()], [
    "/tsrunc/c1",
    "/tsrunc/c1",
    "/tsrunc/c1",
    "/tsrunc/c1",
    "/tsrunc/c1",
  ]);
  const relative = containerCgroupPaths(layout, own, "a/b", "c1");
  assertEquals(relative.get("memory"), "/process_api/abc/a/b");
  assertEquals(relative.get("cpu,cpuacct"), "/svc/a/b");
  assertEquals(relative.get("pids"), "/a/b");
  assertEquals(relative.get(""), "/u/a/b");
  assertEquals(containerCgroupPaths(layout, own, undefined, "c1").get("pids"), "/c1");
});

Deno.test("cleanCgroupPath() never climbs above the hierarchy and rejects empty paths", () => {
  assertEquals(cleanCgroupPath("/a/../../b//c/."), "/b/c");
  assertEquals(cleanCgroupPath("../x"), "x");
  assertThrows(() => cleanCgroupPath("/.."), /names no cgroup/);
  assertThrows(() => cleanCgroupPath(""), /names no cgroup/);
});

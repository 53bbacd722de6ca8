/**
 * Namespaces: each one the config asks for is really new, joined ones are really shared,
 * and what a process inside sees (pid 1, hostname, id maps, clocks, cgroups) is right.
 */
import { assert, assertEquals, assertMatch, assertNotEquals } from "./_assert.ts";
import {
  type Bundle,
  IS_ROOT,
  type Result,
  sh,
  startSleeper,
  uniqueId,
  withBundle,
} from "./_helpers.ts";

const NS_FILES = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

/** Run a container to completion and insist it succeeded. */
async function runOk(b: Bundle, id = uniqueId("ns")): Promise<Result> {
  b.save();
  const r = await b.run(["run", id]);
  assertEquals(r.code, 0, `tsrunc run failed: ${r.stderr}`);
  return r;
}

/** `name -> ns:[inode]` lines printed by the container for every NS_FILES entry. */
function nsScript(): string[] {
  return [
    "sh",
    "-c",
    `for n in ${NS_FILES.join(" ")}; do echo "$n $(readlink /proc/self/ns/$n)"; done`,
  ];
}

function parseNs(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.trim().split("\n")) {
    const [name, link] = line.split(" ");
    out[name] = link;
  }
  return out;
}

function hostNs(name: string): string {
  return Deno.readLinkSync(`/proc/self/ns/${name}`);
}

/** A base directory other users may traverse (a user-namespaced root is host uid 100000). */
function openUp(b: Bundle): void {
  Deno.chmodSync(b.dir.replace(/\/bundle$/, ""), 0o755);
  Deno.chmodSync(b.dir, 0o755);
}

const USERNS_MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];

Deno.test({
  name: "every namespace the config lists is new, the others are the host's",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(nsScript(), async (b) => {
      b.config.linux.namespaces = [
        { type: "pid" },
        { type: "network" },
        { type: "ipc" },
        { type: "uts" },
        { type: "mount" },
        { type: "cgroup" },
        { type: "time" },
      ];
      const inside = parseNs((await runOk(b)).stdout);
      for (const name of ["cgroup", "ipc", "mnt", "net", "pid", "time", "uts"]) {
        assertMatch(inside[name], new RegExp(`^${name}:\\[\\d+\\]$`), name);
        assertNotEquals(inside[name], hostNs(name), `${name} namespace is the host's`);
      }
      assertEquals(inside.user, hostNs("user"), "no user namespace was asked for");
    }),
});

Deno.test({
  name: "a namespace the config does not list is the host's",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(nsScript(), async (b) => {
      b.config.linux.namespaces = [{ type: "mount" }, { type: "pid" }];
      delete b.config.hostname;
      // /sys of the host's network namespace cannot be mounted from a new mount ns
      // without owning it: keep the mounts that need no new network namespace.
      b.config.mounts = b.config.mounts.filter((m: { type: string }) => m.type !== "sysfs");
      const inside = parseNs((await runOk(b)).stdout);
      assertNotEquals(inside.mnt, hostNs("mnt"));
      assertNotEquals(inside.pid, hostNs("pid"));
      for (const name of ["cgroup", "ipc", "net", "time", "user", "uts"]) {
        assertEquals(inside[name], hostNs(name), name);
      }
    }),
});

Deno.test({
  name: "the process is pid 1 of a new pid namespace and sees only its own processes",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh", "-c", "echo $$; ls /proc | grep -E '^[0-9]+$' | sort -n"], async (b) => {
      const lines = (await runOk(b)).stdout.trim().split("\n");
      assertEquals(lines[0], "1");
      // sh (1), and the pipeline's children: nothing from the host.
      const pids = lines.slice(1).map(Number);
      assertEquals(pids[0], 1);
      assert(pids.length <= 4, `too many processes: ${pids}`);
    }),
});

Deno.test({
  name: "the uts namespace has the config's hostname and domainname",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      ["sh", "-c", "hostname; cat /proc/sys/kernel/hostname /proc/sys/kernel/domainname"],
      async (b) => {
        b.config.hostname = "box-one";
        b.config.domainname = "example.test";
        const hostBefore = Deno.readTextFileSync("/proc/sys/kernel/hostname");
        assertEquals((await runOk(b)).stdout, "box-one\nbox-one\nexample.test\n");
        assertEquals(Deno.readTextFileSync("/proc/sys/kernel/hostname"), hostBefore);
      },
    ),
});

Deno.test({
  name: "a user namespace maps container root to host uid 100000",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      ["sh", "-c", "id; cat /proc/self/uid_map /proc/self/gid_map; touch /shared/made-inside"],
      async (b) => {
        openUp(b);
        const shared = Deno.makeTempDirSync({ prefix: "tsrunc-userns-" });
        try {
          Deno.chownSync(shared, 100000, 100000);
          Deno.chmodSync(shared, 0o755);
          // Container root (host uid 100000) cannot create it in a rootfs owned by host root.
          Deno.mkdirSync(`${b.rootfs}/shared`);
          b.config.linux.namespaces.push({ type: "user" });
          b.config.linux.uidMappings = USERNS_MAP;
          b.config.linux.gidMappings = USERNS_MAP;
          b.config.mounts.push({
            destination: "/shared",
            type: "bind",
            source: shared,
            options: ["rbind"],
          });
          const lines = (await runOk(b)).stdout.trim().split("\n");
          assertMatch(lines[0], /^uid=0\(root\) gid=0\(root\)/);
          assertEquals(lines[1].trim().split(/\s+/), ["0", "100000", "65536"]);
          assertEquals(lines[2].trim().split(/\s+/), ["0", "100000", "65536"]);
          const made = Deno.statSync(`${shared}/made-inside`);
          assertEquals([made.uid, made.gid], [100000, 100000]);
        } finally {
          Deno.removeSync(shared, { recursive: true });
        }
      },
    ),
});

Deno.test({
  name: "a user namespace is new and unmapped host files show as nobody",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      ["sh", "-c", "readlink /proc/self/ns/user; stat -c %u:%g /bin/busybox"],
      async (b) => {
        openUp(b);
        b.config.linux.namespaces.push({ type: "user" });
        b.config.linux.uidMappings = USERNS_MAP;
        b.config.linux.gidMappings = USERNS_MAP;
        const [link, owner] = (await runOk(b)).stdout.trim().split("\n");
        assertNotEquals(link, hostNs("user"));
        assertEquals(owner, "65534:65534");
      },
    ),
});

Deno.test({
  name: "in a user namespace the default devices are the host's, bind-mounted",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh("stat -c '%n %t:%T' /dev/null /dev/zero /dev/tty; echo x > /dev/null && echo null-ok"),
      async (b) => {
        openUp(b);
        b.config.linux.namespaces.push({ type: "user" });
        b.config.linux.uidMappings = USERNS_MAP;
        b.config.linux.gidMappings = USERNS_MAP;
        assertEquals(
          (await runOk(b)).stdout,
          "/dev/null 1:3\n/dev/zero 1:5\n/dev/tty 5:0\nnull-ok\n",
        );
      },
    ),
});

Deno.test({
  name: "a time namespace shifts CLOCK_BOOTTIME by its boottime offset",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/uptime"], async (b) => {
      b.config.linux.namespaces.push({ type: "time" });
      b.config.linux.timeOffsets = { boottime: { secs: 86400, nanosecs: 0 } };
      const before = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
      const inside = Number((await runOk(b)).stdout.split(" ")[0]);
      const after = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
      assert(inside - after >= 86400 - 1, `uptime inside ${inside}, host ${after}`);
      assert(inside - before <= 86400 + 60, `uptime inside ${inside}, host ${before}`);
    }),
});

Deno.test({
  name: "a time namespace without offsets keeps the host's clocks",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["sh", "-c", "readlink /proc/self/ns/time; cat /proc/uptime"], async (b) => {
      b.config.linux.namespaces.push({ type: "time" });
      const [link, uptime] = (await runOk(b)).stdout.trim().split("\n");
      assertNotEquals(link, hostNs("time"));
      const host = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
      assert(Math.abs(host - Number(uptime.split(" ")[0])) < 60, `uptime ${uptime} vs ${host}`);
    }),
});

Deno.test({
  name: "a cgroup namespace shows the container's cgroups as /",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/self/cgroup"], async (b) => {
      b.config.linux.namespaces.push({ type: "cgroup" });
      const lines = (await runOk(b)).stdout.trim().split("\n");
      assert(lines.length > 0);
      for (const line of lines) assertMatch(line, /^\d+:[^:]*:\/$/, line);
    }),
});

Deno.test({
  name: "a container joins another container's network and uts namespaces by path",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle([], async (a) => {
      a.config.hostname = "alpha";
      const pid = await startSleeper(a, uniqueId("ns-a"));
      await withBundle(
        [
          "sh",
          "-c",
          "hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/uts; ip link | grep -c '^[0-9]'",
        ],
        async (b) => {
          delete b.config.hostname;
          b.config.linux.namespaces = b.config.linux.namespaces.map((n: { type: string }) =>
            n.type === "network"
              ? { type: "network", path: `/proc/${pid}/ns/net` }
              : n.type === "uts"
              ? { type: "uts", path: `/proc/${pid}/ns/uts` }
              : n
          );
          const [hostname, net, uts, links] = (await runOk(b)).stdout.trim().split("\n");
          assertEquals(hostname, "alpha");
          assertEquals(net, Deno.readLinkSync(`/proc/${pid}/ns/net`));
          assertEquals(uts, Deno.readLinkSync(`/proc/${pid}/ns/uts`));
          assertNotEquals(net, hostNs("net"));
          // A new network namespace has only lo.
          assertEquals(links, "1");
        },
      );
    }),
});

Deno.test({
  name: "a container joins a network namespace made by ip netns",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle([
      "sh",
      "-c",
      "readlink /proc/self/ns/net; ip link show tsrtest0 >/dev/null && echo seen",
    ], async (b) => {
      const name = uniqueId("tsrunc");
      const ip = (...args: string[]) =>
        new Deno.Command("ip", { args, stderr: "piped" }).outputSync();
      assert(ip("netns", "add", name).success, "ip netns add failed");
      try {
        // No dummy module here: a veth pair, both ends in the new namespace.
        const veth = ip(
          "-n",
          name,
          "link",
          "add",
          "tsrtest0",
          "type",
          "veth",
          "peer",
          "name",
          "tsrtest1",
        );
        assert(veth.success, new TextDecoder().decode(veth.stderr));
        b.config.linux.namespaces = b.config.linux.namespaces.map((n: { type: string }) =>
          n.type === "network" ? { type: "network", path: `/var/run/netns/${name}` } : n
        );
        const [link, seen] = (await runOk(b)).stdout.trim().split("\n");
        const stat = Deno.statSync(`/var/run/netns/${name}`);
        assertEquals(link, `net:[${stat.ino}]`);
        assertEquals(seen, "seen");
      } finally {
        ip("netns", "delete", name);
      }
    }),
});

Deno.test({
  name: "joining a namespace that does not exist fails with the path in the error",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.linux.namespaces = b.config.linux.namespaces.map((n: { type: string }) =>
        n.type === "network" ? { type: "network", path: "/proc/999999999/ns/net" } : n
      );
      b.save();
      const id = uniqueId("ns-bad");
      const r = await b.run(["run", id]);
      assertNotEquals(r.code, 0);
      assertMatch(r.stderr, /\/proc\/999999999\/ns\/net/);
      assertMatch(r.stderr, /no such file or directory/i);
      // A failed create leaves no state behind.
      const list = await b.run(["list", "-q"]);
      assertEquals(list.stdout.trim(), "");
    }),
});

Deno.test({
  name: "joining a file that is not a namespace of that type fails clearly",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.linux.namespaces = b.config.linux.namespaces.map((n: { type: string }) =>
        n.type === "network" ? { type: "network", path: "/proc/self/ns/uts" } : n
      );
      b.save();
      const r = await b.run(["run", uniqueId("ns-bad")]);
      assertNotEquals(r.code, 0);
      assertMatch(r.stderr, /\/proc\/self\/ns\/uts/);
      assertMatch(r.stderr, /invalid argument/i);
    }),
});

Deno.test({
  name: "user namespace: bind sources its root cannot reach (below a 0700 directory of the " +
    "host's root) still mount, for run and exec (runc's userns.bats)",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("exec >/dev/null 2>&1 </dev/null; exec sleep 600"), async (b) => {
      openUp(b);
      for (const n of [1, 2]) {
        Deno.mkdirSync(`${b.dir}/inaccessible-${n}/dir`, { recursive: true });
        Deno.writeTextFileSync(`${b.dir}/inaccessible-${n}/dir/foo.txt`, `${n}\n`);
        Deno.chmodSync(`${b.dir}/inaccessible-${n}`, 0o700);
        b.config.mounts.push({
          destination: `/tmp/mount-${n}`,
          source: `${b.dir}/inaccessible-${n}/dir`,
          options: ["bind"],
        });
      }
      b.config.linux.namespaces.push({ type: "user" });
      b.config.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      b.config.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      b.save();
      const id = uniqueId("userns");
      const run = await b.run(["run", "-d", id]);
      assertEquals([run.code, run.stderr], [0, ""]);
      const r = await b.run(["exec", id, "cat", "/tmp/mount-1/foo.txt", "/tmp/mount-2/foo.txt"]);
      assertEquals([r.code, r.stdout], [0, "1\n2\n"], r.stderr);
    }),
});

/**
 * The container's filesystem: root.path and root.readonly, --no-pivot, propagation,
 * mounts (order, tmpfs options, binds of dirs and files, ro/rbind/rro, flags, tmpcopyup,
 * overlay, the special filesystems), symlink and `..` escapes, /dev, linux.devices,
 * masked and read-only paths, and sysctls. Every check is what a process inside sees, or
 * what the host sees afterwards.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertStringIncludes,
} from "./_assert.ts";
import { type Bundle, IS_ROOT, type Result, sh, uniqueId, withBundle } from "./_helpers.ts";

/** Run a container to completion and insist it succeeded. */
async function runOk(b: Bundle, extra: string[] = []): Promise<Result> {
  b.save();
  const r = await b.run(["run", ...extra, uniqueId("rootfs")]);
  assertEquals(r.code, 0, `tsrunc run failed (stdout ${JSON.stringify(r.stdout)}): ${r.stderr}`);
  return r;
}

/** One line of /proc/PID/mountinfo. */
interface MountInfo {
  root: string;
  mountPoint: string;
  options: string[];
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string[];
}

function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    if (!/^\d+ \d+ /.test(line)) continue;
    const [left, right] = line.split(" - ");
    const l = left.split(" ");
    const r = right.split(" ");
    out.push({
      root: l[3],
      mountPoint: l[4],
      options: l[5].split(","),
      optional: l.slice(6),
      fstype: r[0],
      source: r[1],
      superOptions: (r[2] ?? "").split(","),
    });
  }
  return out;
}

/** The last (topmost) mount at a mount point, failing when there is none. */
function mountAt(infos: MountInfo[], mountPoint: string): MountInfo {
  const found = infos.filter((m) => m.mountPoint === mountPoint).at(-1);
  assert(found, `nothing mounted at ${mountPoint}: ${infos.map((m) => m.mountPoint).join(" ")}`);
  return found;
}

/** Everything a script prints after a line `--mountinfo--`, as mounts. */
function splitMountInfo(stdout: string): [string, MountInfo[]] {
  const [before, after = ""] = stdout.split("--mountinfo--\n");
  return [before, parseMountInfo(after)];
}

const MOUNTINFO = "echo --mountinfo--; cat /proc/self/mountinfo";

function hostMountInfo(): MountInfo[] {
  return parseMountInfo(Deno.readTextFileSync("/proc/self/mountinfo"));
}

function tempDir(prefix: string): string {
  return Deno.makeTempDirSync({ prefix: `tsrunc-${prefix}-` });
}

function exec(cmd: string, ...args: string[]): void {
  const out = new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

// --- root ------------------------------------------------------------------------------

Deno.test({
  name: "root.path relative to the bundle is the container's /",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/marker"], async (b) => {
      Deno.renameSync(b.rootfs, `${b.dir}/other-root`);
      Deno.writeTextFileSync(`${b.dir}/other-root/marker`, "relative\n");
      b.config.root.path = "other-root";
      assertEquals((await runOk(b)).stdout, "relative\n");
    }),
});

Deno.test({
  name: "an absolute root.path is the container's /",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/marker"], async (b) => {
      Deno.writeTextFileSync(`${b.rootfs}/marker`, "absolute\n");
      b.config.root.path = b.rootfs;
      assertEquals((await runOk(b)).stdout, "absolute\n");
    }),
});

Deno.test({
  name: "root.readonly makes / read-only while a tmpfs on /tmp stays writable",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(`touch /x 2>&1; echo "root $?"; touch /tmp/y && echo tmp ok; ${MOUNTINFO}`),
      async (b) => {
        b.config.root.readonly = true;
        b.config.mounts.push({ destination: "/tmp", type: "tmpfs", source: "tmpfs" });
        const [out, infos] = splitMountInfo((await runOk(b)).stdout);
        assertMatch(out, /Read-only file system/);
        assertMatch(out, /root 1\n/);
        assertStringIncludes(out, "tmp ok");
        assert(mountAt(infos, "/").options.includes("ro"));
        assert(mountAt(infos, "/tmp").options.includes("rw"));
        assert(!Deno.readDirSync(b.rootfs).some((e) => e.name === "x"));
      },
    ),
});

Deno.test({
  name: "without root.readonly / is writable and writes land in the rootfs",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("echo data > /written && echo ok"), async (b) => {
      b.config.root.readonly = false;
      assertEquals((await runOk(b)).stdout, "ok\n");
      assertEquals(Deno.readTextFileSync(`${b.rootfs}/written`), "data\n");
    }),
});

Deno.test({
  name: "--no-pivot runs the process in its rootfs",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh(`cat /marker; ls /; ${MOUNTINFO}`), async (b) => {
      Deno.writeTextFileSync(`${b.rootfs}/marker`, "no-pivot\n");
      const [out, infos] = splitMountInfo((await runOk(b, ["--no-pivot"])).stdout);
      assertMatch(out, /^no-pivot\n/);
      assertStringIncludes(out, "marker");
      // Nothing of the host's tree is reachable: no host paths besides the rootfs.
      assert(!out.includes("lost+found"), out);
      mountAt(infos, "/proc");
    }),
});

for (const value of ["shared", "rshared"]) {
  Deno.test({
    name: `rootfsPropagation ${value} makes the container's / a shared mount`,
    fn: () =>
      withBundle(sh(MOUNTINFO), async (b) => {
        b.config.linux.rootfsPropagation = value;
        const [, infos] = splitMountInfo((await runOk(b)).stdout);
        const root = mountAt(infos, "/");
        assert(root.optional.some((o) => o.startsWith("shared:")), `/ is ${root.optional}`);
      }),
  });
}

Deno.test({
  name: "rootfsPropagation private and slave leave / of the container unshared",
  ignore: !IS_ROOT,
  fn: async () => {
    // rprivate and rslave: what containerd sets for pods (runc takes every form)
    for (const value of [undefined, "private", "rprivate", "slave", "rslave"]) {
      await withBundle(sh(MOUNTINFO), async (b) => {
        if (value) b.config.linux.rootfsPropagation = value;
        const [, infos] = splitMountInfo((await runOk(b)).stdout);
        // The host's mounts are private here, so a slave has no master to show.
        assertEquals(mountAt(infos, "/").optional, [], String(value));
      });
    }
  },
});

Deno.test({
  // As with runc 1.1.5: an unbindable / cannot be bound onto itself for pivot_root.
  name: "rootfsPropagation unbindable fails cleanly, as with runc",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.linux.rootfsPropagation = "unbindable";
      b.save();
      const r = await b.run(["run", uniqueId("rootfs")]);
      assertNotEquals(r.code, 0);
      assertStringIncludes(r.stderr, b.rootfs);
      assertMatch(r.stderr, /invalid argument/);
      assertEquals((await b.run(["list", "-q"])).stdout.trim(), "");
    }),
});

Deno.test({
  name: "a read-only /dev (and a read-only tmpfs) still gets /dev/pts, /dev/shm and the " +
    "devices in it, then is read-only (mounts.bats 'ro /dev mount')",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(
        `ls /dev/null /dev/pts/ptmx /dev/shm >/dev/null && touch /dev/x 2>&1; cat /scratch/copied; ${MOUNTINFO}`,
      ),
      async (b) => {
        b.config.mounts = b.config.mounts.map((m: { destination: string; options?: string[] }) =>
          m.destination === "/dev" ? { ...m, options: [...(m.options ?? []), "ro"] } : m
        );
        b.config.mounts.push({
          destination: "/scratch",
          type: "tmpfs",
          source: "tmpfs",
          options: ["ro", "tmpcopyup"],
        });
        Deno.mkdirSync(`${b.rootfs}/scratch`);
        Deno.writeTextFileSync(`${b.rootfs}/scratch/copied`, "up\n");
        const [out, infos] = splitMountInfo((await runOk(b)).stdout);
        assertMatch(out, /touch: \/dev\/x: Read-only file system\nup\n/);
        assert(mountAt(infos, "/dev").options.includes("ro"), "/dev is not read-only");
        assert(mountAt(infos, "/scratch").options.includes("ro"), "/scratch is not read-only");
        mountAt(infos, "/dev/pts");
        mountAt(infos, "/dev/shm");
      },
    ),
});

// --- mounts ----------------------------------------------------------------------------

Deno.test({
  name: "mounts are made in config order: of two on the same destination the later wins",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("cat /m/which"), async (b) => {
      for (const name of ["first", "second"]) {
        Deno.mkdirSync(`${b.dir}/${name}`);
        Deno.writeTextFileSync(`${b.dir}/${name}/which`, `${name}\n`);
        b.config.mounts.push({ destination: "/m", source: name, options: ["bind"] });
      }
      assertEquals((await runOk(b)).stdout, "second\n");
    }),
});

Deno.test({
  name: "a mount under an earlier one lands on it (config order)",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh(`ls /t; ${MOUNTINFO}`), async (b) => {
      b.config.mounts.push(
        { destination: "/t", type: "tmpfs", source: "outer" },
        { destination: "/t/inner", type: "tmpfs", source: "inner" },
      );
      const [out, infos] = splitMountInfo((await runOk(b)).stdout);
      assertEquals(out, "inner\n");
      assertEquals(mountAt(infos, "/t/inner").source, "inner");
      assertEquals(mountAt(infos, "/t").source, "outer");
    }),
});

Deno.test({
  name: "a tmpfs gets its mode= and size= options",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh(`stat -c %a /data; df -k /data | tail -n 1; ${MOUNTINFO}`), async (b) => {
      b.config.mounts.push({
        destination: "/data",
        type: "tmpfs",
        source: "tmpfs",
        options: ["mode=1750", "size=2m", "nosuid"],
      });
      const [out, infos] = splitMountInfo((await runOk(b)).stdout);
      const [mode, df] = out.trim().split("\n");
      assertEquals(mode, "1750");
      assertEquals(df.trim().split(/\s+/)[1], "2048");
      const data = mountAt(infos, "/data");
      assertEquals(data.fstype, "tmpfs");
      assert(data.superOptions.includes("size=2048k"), data.superOptions.join(","));
      assert(data.superOptions.includes("mode=1750"), data.superOptions.join(","));
      assert(data.options.includes("nosuid"));
    }),
});

Deno.test({
  name: "a bind mount of a host directory shows its files and writes through",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("cat /host/hello; echo back > /host/from-inside"), async (b) => {
      const src = tempDir("bind");
      try {
        Deno.writeTextFileSync(`${src}/hello`, "hello from host\n");
        b.config.mounts.push({
          destination: "/host",
          type: "none",
          source: src,
          options: ["rbind"],
        });
        assertEquals((await runOk(b)).stdout, "hello from host\n");
        assertEquals(Deno.readTextFileSync(`${src}/from-inside`), "back\n");
        // The target was created inside the rootfs.
        assert(Deno.statSync(`${b.rootfs}/host`).isDirectory);
      } finally {
        Deno.removeSync(src, { recursive: true });
      }
    }),
});

Deno.test({
  name: "a bind mount of a single host file creates a file target",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("cat /etc/bound.conf; stat -c %F /etc/bound.conf"), async (b) => {
      Deno.writeTextFileSync(`${b.dir}/bound.conf`, "a file\n");
      b.config.mounts.push({
        destination: "/etc/bound.conf",
        source: `${b.dir}/bound.conf`,
        options: ["bind", "ro"],
      });
      assertEquals((await runOk(b)).stdout, "a file\nregular file\n");
      assert(Deno.statSync(`${b.rootfs}/etc/bound.conf`).isFile);
    }),
});

Deno.test({
  name: "a bind mount with ro cannot be written",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh(`touch /ro/x 2>&1; ${MOUNTINFO}`), async (b) => {
      Deno.mkdirSync(`${b.dir}/src`);
      b.config.mounts.push({ destination: "/ro", source: "src", options: ["bind", "ro"] });
      const [out, infos] = splitMountInfo((await runOk(b)).stdout);
      assertMatch(out, /Read-only file system/);
      assert(mountAt(infos, "/ro").options.includes("ro"));
      assertEquals([...Deno.readDirSync(`${b.dir}/src`)], []);
    }),
});

/**
 * A host directory with a tmpfs mounted on its `sub`, for recursive bind tests; the
 * tmpfs is unmounted and the directory removed afterwards.
 */
async function withSubmount(fn: (src: string) => Promise<void>): Promise<void> {
  const src = tempDir("rbind");
  Deno.mkdirSync(`${src}/sub`);
  exec("mount", "-t", "tmpfs", "-o", "size=1m", "tsrunc-sub", `${src}/sub`);
  try {
    Deno.writeTextFileSync(`${src}/sub/in-sub`, "sub\n");
    await fn(src);
  } finally {
    exec("umount", "-l", `${src}/sub`);
    Deno.removeSync(src, { recursive: true });
  }
}

const WRITE_BOTH = sh(
  `cat /r/sub/in-sub; touch /r/top 2>/dev/null && echo top-writable || echo top-ro; ` +
    `touch /r/sub/x 2>/dev/null && echo sub-writable || echo sub-ro; ${MOUNTINFO}`,
);

Deno.test({
  name: "bind (not rbind) does not bring the source's submounts",
  ignore: !IS_ROOT,
  fn: () =>
    withSubmount((src) =>
      withBundle(sh("ls -A /r/sub; echo end"), async (b) => {
        b.config.mounts.push({ destination: "/r", source: src, options: ["bind"] });
        assertEquals((await runOk(b)).stdout, "end\n");
      })
    ),
});

Deno.test({
  name: "rbind with ro brings submounts; only the top mount is read-only (as runc)",
  ignore: !IS_ROOT,
  fn: () =>
    withSubmount((src) =>
      withBundle(WRITE_BOTH, async (b) => {
        b.config.mounts.push({ destination: "/r", source: src, options: ["rbind", "ro"] });
        const [out, infos] = splitMountInfo((await runOk(b)).stdout);
        assertEquals(out, "sub\ntop-ro\nsub-writable\n");
        assert(mountAt(infos, "/r").options.includes("ro"));
        assert(mountAt(infos, "/r/sub").options.includes("rw"));
      })
    ),
});

Deno.test({
  name: "rro makes a bind mount and its submounts read-only",
  ignore: !IS_ROOT,
  fn: () =>
    withSubmount((src) =>
      withBundle(WRITE_BOTH, async (b) => {
        b.config.mounts.push({ destination: "/r", source: src, options: ["rbind", "rro"] });
        const [out, infos] = splitMountInfo((await runOk(b)).stdout);
        assertEquals(out, "sub\ntop-ro\nsub-ro\n");
        assert(mountAt(infos, "/r").options.includes("ro"));
        assert(mountAt(infos, "/r/sub").options.includes("ro"));
        // The host's submount is untouched.
        const host = mountAt(hostMountInfo(), `${src}/sub`);
        assert(host.options.includes("rw"), host.options.join(","));
        assertEquals([...Deno.readDirSync(`${src}/sub`)].map((e) => e.name), ["in-sub"]);
      })
    ),
});

Deno.test({
  name: "nosuid, nodev and noexec of a bind mount show in mountinfo and take effect",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh(`/b/busybox true 2>&1; echo "exec $?"; ${MOUNTINFO}`), async (b) => {
      Deno.mkdirSync(`${b.dir}/src`);
      Deno.copyFileSync("/bin/busybox", `${b.dir}/src/busybox`);
      b.config.mounts.push({
        destination: "/b",
        source: "src",
        options: ["rbind", "nosuid", "nodev", "noexec"],
      });
      const [out, infos] = splitMountInfo((await runOk(b)).stdout);
      assertMatch(out, /Permission denied/);
      assertStringIncludes(out, "exec 126");
      const options = mountAt(infos, "/b").options;
      for (const o of ["nosuid", "nodev", "noexec"]) assert(options.includes(o), options.join(","));
    }),
});

Deno.test({
  name: "nosuid, nodev and noexec of a tmpfs show in mountinfo",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh(MOUNTINFO), async (b) => {
      b.config.mounts.push({
        destination: "/t",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "nodev", "noexec", "noatime"],
      });
      const [, infos] = splitMountInfo((await runOk(b)).stdout);
      const options = mountAt(infos, "/t").options;
      for (const o of ["nosuid", "nodev", "noexec", "noatime"]) {
        assert(options.includes(o), options.join(","));
      }
    }),
});

Deno.test({
  // runc 1.1.5 passes "bind" to mount(2) as a filesystem type and fails with ENODEV;
  // tsrunc (core/plan/build.ts) deliberately binds, as later runc versions do.
  name: "type bind without a bind option is a bind mount",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh(`cat /bnd/f; ${MOUNTINFO}`), async (b) => {
      Deno.mkdirSync(`${b.dir}/src`);
      Deno.writeTextFileSync(`${b.dir}/src/f`, "bound\n");
      b.config.mounts.push({ destination: "/bnd", type: "bind", source: `${b.dir}/src` });
      const [out, infos] = splitMountInfo((await runOk(b)).stdout);
      assertEquals(out, "bound\n");
      assertEquals(mountAt(infos, "/bnd").root, `${b.dir}/src`);
    }),
});

Deno.test({
  name: "tmpcopyup copies the rootfs directory into the tmpfs mounted on it",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(
        `cat /etc/passwd | head -n 1; cat /etc/deep/dir/file; readlink /etc/link; ` +
          `stat -c %a /etc/deep; stat -c %u:%g /etc/deep/dir/file; echo new > /etc/new; ${MOUNTINFO}`,
      ),
      async (b) => {
        Deno.mkdirSync(`${b.rootfs}/etc/deep/dir`, { recursive: true });
        Deno.chmodSync(`${b.rootfs}/etc/deep`, 0o705);
        Deno.writeTextFileSync(`${b.rootfs}/etc/deep/dir/file`, "deep\n");
        Deno.chownSync(`${b.rootfs}/etc/deep/dir/file`, 7, 8);
        Deno.symlinkSync("deep/dir/file", `${b.rootfs}/etc/link`);
        b.config.mounts.push({
          destination: "/etc",
          type: "tmpfs",
          source: "tmpfs",
          options: ["tmpcopyup", "mode=755"],
        });
        const [out, infos] = splitMountInfo((await runOk(b)).stdout);
        assertEquals(out, "root:x:0:0:root:/root:/bin/sh\ndeep\ndeep/dir/file\n705\n7:8\n");
        assertEquals(mountAt(infos, "/etc").fstype, "tmpfs");
        // Writes went to the tmpfs, not the rootfs.
        assert(!Deno.readDirSync(`${b.rootfs}/etc`).some((e) => e.name === "new"));
      },
    ),
});

Deno.test({
  name: "an overlay mount with lower, upper and work dirs in the bundle",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(`cat /ov/low; echo up > /ov/new; rm /ov/gone; ls /ov; ${MOUNTINFO}`),
      async (b) => {
        for (const d of ["lower", "upper", "work"]) Deno.mkdirSync(`${b.dir}/${d}`);
        Deno.writeTextFileSync(`${b.dir}/lower/low`, "lower\n");
        Deno.writeTextFileSync(`${b.dir}/lower/gone`, "x\n");
        b.config.mounts.push({
          destination: "/ov",
          type: "overlay",
          source: "overlay",
          options: [`lowerdir=${b.dir}/lower`, `upperdir=${b.dir}/upper`, `workdir=${b.dir}/work`],
        });
        const [out, infos] = splitMountInfo((await runOk(b)).stdout);
        assertEquals(out, "lower\nlow\nnew\n");
        assertEquals(mountAt(infos, "/ov").fstype, "overlay");
        assertEquals(Deno.readTextFileSync(`${b.dir}/upper/new`), "up\n");
        assertEquals(Deno.readTextFileSync(`${b.dir}/lower/gone`), "x\n");
      },
    ),
});

Deno.test({
  name: "proc, sysfs, cgroup, devpts and mqueue are mounted where the config says",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh(`ls /sys/fs/cgroup; ${MOUNTINFO}`), async (b) => {
      const [out, infos] = splitMountInfo((await runOk(b)).stdout);
      assertEquals(mountAt(infos, "/proc").fstype, "proc");
      assertEquals(mountAt(infos, "/dev/pts").fstype, "devpts");
      assertEquals(mountAt(infos, "/dev/mqueue").fstype, "mqueue");
      assertEquals(mountAt(infos, "/dev/shm").fstype, "tmpfs");
      const sys = mountAt(infos, "/sys");
      assertEquals(sys.fstype, "sysfs");
      assert(sys.options.includes("ro"));
      const cgroup = infos.filter((m) => m.mountPoint.startsWith("/sys/fs/cgroup"));
      assert(cgroup.length > 0, "no cgroup mounts");
      const hostHasV1 = hostMountInfo().some((m) => m.fstype === "cgroup");
      if (hostHasV1) {
        // v1: a tmpfs with one read-only cgroup mount per hierarchy, like runc.
        assertEquals(mountAt(infos, "/sys/fs/cgroup").fstype, "tmpfs");
        const hierarchies = cgroup.filter((m) => m.fstype === "cgroup");
        assert(hierarchies.length > 0);
        for (const h of hierarchies) assert(h.options.includes("ro"), h.mountPoint);
        assertStringIncludes(out, "memory");
      } else {
        assertEquals(mountAt(infos, "/sys/fs/cgroup").fstype, "cgroup2");
      }
    }),
});

// --- escapes ---------------------------------------------------------------------------

/**
 * A host directory an attacker would like a mount to land on; checks that it is untouched
 * and not a mount point afterwards.
 */
async function withHostTarget(fn: (target: string) => Promise<void>): Promise<void> {
  const target = tempDir("escape-target");
  Deno.writeTextFileSync(`${target}/canary`, "host\n");
  try {
    await fn(target);
    assertEquals([...Deno.readDirSync(target)].map((e) => e.name), ["canary"]);
    assertEquals(Deno.readTextFileSync(`${target}/canary`), "host\n");
    assert(!hostMountInfo().some((m) => m.mountPoint.startsWith(target)), "mounted on the host");
  } finally {
    Deno.removeSync(target, { recursive: true });
  }
}

for (const kind of ["absolute", "relative"] as const) {
  Deno.test({
    name: `a mount destination that is an ${kind} symlink out of the rootfs never reaches the host`,
    ignore: !IS_ROOT,
    fn: () =>
      withHostTarget((target) =>
        withBundle(sh(`echo made > /evil/inside; ${MOUNTINFO}`), async (b) => {
          // Pointing at a missing directory under the host target: creating it on the host
          // would show in withHostTarget's check.
          const dest = `${target}/newdir`;
          const link = kind === "absolute" ? dest : `../../../../../../../..${dest}`;
          Deno.symlinkSync(link, `${b.rootfs}/evil`);
          b.config.mounts.push({ destination: "/evil", type: "tmpfs", source: "tsrunc-evil" });
          b.save();
          const r = await b.run(["run", uniqueId("rootfs")]);
          if (r.code === 0) {
            const [, infos] = splitMountInfo(r.stdout);
            assertEquals(infos.find((i) => i.source === "tsrunc-evil")?.mountPoint, dest);
          }
        })
      ),
  });

  Deno.test({
    name: `a mount destination that is an ${kind} symlink out of the rootfs lands inside it`,
    fn: () =>
      withHostTarget((target) =>
        withBundle(
          sh(`ls -A /evil; echo made > /evil/inside; ls -A /evil; ${MOUNTINFO}`),
          async (b) => {
            const link = kind === "absolute" ? target : `../../../../../../../..${target}`;
            Deno.symlinkSync(link, `${b.rootfs}/evil`);
            b.config.mounts.push({
              destination: "/evil",
              type: "tmpfs",
              source: "tsrunc-evil",
              options: ["size=1m"],
            });
            const [out, infos] = splitMountInfo((await runOk(b)).stdout);
            // The tmpfs is empty (no canary): it is not the host directory.
            assertEquals(out, "inside\n");
            const m = infos.find((i) => i.source === "tsrunc-evil");
            assert(m, "tmpfs not mounted");
            // The symlink was followed as if the rootfs were /, like runc's SecureJoin.
            assertEquals(m.mountPoint, target);
            assert(Deno.statSync(`${b.rootfs}${target}`).isDirectory);
          },
        )
      ),
  });
}

Deno.test({
  name: "a mount destination with ../../.. stays inside the rootfs",
  ignore: !IS_ROOT,
  fn: () =>
    withHostTarget((target) =>
      withBundle(sh(`echo made > ${target}/inside; ${MOUNTINFO}`), async (b) => {
        b.config.mounts.push({
          destination: `/../../../../..${target}`,
          type: "tmpfs",
          source: "tsrunc-dotdot",
        });
        const [, infos] = splitMountInfo((await runOk(b)).stdout);
        assertEquals(infos.find((i) => i.source === "tsrunc-dotdot")?.mountPoint, target);
        assert(Deno.statSync(`${b.rootfs}${target}`).isDirectory);
      })
    ),
});

Deno.test({
  name: "a bind mount onto a symlinked file target out of the rootfs stays inside it",
  fn: () =>
    withHostTarget((target) =>
      withBundle(sh("cat /evil-file"), async (b) => {
        Deno.writeTextFileSync(`${b.dir}/payload`, "payload\n");
        Deno.symlinkSync(`${target}/canary`, `${b.rootfs}/evil-file`);
        b.config.mounts.push({
          destination: "/evil-file",
          source: `${b.dir}/payload`,
          options: ["bind"],
        });
        assertEquals((await runOk(b)).stdout, "payload\n");
        assert(Deno.statSync(`${b.rootfs}${target}/canary`).isFile);
      })
    ),
});

// --- /dev ------------------------------------------------------------------------------

const DEVICES: [string, string][] = [
  ["null", "1:3"],
  ["zero", "1:5"],
  ["full", "1:7"],
  ["random", "1:8"],
  ["urandom", "1:9"],
  ["tty", "5:0"],
];

Deno.test({
  name: "/dev is a tmpfs with the default devices, mode 666",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(
        `for d in ${DEVICES.map(([d]) => d).join(" ")}; do ` +
          `stat -c '%n %F %t:%T %a %u:%g' /dev/$d; done; ${MOUNTINFO}`,
      ),
      async (b) => {
        const [out, infos] = splitMountInfo((await runOk(b)).stdout);
        const lines = out.trim().split("\n");
        DEVICES.forEach(([name, majorMinor], i) => {
          const [major, minor] = majorMinor.split(":").map((n) => Number(n).toString(16));
          assertEquals(
            lines[i],
            `/dev/${name} character special file ${major}:${minor} 666 0:0`,
          );
        });
        const dev = mountAt(infos, "/dev");
        assertEquals(dev.fstype, "tmpfs");
        assert(dev.superOptions.includes("mode=755"));
      },
    ),
});

Deno.test({
  name: "/dev has pts, ptmx -> pts/ptmx, shm, fd -> /proc/self/fd and the stdio links",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(
        'for l in ptmx fd stdin stdout stderr; do echo "$l $(readlink /dev/$l)"; done; ' +
          "stat -c %F /dev/pts /dev/shm; ls /dev/fd/ | sort -n | head -n 3 | tr '\\n' ' '",
      ),
      async (b) => {
        assertEquals(
          (await runOk(b)).stdout,
          "ptmx pts/ptmx\nfd /proc/self/fd\nstdin /proc/self/fd/0\nstdout /proc/self/fd/1\n" +
            "stderr /proc/self/fd/2\ndirectory\ndirectory\n0 1 2 ",
        );
      },
    ),
});

Deno.test({
  name: "/dev/null, /dev/zero and /dev/full work",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(
        "echo gone > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1; " +
          "echo x > /dev/full 2>&1 || echo full-fails; head -c 8 /dev/urandom | wc -c",
      ),
      async (b) => {
        const out = (await runOk(b)).stdout;
        assertMatch(out, /^null-ok\n\s*00 00 00 00\n/);
        assertStringIncludes(out, "full-fails");
        assertMatch(out, /8\n$/);
      },
    ),
});

Deno.test({
  name: "no /dev/ptmx link without a /dev/pts mount",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("ls /dev"), async (b) => {
      b.config.mounts = b.config.mounts.filter((m: { destination: string }) =>
        m.destination !== "/dev/pts"
      );
      const names = (await runOk(b)).stdout.trim().split("\n");
      assert(!names.includes("ptmx"), names.join(" "));
      assert(names.includes("null"));
    }),
});

Deno.test({
  name: "linux.devices creates devices with the given type, numbers, mode and owner",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(
        "stat -c '%n %F %t:%T %a %u:%g' /dev/mychar /dev/sub/myblock /dev/myfifo",
      ),
      async (b) => {
        b.config.linux.devices = [
          {
            path: "/dev/mychar",
            type: "c",
            major: 1,
            minor: 3,
            fileMode: 0o640,
            uid: 1000,
            gid: 1001,
          },
          {
            path: "/dev/sub/myblock",
            type: "b",
            major: 7,
            minor: 200,
            fileMode: 0o600,
            uid: 0,
            gid: 6,
          },
          { path: "/dev/myfifo", type: "p", fileMode: 0o620 },
        ];
        assertEquals(
          (await runOk(b)).stdout,
          "/dev/mychar character special file 1:3 640 1000:1001\n" +
            "/dev/sub/myblock block special file 7:c8 600 0:6\n" +
            "/dev/myfifo fifo 0:0 620 0:0\n",
        );
      },
    ),
});

Deno.test({
  name: "linux.devices can replace a default device",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(sh("stat -c '%t:%T %a' /dev/null"), async (b) => {
      b.config.linux.devices = [{
        path: "/dev/null",
        type: "c",
        major: 1,
        minor: 3,
        fileMode: 0o600,
      }];
      assertEquals((await runOk(b)).stdout, "1:3 600\n");
    }),
});

// --- masked and read-only paths, sysctl --------------------------------------------------

Deno.test({
  name: "a masked file reads empty and a masked directory is an empty read-only tmpfs",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(
      sh(
        `wc -c < /proc/kcore 2>&1 || true; cat /secret-file; echo "file $?"; ls -A /secret; ` +
          `touch /secret/x 2>&1; ${MOUNTINFO}`,
      ),
      async (b) => {
        Deno.mkdirSync(`${b.rootfs}/secret`);
        Deno.writeTextFileSync(`${b.rootfs}/secret/hidden`, "hidden\n");
        Deno.writeTextFileSync(`${b.rootfs}/secret-file`, "hidden\n");
        b.config.linux.maskedPaths.push("/secret", "/secret-file", "/does/not/exist");
        const [out, infos] = splitMountInfo((await runOk(b)).stdout);
        const hasKcore = (() => {
          try {
            Deno.statSync("/proc/kcore");
            return true;
          } catch {
            return false;
          }
        })();
        if (hasKcore) assertMatch(out, /^0\n/);
        assertStringIncludes(out, "file 0\n");
        assert(!out.includes("hidden"), out);
        assertMatch(out, /Read-only file system/);
        const secret = mountAt(infos, "/secret");
        assertEquals(secret.fstype, "tmpfs");
        assert(secret.options.includes("ro"));
        mountAt(infos, "/secret-file");
        mountAt(infos, "/sys/firmware");
      },
    ),
});

Deno.test({
  name: "readonlyPaths make /proc/sys read-only",
  ignore: !IS_ROOT,
  fn: async () => {
    const script = sh(
      "(echo 1 > /proc/sys/net/ipv4/ip_forward) 2>&1 && echo writable; " +
        "cat /proc/sys/net/ipv4/ip_forward",
    );
    // Writing net sysctls needs CAP_NET_ADMIN: without it the write fails with EPERM
    // whatever the mount says.
    const netAdmin = (b: Bundle) => {
      for (const set of ["bounding", "effective", "permitted"]) {
        b.config.process.capabilities[set].push("CAP_NET_ADMIN");
      }
    };
    await withBundle(script, async (b) => {
      netAdmin(b);
      const out = (await runOk(b)).stdout;
      assertMatch(out, /Read-only file system/);
      assertMatch(out, /0\n$/);
    });
    // Control: without the read-only path root in a new netns may write it.
    await withBundle(script, async (b) => {
      netAdmin(b);
      b.config.linux.readonlyPaths = [];
      assertEquals((await runOk(b)).stdout, "writable\n1\n");
    });
    assertEquals(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward"), "0\n");
  },
});

Deno.test({
  name: "linux.sysctl sets net.ipv4.ip_forward in a new network namespace, not on the host",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle(["cat", "/proc/sys/net/ipv4/ip_forward"], async (b) => {
      const host = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward");
      assertEquals(host, "0\n", "this test needs ip_forward off on the host");
      b.config.linux.sysctl = { "net.ipv4.ip_forward": "1" };
      assertEquals((await runOk(b)).stdout, "1\n");
      assertEquals(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward"), host);
    }),
});

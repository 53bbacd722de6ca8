/**
 * buildPlan() is pure: these tests compare the plans built for given configs (no root,
 * no I/O). They check what goes in the plan and in which order, as runc's init does it.
 */
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import {
  buildPlan,
  cleanPath,
  type HostFacts,
  hostPath,
  parseCpuList,
} from "../../../../core/plan/build.ts";
import type { Plan, PlanOp } from "../../../../core/plan/ops.ts";
import { MOUNT_ATTR, MS } from "../../../../core/plan/mount_options.ts";
import type { OciSpec } from "../../../../core/spec/types.ts";
import { TsruncError } from "../../../../base/errors.ts";

const BUNDLE = "/b";
const ROOTFS = "/b/rootfs";

const CLONE = {
  mount: 0x00020000,
  cgroup: 0x02000000,
  uts: 0x04000000,
  ipc: 0x08000000,
  user: 0x10000000,
  pid: 0x20000000,
  network: 0x40000000,
  time: 0x00000080,
};

/** A small config: a shell in a new mount/pid/uts namespace, /proc and /dev/pts mounted. */
function baseSpec(): OciSpec {
  return {
    ociVersion: "1.0.2-dev",
    process: {
      args: ["sh"],
      env: ["PATH=/bin"],
      cwd: "/",
      user: { uid: 0, gid: 0 },
    },
    root: { path: "rootfs" },
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "mode=755"] },
      { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["newinstance"] },
    ],
    linux: {
      namespaces: [{ type: "pid" }, { type: "mount" }, { type: "uts" }],
    },
  };
}

interface BuildOptions {
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  host?: Partial<HostFacts>;
}

function build(spec: OciSpec, options: BuildOptions = {}) {
  return buildPlan({
    spec,
    id: "c1",
    bundle: BUNDLE,
    rootfs: ROOTFS,
    fifoPath: "/run/tsrunc/c1/exec.fifo",
    noPivot: options.noPivot ?? false,
    noNewKeyring: options.noNewKeyring ?? false,
    preserveFds: options.preserveFds ?? 0,
    host: { cgroupV1: [], fileSources: new Set(), hasKcore: false, ...options.host },
  });
}

/** fn must throw a TsruncError whose message matches pattern. */
function assertTsruncError(fn: () => unknown, pattern: RegExp): void {
  const error = assertThrows(fn, pattern);
  assert(error instanceof TsruncError, `expected a TsruncError, got ${error}`);
}

function plan(spec: OciSpec, options: BuildOptions = {}): Plan {
  return build(spec, options).plan;
}

function names(p: Plan): string[] {
  return p.map((op) => op.op);
}

function indexOf(p: Plan, pred: (op: PlanOp) => boolean, what: string): number {
  const i = p.findIndex(pred);
  assert(i >= 0, `no ${what} op in the plan: ${names(p).join(" ")}`);
  return i;
}

function ofType<K extends PlanOp["op"]>(p: Plan, kind: K): Extract<PlanOp, { op: K }>[] {
  return p.filter((op): op is Extract<PlanOp, { op: K }> => op.op === kind);
}

function mountsAt(p: Plan, target: string) {
  return ofType(p, "mount").filter((m) => m.target === target);
}

Deno.test("buildPlan() puts a new user namespace's becomeRoot right after the ready sync", () => {
  const spec = baseSpec();
  spec.linux!.namespaces!.push({ type: "user" });
  const p = plan(spec);
  const ready = indexOf(p, (op) => op.op === "sync" && op.phase === "ready", "ready sync");
  assertEquals(p[ready], { op: "sync", phase: "ready", waitReply: true });
  assertEquals(p[ready + 1], { op: "becomeRoot" });
  assertEquals(p[ready - 1].op, "clone");
});

Deno.test("buildPlan() has no becomeRoot without a new user namespace", () => {
  assert(!names(plan(baseSpec())).includes("becomeRoot"));
});

Deno.test("buildPlan() clones with the CLONE_NEW* flags of the created namespaces but cgroup's", () => {
  const spec = baseSpec();
  spec.linux!.namespaces = [
    { type: "pid" },
    { type: "network" },
    { type: "ipc" },
    { type: "uts" },
    { type: "mount" },
    { type: "cgroup" },
    { type: "user" },
  ];
  const p = plan(spec);
  assertEquals(ofType(p, "clone"), [{
    op: "clone",
    flags: CLONE.pid | CLONE.network | CLONE.ipc | CLONE.uts | CLONE.mount | CLONE.user,
    kind: "init",
  }]);
  // the cgroup namespace is made once tsrunc has placed the init in its cgroups
  const ready = p.findIndex((op) => op.op === "sync" && op.phase === "ready");
  assertEquals(p[ready + 1], { op: "unshare", flags: CLONE.cgroup });
});

Deno.test("buildPlan() starts with the joins, openFifo and clone, then the ready sync", () => {
  const p = plan(baseSpec());
  assertEquals(p.slice(0, 3), [
    { op: "openFifo", path: "/run/tsrunc/c1/exec.fifo" },
    { op: "clone", flags: CLONE.pid | CLONE.mount | CLONE.uts, kind: "init" },
    { op: "sync", phase: "ready", waitReply: true },
  ]);
});

Deno.test("buildPlan() puts mounts in config order", () => {
  const spec = baseSpec();
  spec.mounts!.push(
    { destination: "/a", type: "tmpfs", source: "tmpfs" },
    { destination: "/b", type: "bind", source: "/host/b", options: ["bind"] },
    { destination: "/a", type: "tmpfs", source: "second" },
    { destination: "/c", type: "tmpfs", source: "tmpfs" },
  );
  const targets = ofType(plan(spec), "mount").map((m) => `${m.target}:${m.source}`)
    .filter((t) => !t.startsWith("/dev/") || t.startsWith("/dev/pts"));
  assertEquals(targets, [
    "/proc:proc",
    "/dev:tmpfs",
    "/dev/pts:devpts",
    "/a:tmpfs",
    "/b:/host/b",
    "/a:second",
    "/c:tmpfs",
  ]);
});

Deno.test("buildPlan() turns a bind mount with ro into mount + remount(MS_BIND|MS_RDONLY)", () => {
  const spec = baseSpec();
  spec.mounts!.push({
    destination: "/data",
    type: "bind",
    source: "/srv/data",
    options: ["bind", "ro", "nosuid"],
  });
  const p = plan(spec);
  const i = indexOf(p, (op) => op.op === "mount" && op.target === "/data", "bind mount");
  assertEquals(p[i], {
    op: "mount",
    source: "/srv/data",
    target: "/data",
    fstype: "",
    flags: MS.BIND,
    data: "",
    kind: "dir",
  });
  assertEquals(p[i + 1], {
    op: "remount",
    target: "/data",
    flags: MS.BIND | MS.RDONLY | MS.NOSUID,
  });
});

Deno.test("buildPlan() gives a plain bind mount no remount", () => {
  const spec = baseSpec();
  spec.mounts!.push({
    destination: "/data",
    type: "none",
    source: "/srv/data",
    options: ["rbind"],
  });
  const p = plan(spec);
  const i = indexOf(p, (op) => op.op === "mount" && op.target === "/data", "bind mount");
  assertEquals(p[i], {
    op: "mount",
    source: "/srv/data",
    target: "/data",
    fstype: "",
    flags: MS.BIND | MS.REC,
    data: "",
    kind: "dir",
  });
  assert(!ofType(p, "remount").some((r) => r.target === "/data"), "unexpected remount");
});

Deno.test("buildPlan() binds a mount of type bind even without a bind option", () => {
  const spec = baseSpec();
  spec.mounts!.push({ destination: "/data", type: "bind", source: "/srv/data", options: ["ro"] });
  const p = plan(spec);
  const i = indexOf(p, (op) => op.op === "mount" && op.target === "/data", "bind mount");
  assertEquals(p.slice(i, i + 2), [
    {
      op: "mount",
      source: "/srv/data",
      target: "/data",
      fstype: "",
      flags: MS.BIND,
      data: "",
      kind: "dir",
    },
    { op: "remount", target: "/data", flags: MS.BIND | MS.RDONLY },
  ]);
});

Deno.test("buildPlan() mounts a bind source that is a file on a file target", () => {
  const spec = baseSpec();
  spec.mounts!.push({
    destination: "/etc/resolv.conf",
    source: "/etc/resolv.conf",
    options: ["bind"],
  });
  const p = plan(spec, { host: { fileSources: new Set(["/etc/resolv.conf"]) } });
  assertEquals(mountsAt(p, "/etc/resolv.conf")[0].kind, "file");
});

Deno.test("buildPlan() resolves a relative bind source against the bundle", () => {
  const spec = baseSpec();
  spec.mounts!.push({ destination: "/data", source: "data/dir", options: ["bind"] });
  assertEquals(mountsAt(plan(spec), "/data")[0].source, "/b/data/dir");
  assertEquals(hostPath("/b/", "x"), "/b/x");
  assertEquals(hostPath("/b", "/abs"), "/abs");
});

Deno.test("buildPlan() gives rro a recursive mountSetattr with MOUNT_ATTR_RDONLY", () => {
  const spec = baseSpec();
  spec.mounts!.push({ destination: "/data", source: "/srv/data", options: ["rbind", "rro"] });
  const p = plan(spec);
  const i = indexOf(p, (op) => op.op === "mount" && op.target === "/data", "bind mount");
  const setattr = ofType(p, "mountSetattr");
  assertEquals(setattr, [{
    op: "mountSetattr",
    target: "/data",
    attrSet: MOUNT_ATTR.RDONLY,
    attrClr: 0,
    propagation: 0,
  }]);
  assert(p.indexOf(setattr[0]) > i, "mountSetattr must follow the mount");
});

Deno.test("buildPlan() puts copyUp right before the tmpfs mount of a tmpcopyup mount", () => {
  const spec = baseSpec();
  spec.mounts!.push({
    destination: "/etc",
    type: "tmpfs",
    source: "tmpfs",
    options: ["tmpcopyup", "mode=755", "nosuid"],
  });
  const p = plan(spec);
  const i = indexOf(p, (op) => op.op === "copyUp", "copyUp");
  assertEquals(p[i], { op: "copyUp", target: "/etc" });
  assertEquals(p[i + 1], {
    op: "mount",
    source: "tmpfs",
    target: "/etc",
    fstype: "tmpfs",
    flags: MS.NOSUID,
    data: "mode=755",
    kind: "dir",
  });
});

Deno.test("buildPlan() passes a mount's data options and flags to the kernel", () => {
  const spec = baseSpec();
  spec.mounts!.push({
    destination: "/run",
    type: "tmpfs",
    source: "tmpfs",
    options: ["nosuid", "nodev", "noexec", "mode=1777", "size=1m", "ro"],
  });
  assertEquals(mountsAt(plan(spec), "/run"), [{
    op: "mount",
    source: "tmpfs",
    target: "/run",
    fstype: "tmpfs",
    // read-only comes with a remount at the end (as runc does for tmpfs)
    flags: MS.NOSUID | MS.NODEV | MS.NOEXEC,
    data: "mode=1777,size=1m",
    kind: "dir",
  }]);
  assertEquals(ofType(plan(spec), "remount"), [{
    op: "remount",
    target: "/run",
    flags: MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY,
  }]);
});

Deno.test("buildPlan() cleans mount destinations: `..` never climbs above /", () => {
  const spec = baseSpec();
  spec.mounts!.push({ destination: "/../../../x//./y/", type: "tmpfs", source: "tmpfs" });
  assertEquals(mountsAt(plan(spec), "/x/y").length, 1);
  assertEquals(cleanPath("../../etc"), "/etc");
  assertEquals(cleanPath("/a/b/../c"), "/a/c");
  assertEquals(cleanPath("/"), "/");
});

Deno.test("buildPlan() applies a mount's propagation option to the mount point", () => {
  const spec = baseSpec();
  spec.mounts!.push({ destination: "/data", source: "/srv", options: ["rbind", "rshared"] });
  const p = plan(spec);
  const i = indexOf(p, (op) => op.op === "mount" && op.target === "/data", "bind mount");
  assertEquals(p[i + 1], { op: "propagation", path: "data", flags: MS.SHARED | MS.REC });
});

Deno.test("buildPlan() warns about an unknown capability and does not fail", () => {
  const spec = baseSpec();
  spec.process!.capabilities = {
    bounding: ["CAP_KILL", "CAP_NOT_A_THING"],
    effective: ["CAP_KILL"],
    permitted: ["CAP_KILL"],
  };
  const built = build(spec);
  assertEquals(built.warnings.length, 1);
  assert(built.warnings[0].includes("CAP_NOT_A_THING"));
  assertEquals(ofType(built.plan, "capBounding"), [{ op: "capBounding", keep: 1n << 5n }]);
});

Deno.test("buildPlan() turns capability names into 64-bit masks", () => {
  const spec = baseSpec();
  spec.process!.capabilities = {
    bounding: ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE"],
    effective: ["CAP_NET_BIND_SERVICE"],
    permitted: ["CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"],
    inheritable: ["CAP_AUDIT_WRITE"],
    ambient: ["cap_audit_write"],
  };
  const p = plan(spec);
  assertEquals(ofType(p, "capBounding")[0].keep, 1n | (1n << 21n) | (1n << 40n));
  assertEquals(ofType(p, "capSet"), [{
    op: "capSet",
    effective: 1n << 10n,
    permitted: (1n << 10n) | (1n << 29n),
    inheritable: 1n << 29n,
    ambient: 1n << 29n,
  }]);
});

Deno.test("buildPlan() turns an rlimit of 2^64-1 into -1 (RLIM_INFINITY)", () => {
  const spec = JSON.parse(
    JSON.stringify(baseSpec()).replace(
      '"user"',
      '"rlimits":[{"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615},' +
        '{"type":"RLIMIT_NOFILE","soft":1024,"hard":4096}],"user"',
    ),
  ) as OciSpec;
  assertEquals(ofType(plan(spec), "rlimit"), [
    { op: "rlimit", resource: 4, soft: -1, hard: -1 },
    { op: "rlimit", resource: 7, soft: 1024, hard: 4096 },
  ]);
});

Deno.test("buildPlan() rejects an unknown rlimit", () => {
  const spec = baseSpec();
  spec.process!.rlimits = [{ type: "RLIMIT_BOGUS", soft: 1, hard: 1 }];
  assertTsruncError(() => plan(spec), /RLIMIT_BOGUS/);
});

Deno.test("buildPlan() joins the user namespace first and the mount namespace last", () => {
  const spec = baseSpec();
  spec.linux!.namespaces = [
    { type: "mount", path: "/proc/1/ns/mnt" },
    { type: "network", path: "/proc/1/ns/net" },
    { type: "user", path: "/proc/1/ns/user" },
    { type: "uts", path: "/proc/1/ns/uts" },
    { type: "pid" },
  ];
  spec.mounts = [];
  const joins = ofType(plan(spec), "joinNs");
  assertEquals(joins, [
    { op: "joinNs", nsType: CLONE.user, path: "/proc/1/ns/user" },
    { op: "joinNs", nsType: CLONE.network, path: "/proc/1/ns/net" },
    { op: "joinNs", nsType: CLONE.uts, path: "/proc/1/ns/uts" },
    { op: "joinNs", nsType: CLONE.mount, path: "/proc/1/ns/mnt" },
  ]);
  const p = plan(spec);
  assert(p.indexOf(p.find((op) => op.op === "clone")!) > p.lastIndexOf(joins[3] as PlanOp));
  assertEquals(ofType(p, "clone"), [{ op: "clone", flags: CLONE.pid, kind: "init" }]);
});

Deno.test("buildPlan() sets timeOffsets before clone for a new time namespace", () => {
  const spec = baseSpec();
  spec.linux!.namespaces!.push({ type: "time" });
  spec.linux!.timeOffsets = { boottime: { secs: 86400 }, monotonic: { secs: 5, nanosecs: 7 } };
  const p = plan(spec);
  const i = indexOf(p, (op) => op.op === "timeOffsets", "timeOffsets");
  assertEquals(p[i], {
    op: "timeOffsets",
    monotonicSecs: 5,
    monotonicNanosecs: 7,
    boottimeSecs: 86400,
    boottimeNanosecs: 0,
  });
  assert(i < indexOf(p, (op) => op.op === "clone", "clone"));
  // CLONE_NEWTIME is created by the timeOffsets op (unshare), not by clone.
  assertEquals(ofType(p, "clone")[0].flags & CLONE.time, 0);
});

Deno.test("buildPlan() has no timeOffsets without a time namespace", () => {
  const spec = baseSpec();
  spec.linux!.timeOffsets = { boottime: { secs: 1 } };
  assert(!names(plan(spec)).includes("timeOffsets"));
});

Deno.test("buildPlan() creates devices with mknod outside a user namespace", () => {
  const spec = baseSpec();
  spec.linux!.devices = [
    { path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o600, uid: 1, gid: 2 },
    { path: "/dev/loop9", type: "b", major: 7, minor: 9 },
  ];
  const p = plan(spec);
  const nodes = ofType(p, "mknod");
  assertEquals(nodes.map((n) => n.target), [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/urandom",
    "/dev/random",
    "/dev/fuse",
    "/dev/loop9",
  ]);
  assertEquals(nodes[0], {
    op: "mknod",
    target: "/dev/null",
    mode: 0o020000 | 0o666,
    major: 1,
    minor: 3,
    uid: 0,
    gid: 0,
  });
  assertEquals(nodes[6], {
    op: "mknod",
    target: "/dev/fuse",
    mode: 0o020000 | 0o600,
    major: 10,
    minor: 229,
    uid: 1,
    gid: 2,
  });
  assertEquals(nodes[7].mode, 0o060000 | 0o666);
  assert(!ofType(p, "mount").some((m) => m.target === "/dev/null"));
  // Devices go after the /dev mount.
  assert(p.indexOf(nodes[0]) > p.indexOf(mountsAt(p, "/dev")[0]));
});

Deno.test("buildPlan() lets a config device replace a default one", () => {
  const spec = baseSpec();
  spec.linux!.devices = [{ path: "/dev/null", type: "c", major: 1, minor: 3, fileMode: 0o600 }];
  const nulls = ofType(plan(spec), "mknod").filter((n) => n.target === "/dev/null");
  assertEquals(nulls.length, 1);
  assertEquals(nulls[0].mode, 0o020000 | 0o600);
});

Deno.test("buildPlan() bind-mounts the host's devices inside a new user namespace", () => {
  const spec = baseSpec();
  spec.linux!.namespaces!.push({ type: "user" });
  const p = plan(spec);
  assertEquals(ofType(p, "mknod"), []);
  assertEquals(mountsAt(p, "/dev/null"), [{
    op: "mount",
    source: "/dev/null",
    target: "/dev/null",
    fstype: "",
    flags: MS.BIND,
    data: "",
    kind: "file",
  }]);
  for (const d of ["/dev/zero", "/dev/full", "/dev/tty", "/dev/urandom", "/dev/random"]) {
    assertEquals(mountsAt(p, d).length, 1, d);
  }
});

Deno.test("buildPlan() creates no devices when /dev is a bind mount", () => {
  const spec = baseSpec();
  spec.mounts![1] = { destination: "/dev", source: "/dev", options: ["rbind"] };
  const p = plan(spec);
  assertEquals(ofType(p, "mknod"), []);
  assert(!ofType(p, "symlink").some((s) => s.target === "/dev/fd"));
});

Deno.test("buildPlan() links /dev/ptmx to pts/ptmx only with a /dev/pts mount", () => {
  const withPts = ofType(plan(baseSpec()), "symlink");
  assert(withPts.some((s) => s.target === "/dev/ptmx" && s.linkTarget === "pts/ptmx"));
  const spec = baseSpec();
  spec.mounts = spec.mounts!.filter((m) => m.destination !== "/dev/pts");
  assert(!ofType(plan(spec), "symlink").some((s) => s.target === "/dev/ptmx"));
});

Deno.test("buildPlan() makes /dev/fd, stdin, stdout, stderr links, and /dev/core with kcore", () => {
  const links = (p: Plan) => ofType(p, "symlink").map((s) => `${s.target}->${s.linkTarget}`);
  const without = links(plan(baseSpec()));
  for (
    const l of [
      "/dev/fd->/proc/self/fd",
      "/dev/stdin->/proc/self/fd/0",
      "/dev/stdout->/proc/self/fd/1",
      "/dev/stderr->/proc/self/fd/2",
    ]
  ) assert(without.includes(l), l);
  assert(!without.includes("/dev/core->/proc/kcore"));
  assert(links(plan(baseSpec(), { host: { hasKcore: true } })).includes("/dev/core->/proc/kcore"));
});

Deno.test("buildPlan() puts masks, read-only paths and sysctls after pivotRoot", () => {
  const spec = baseSpec();
  spec.linux!.maskedPaths = ["/proc/kcore", "/sys/firmware"];
  spec.linux!.readonlyPaths = ["/proc/sys"];
  spec.linux!.sysctl = { "net.ipv4.ip_forward": "1" };
  spec.linux!.namespaces!.push({ type: "network" });
  spec.root!.readonly = true;
  const p = plan(spec);
  const pivot = indexOf(p, (op) => op.op === "pivotRoot", "pivotRoot");
  const after = p.slice(pivot + 1);
  // Below the /proc the config mounts proc on, they must resolve onto procfs (0x9fa0);
  // anything elsewhere.
  assertEquals(ofType(after, "mask"), [
    { op: "mask", path: "/proc/kcore", fsMagic: 0x9fa0 },
    { op: "mask", path: "/sys/firmware", fsMagic: 0 },
  ]);
  assertEquals(ofType(after, "readonlyPath"), [
    { op: "readonlyPath", path: "/proc/sys", fsMagic: 0x9fa0 },
  ]);
  assert(
    after.some((op) =>
      op.op === "writeFile" && op.path === "/proc/sys/net/ipv4/ip_forward" && op.content === "1" &&
      op.fsMagic === 0x9fa0
    ),
  );
  assertEquals(ofType(after, "readonlyRoot").length, 1);
  assertEquals(ofType(p.slice(0, pivot), "mask"), []);
  // Everything of the rootfs precedes pivotRoot, behind the prestart sync.
  const prestart = indexOf(p, (op) => op.op === "sync" && op.phase === "prestart", "prestart");
  assert(prestart < pivot);
  assert(p.slice(prestart).every((op) => op.op !== "mount" && op.op !== "mknod"));
});

Deno.test("buildPlan() makes no readonlyRoot without root.readonly", () => {
  assert(!names(plan(baseSpec())).includes("readonlyRoot"));
});

Deno.test("buildPlan() chroots instead of pivoting with --no-pivot", () => {
  const p = plan(baseSpec(), { noPivot: true });
  assert(names(p).includes("chroot"));
  assert(!names(p).includes("pivotRoot"));
  assert(names(plan(baseSpec())).includes("pivotRoot"));
});

Deno.test("buildPlan() makes / rslave by default and follows rootfsPropagation", () => {
  const p = plan(baseSpec());
  const openRoot = indexOf(p, (op) => op.op === "openRoot", "openRoot");
  assertEquals(p[openRoot], { op: "openRoot", path: ROOTFS });
  assertEquals(p[openRoot - 1], { op: "propagation", path: "/", flags: MS.SLAVE | MS.REC });

  const spec = baseSpec();
  spec.linux!.rootfsPropagation = "shared";
  const shared = plan(spec);
  const props = ofType(shared, "propagation");
  // pivot_root refuses a shared parent: / is rslave until after the pivot.
  assertEquals(props[0], { op: "propagation", path: "/", flags: MS.SLAVE | MS.REC });
  const pivot = indexOf(shared, (op) => op.op === "pivotRoot", "pivotRoot");
  assertEquals(shared[pivot + 1], { op: "propagation", path: "/", flags: MS.SHARED });
});

Deno.test("buildPlan() sets noNewPrivs only when noNewPrivileges is set", () => {
  assert(!names(plan(baseSpec())).includes("noNewPrivs"));
  const spec = baseSpec();
  spec.process!.noNewPrivileges = true;
  const p = plan(spec);
  const nnp = indexOf(p, (op) => op.op === "noNewPrivs", "noNewPrivs");
  assert(nnp > indexOf(p, (op) => op.op === "capSet", "capSet"));
  spec.process!.noNewPrivileges = false;
  assert(!names(plan(spec)).includes("noNewPrivs"));
});

Deno.test("buildPlan() ends with the wait for start and exec; closeFds comes before any filter", () => {
  const spec = baseSpec();
  spec.process!.args = ["echo", "hi"];
  spec.process!.env = ["PATH=/bin", "A=b"];
  const p = plan(spec, { preserveFds: 2 });
  assertEquals(p.at(-1), { op: "exec", args: ["echo", "hi"], env: ["PATH=/bin", "A=b"] });
  assertEquals(p.at(-2), { op: "waitStart" });
  assertEquals(ofType(p, "closeFds"), [{ op: "closeFds", firstToClose: 5 }]);
  assert(
    indexOf(p, (op) => op.op === "closeFds", "closeFds") <
      indexOf(p, (op) => op.op === "capBounding", "capBounding"),
  );
  assertEquals(ofType(p, "exec").length, 1);
});

Deno.test("buildPlan() waits for start after reporting created, then runs startContainer hooks", () => {
  const spec = baseSpec();
  spec.hooks = { startContainer: [{ path: "/bin/hook", args: ["hook", "x"], timeout: 3 }] };
  const p = plan(spec);
  const created = indexOf(p, (op) => op.op === "sync" && op.phase === "created", "created");
  assertEquals(p.slice(created), [
    { op: "sync", phase: "created", waitReply: false },
    { op: "closeSync" },
    { op: "waitStart" },
    {
      op: "hook",
      path: "/bin/hook",
      args: ["hook", "x"],
      env: [],
      timeoutSecs: 3,
      status: "created",
      inRootfsDir: false,
    },
    p.at(-1)!,
  ]);
  assertEquals(p.at(-1)!.op, "exec");
});

Deno.test("buildPlan() runs createContainer hooks between the prestart sync and pivotRoot", () => {
  const spec = baseSpec();
  spec.hooks = { createContainer: [{ path: "/bin/cc" }] };
  const p = plan(spec);
  const hook = indexOf(p, (op) => op.op === "hook", "hook");
  assertEquals(p[hook - 1], { op: "sync", phase: "prestart", waitReply: true });
  assertEquals(p[hook], {
    op: "hook",
    path: "/bin/cc",
    args: ["/bin/cc"],
    env: [],
    timeoutSecs: 0,
    status: "creating",
    // runc runs it in the rootfs directory: relative paths are the rootfs'
    inRootfsDir: true,
  });
  assertEquals(p[hook + 1].op, "pivotRoot");
});

Deno.test("buildPlan() adds HOME from the host facts only when the env lacks it", () => {
  const spec = baseSpec();
  const exec = (p: Plan) => ofType(p, "exec")[0];
  assertEquals(exec(plan(spec, { host: { home: "/root" } })).env, ["PATH=/bin", "HOME=/root"]);
  spec.process!.env = ["PATH=/bin", "HOME=/mine"];
  assertEquals(exec(plan(spec, { host: { home: "/root" } })).env, ["PATH=/bin", "HOME=/mine"]);
});

Deno.test("buildPlan() resolves the program with the env's PATH and the cwd", () => {
  const spec = baseSpec();
  spec.process!.cwd = "/tmp";
  spec.process!.env = ["PATH=/usr/bin:/bin"];
  const p = plan(spec);
  const chdir = indexOf(p, (op) => op.op === "chdir", "chdir");
  assertEquals(p[chdir], { op: "chdir", path: "/tmp" });
  assertEquals(p[chdir + 1], {
    op: "resolveExec",
    program: "sh",
    searchPath: "/usr/bin:/bin",
    cwd: "/tmp",
  });
  spec.process!.env = [];
  assertEquals(
    ofType(plan(spec), "resolveExec")[0].searchPath,
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  );
});

Deno.test("buildPlan() switches user with uid, gid, additional groups and umask", () => {
  const spec = baseSpec();
  spec.process!.user = { uid: 1000, gid: 1001, additionalGids: [5, 6], umask: 0o077 };
  const p = plan(spec);
  const setUser = indexOf(p, (op) => op.op === "setUser", "setUser");
  assertEquals(p[setUser], {
    op: "setUser",
    uid: 1000,
    gid: 1001,
    groups: [5, 6],
    setGroups: true,
  });
  assertEquals(ofType(p, "umask"), [{ op: "umask", mask: 0o077 }]);
  // The bounding set is dropped before the switch, the other sets after it.
  assert(indexOf(p, (op) => op.op === "capBounding", "capBounding") < setUser);
  assert(indexOf(p, (op) => op.op === "capSet", "capSet") > setUser);
  assertEquals(ofType(plan(baseSpec()), "umask"), [{ op: "umask", mask: 0o022 }]);
});

Deno.test("buildPlan() sets hostname and domainname in a new uts namespace", () => {
  const spec = baseSpec();
  spec.hostname = "box";
  spec.domainname = "example.org";
  const p = plan(spec);
  assertEquals(ofType(p, "hostname"), [{ op: "hostname", name: "box" }]);
  assertEquals(ofType(p, "domainname"), [{ op: "domainname", name: "example.org" }]);
});

Deno.test("buildPlan() refuses a hostname without a new uts namespace", () => {
  const spec = baseSpec();
  spec.hostname = "box";
  spec.linux!.namespaces = [{ type: "mount" }];
  assertTsruncError(() => plan(spec), /uts/);
});

Deno.test("buildPlan() without a mount namespace mounts in the caller's, under a private rootfs bind", () => {
  const spec = baseSpec();
  spec.linux!.namespaces = [{ type: "pid" }];
  const p = plan(spec);
  // The caller's / is not touched: no propagation change of "/" before the chroot, and
  // no move of the rootfs onto it.
  const chroot = indexOf(p, (op) => op.op === "chroot", "chroot");
  assertEquals(p[chroot], { op: "chroot", moveRoot: false });
  assertEquals(ofType(p, "pivotRoot"), []);
  const openRoot = indexOf(p, (op) => op.op === "openRoot", "openRoot");
  assertEquals(p[openRoot + 1], {
    op: "propagation",
    path: ROOTFS,
    flags: MS.PRIVATE | MS.REC,
  });
  assertEquals(
    p.slice(0, chroot).filter((op) => op.op === "propagation" && op.path === "/"),
    [],
  );
  // --no-pivot changes nothing there: no host mount is detached.
  const noPivot = plan(spec, { noPivot: true, host: { hostPseudoFsMounts: ["/proc"] } });
  assertEquals(ofType(noPivot, "detachMount"), []);
  assertEquals(ofType(noPivot, "chroot"), [{ op: "chroot", moveRoot: false }]);
});

Deno.test("buildPlan() refuses masks and read-only paths without a mount namespace", () => {
  for (const key of ["maskedPaths", "readonlyPaths"] as const) {
    const spec = baseSpec();
    spec.linux!.namespaces = [];
    spec.linux![key] = ["/proc/kcore"];
    assertTsruncError(
      () => plan(spec),
      new RegExp(`^config.json: linux.${key}: requires a mount namespace`),
    );
  }
});

Deno.test("buildPlan() joins runc's _ses.<id> session keyring unless --no-new-keyring", () => {
  assertEquals(ofType(plan(baseSpec()), "keyring"), [
    { op: "keyring", name: "_ses.c1", permAdd: 0x080000 },
  ]);
  assertEquals(ofType(plan(baseSpec(), { noNewKeyring: true }), "keyring"), []);
});

Deno.test("buildPlan() sets oomScoreAdj, personality, scheduler, ioPriority and CPU affinity", () => {
  const spec = baseSpec();
  spec.process!.oomScoreAdj = 500;
  spec.process!.scheduler = { policy: "SCHED_BATCH", nice: 3, flags: ["SCHED_FLAG_RESET_ON_FORK"] };
  spec.process!.ioPriority = { class: "IOPRIO_CLASS_IDLE", priority: 7 };
  spec.process!.execCPUAffinity = { final: "0-2,5" };
  spec.linux!.personality = { domain: "LINUX32" };
  const p = plan(spec);
  // first of all, by the executor for itself in the host's namespaces (inherited)
  assertEquals(p[0], {
    op: "writeFile",
    path: "/proc/self/oom_score_adj",
    content: "500",
    fsMagic: 0x9fa0,
  });
  assertEquals(ofType(p, "writeFile").length, 1);
  assertEquals(ofType(p, "personality"), [{ op: "personality", persona: 8 }]);
  assertEquals(ofType(p, "scheduler"), [{
    op: "scheduler",
    policy: 3,
    nice: 3,
    priority: 0,
    flags: 1,
    runtime: 0,
    deadline: 0,
    period: 0,
  }]);
  assertEquals(ofType(p, "ioPriority"), [{ op: "ioPriority", value: (3 << 13) | 7 }]);
  assertEquals(ofType(p, "cpuAffinity"), [{ op: "cpuAffinity", cpus: [0, 1, 2, 5] }]);
  assert(!names(plan(baseSpec())).includes("writeFile"));
});

Deno.test("parseCpuList() reads ranges and rejects nonsense", () => {
  assertEquals(parseCpuList("0", "x"), [0]);
  assertEquals(parseCpuList("1-3, 7", "x"), [1, 2, 3, 7]);
  assertTsruncError(() => parseCpuList("3-1", "x"), /invalid CPU list/);
  assertTsruncError(() => parseCpuList("a", "x"), /invalid CPU list/);
});

Deno.test("buildPlan() makes a cgroup v1 mount a tmpfs with one bind per hierarchy", () => {
  const spec = baseSpec();
  spec.mounts!.push({
    destination: "/sys/fs/cgroup",
    type: "cgroup",
    source: "cgroup",
    options: ["nosuid", "ro"],
  });
  const p = plan(spec, {
    host: {
      cgroupV1: [{ name: "memory", hostPath: "/sys/fs/cgroup/memory/user.slice" }],
    },
  });
  const i = indexOf(p, (op) => op.op === "mount" && op.target === "/sys/fs/cgroup", "cgroup tmpfs");
  assertEquals(p.slice(i, i + 4), [
    {
      op: "mount",
      source: "tmpfs",
      target: "/sys/fs/cgroup",
      fstype: "tmpfs",
      flags: MS.NOSUID,
      data: "mode=755",
      kind: "dir",
    },
    {
      op: "mount",
      source: "/sys/fs/cgroup/memory/user.slice",
      target: "/sys/fs/cgroup/memory",
      fstype: "",
      flags: MS.BIND,
      data: "",
      kind: "dir",
    },
    { op: "remount", target: "/sys/fs/cgroup/memory", flags: MS.BIND | MS.NOSUID | MS.RDONLY },
    { op: "remount", target: "/sys/fs/cgroup", flags: MS.NOSUID | MS.RDONLY },
  ]);
});

Deno.test("buildPlan() mounts cgroup2 when the host has no v1 hierarchies", () => {
  const spec = baseSpec();
  spec.mounts!.push({ destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup" });
  assertEquals(mountsAt(plan(spec), "/sys/fs/cgroup"), [{
    op: "mount",
    source: "cgroup2",
    target: "/sys/fs/cgroup",
    fstype: "cgroup2",
    flags: 0,
    data: "",
    kind: "dir",
  }]);
});

Deno.test("buildPlan() binds the host's cgroup2 in a user namespace without a cgroup one (runc's fallback)", () => {
  const spec = baseSpec();
  spec.linux!.namespaces!.push({ type: "user" });
  spec.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  spec.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  spec.mounts!.push({
    destination: "/sys/fs/cgroup",
    type: "cgroup",
    source: "cgroup",
    options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
  });
  const ops = plan(spec).filter((op) =>
    (op.op === "mount" || op.op === "remount") && op.target === "/sys/fs/cgroup"
  );
  assertEquals(ops, [
    {
      op: "mount",
      source: "/sys/fs/cgroup",
      target: "/sys/fs/cgroup",
      fstype: "",
      flags: MS.BIND,
      data: "",
      kind: "dir",
    },
    {
      op: "remount",
      target: "/sys/fs/cgroup",
      flags: MS.BIND | MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY,
    },
  ]);
  // with a cgroup namespace of its own, cgroup2 is mounted
  spec.linux!.namespaces!.push({ type: "cgroup" });
  assertEquals(mountsAt(plan(spec), "/sys/fs/cgroup")[0].fstype, "cgroup2");
});

Deno.test("buildPlan() refuses idmap mounts for now", () => {
  const spec = baseSpec();
  spec.mounts!.push({ destination: "/d", source: "/s", options: ["rbind", "idmap"] });
  assertTsruncError(() => plan(spec), /idmap/);
});

Deno.test("buildPlan() requires a process", () => {
  const spec = baseSpec();
  delete spec.process;
  assertTsruncError(() => plan(spec), /process/);
});

Deno.test("buildPlan() joins the late memory cgroup after the rootfs, then makes the cgroup namespace", () => {
  const spec = baseSpec();
  spec.linux!.namespaces = [{ type: "pid" }, { type: "mount" }, { type: "cgroup" }];
  const p = buildPlan({
    spec,
    id: "c1",
    bundle: BUNDLE,
    rootfs: ROOTFS,
    fifoPath: "/run/tsrunc/c1/exec.fifo",
    noPivot: false,
    noNewKeyring: false,
    preserveFds: 0,
    lateCgroupFd: 5,
    host: { cgroupV1: [], fileSources: new Set(), hasKcore: true },
  }).plan;
  const join = p.findIndex((op) => op.op === "joinCgroup");
  assertEquals(p[join], { op: "joinCgroup", fd: 5 });
  assertEquals(p[join + 1], { op: "unshare", flags: CLONE.cgroup });
  // after pivot_root (the mounts are done), before the user switch (unshare needs the rights)
  assert(join > p.findIndex((op) => op.op === "pivotRoot"));
  assert(join < p.findIndex((op) => op.op === "setUser"));
  assertEquals(p.filter((op) => op.op === "unshare").length, 1);
});

Deno.test("buildPlan() writes the AppArmor profile and SELinux label just before exec, where enabled", () => {
  const spec = baseSpec();
  spec.process!.apparmorProfile = "tsrunc-test";
  spec.process!.selinuxLabel = "system_u:system_r:container_t:s0";
  const p = plan(spec, { host: { lsm: { apparmor: true, selinux: true } } });
  // before the wait: startContainer hooks and the program get them (as with runc)
  assertEquals(p.slice(-4, -2), [
    {
      op: "writeFile",
      path: "/proc/self/attr/apparmor/exec",
      content: "exec tsrunc-test",
      fsMagic: 0x9fa0,
    },
    {
      op: "writeFile",
      path: "/proc/self/attr/exec",
      content: "system_u:system_r:container_t:s0",
      fsMagic: 0x9fa0,
    },
  ]);
});

Deno.test("buildPlan() refuses an AppArmor profile or SELinux label the host cannot apply", () => {
  const apparmor = baseSpec();
  apparmor.process!.apparmorProfile = "p";
  assertTsruncError(
    () => plan(apparmor),
    /config\.json: process\.apparmorProfile: AppArmor is not enabled/,
  );
  const selinux = baseSpec();
  selinux.process!.selinuxLabel = "l";
  assertTsruncError(() => plan(selinux), /process\.selinuxLabel: SELinux is not enabled/);
  const mountLabel = baseSpec();
  mountLabel.linux!.mountLabel = "l";
  assertTsruncError(() => plan(mountLabel), /linux\.mountLabel: SELinux is not enabled/);
});

Deno.test("buildPlan() loads seccomp before exec with no_new_privs, before the cap drop without", () => {
  const spec = baseSpec();
  spec.linux!.seccomp = {
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }],
  };
  spec.process!.noNewPrivileges = true;
  const late = plan(spec);
  // built early (errors show at create), loaded after the fds are marked close-on-exec and
  // before the wait: a waiting init is never an unfiltered process of the container
  assertEquals(names(late).slice(-3), ["seccompLoad", "waitStart", "exec"]);
  assert(names(late).indexOf("closeFds") < names(late).indexOf("seccomp"));
  assertEquals(late.find((op) => op.op === "seccomp"), {
    op: "seccomp",
    defaultAction: 0x7fff0000,
    flags: 0,
    architectures: [],
    rules: [{ action: 0x00050000 | 38, names: ["mkdir"], args: [] }],
    notify: false,
    loadNow: false,
    enosysAbove: [], // the default allows unknown syscalls: no ENOSYS stub
  });
  assert(
    indexOf(late, (op) => op.op === "seccomp", "seccomp") <
      indexOf(late, (op) => op.op === "sync" && op.phase === "created", "created"),
  );
  spec.process!.noNewPrivileges = false;
  const early = plan(spec);
  assertEquals(
    indexOf(early, (op) => op.op === "seccomp", "seccomp") + 1,
    indexOf(early, (op) => op.op === "capBounding", "capBounding"),
  );
  // an early filter too comes after close_range, which it may not allow
  assert(names(early).indexOf("closeFds") < names(early).indexOf("seccomp"));
});

Deno.test("buildPlan() mounts procfs and sysfs only on real directories", () => {
  const spec = baseSpec();
  spec.mounts!.push({ destination: "/sys", type: "sysfs", source: "sysfs" });
  const p = plan(spec);
  assertEquals(mountsAt(p, "/proc")[0].kind, "realDir");
  assertEquals(mountsAt(p, "/sys")[0].kind, "realDir");
  assertEquals(mountsAt(p, "/dev")[0].kind, "dir");
});

Deno.test("buildPlan() keeps the executor non-dumpable for a root caller", () => {
  const spec = baseSpec();
  spec.linux!.namespaces!.push({ type: "user" });
  spec.process!.oomScoreAdj = 100;
  assertEquals(ofType(plan(spec), "dumpable"), []);
});

Deno.test("buildPlan() makes an unprivileged caller's executor dumpable only to write its /proc files", () => {
  const spec = baseSpec();
  spec.linux!.namespaces!.push({ type: "user" });
  spec.process!.oomScoreAdj = 100;
  const p = plan(spec, { host: { unprivilegedCaller: true } });
  // oom_score_adj, in the host's namespaces before the clone
  assertEquals(p.slice(0, 3), [
    { op: "dumpable", dumpable: true },
    { op: "writeFile", path: "/proc/self/oom_score_adj", content: "100", fsMagic: 0x9fa0 },
    { op: "dumpable", dumpable: false },
  ]);
  // the id maps, written while the init is alone in its new user namespace
  const ready = indexOf(p, (op) => op.op === "sync" && op.phase === "ready", "ready sync");
  assertEquals(p[ready - 1], { op: "dumpable", dumpable: true });
  assertEquals(p[ready + 1], { op: "dumpable", dumpable: false });
  assertEquals(ofType(p, "dumpable").length, 4);
  // without a new user namespace, tsrunc writes no maps: no window
  const noUserNs = plan(baseSpec(), { host: { unprivilegedCaller: true } });
  assertEquals(ofType(noUserNs, "dumpable"), []);
});

Deno.test("buildPlan() gives the pty to the process's uid", () => {
  const spec = baseSpec();
  spec.process!.terminal = true;
  spec.process!.user = { uid: 1000, gid: 100 };
  assertEquals(ofType(plan(spec), "openPty")[0].uid, 1000);
});

Deno.test("buildPlan() with --no-pivot takes the host's procfs and sysfs out before the chroot", () => {
  const p = plan(baseSpec(), { noPivot: true, host: { hostPseudoFsMounts: ["/proc", "/sys"] } });
  const chroot = indexOf(p, (op) => op.op === "chroot", "chroot");
  assertEquals(p.slice(chroot - 2, chroot), [
    { op: "detachMount", path: "/proc" },
    { op: "detachMount", path: "/sys" },
  ]);
  assertEquals(
    ofType(plan(baseSpec(), { host: { hostPseudoFsMounts: ["/proc"] } }), "detachMount"),
    [],
  );
});

Deno.test("buildPlan() mounts a read-only /dev or tmpfs writable and makes it read-only at the end", () => {
  const spec = baseSpec();
  spec.mounts![1].options = ["nosuid", "mode=755", "ro"];
  spec.mounts!.push({ destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["ro"] });
  const p = plan(spec);
  assertEquals(mountsAt(p, "/dev")[0].flags & MS.RDONLY, 0);
  assertEquals(mountsAt(p, "/scratch")[0].flags & MS.RDONLY, 0);
  const remounts = ofType(p, "remount");
  assertEquals(remounts.map((r) => [r.target, r.flags & MS.RDONLY]), [
    ["/dev", MS.RDONLY],
    ["/scratch", MS.RDONLY],
  ]);
  // after everything that goes in them: /dev/pts, devices, the masks
  const first = indexOf(p, (op) => op.op === "remount", "remount");
  assert(first > indexOf(p, (op) => op.op === "pivotRoot", "pivotRoot"));
  assert(p.slice(first).every((op) => op.op !== "mount" && op.op !== "mknod"));
});

Deno.test("buildPlan() has the executor open bind sources for an init in a new user namespace", () => {
  const spec = baseSpec();
  spec.mounts!.push(
    { destination: "/a", type: "bind", source: "/srv/a", options: ["rbind"] },
    { destination: "/b", source: "rel", options: ["bind"] },
    { destination: "/a2", type: "bind", source: "/srv/a" },
  );
  assertEquals(ofType(plan(spec), "clone")[0].mountSources, undefined);
  spec.linux!.namespaces!.push({ type: "user" });
  const p = plan(spec);
  assertEquals(ofType(p, "clone")[0].mountSources, ["/srv/a", "/b/rel"]);
  assertEquals(mountsAt(p, "/a")[0].sourceFd, 0);
  assertEquals(mountsAt(p, "/b")[0].sourceFd, 1);
  assertEquals(mountsAt(p, "/a2")[0].sourceFd, 0);
  assertEquals(mountsAt(p, "/proc")[0].sourceFd, undefined);
});

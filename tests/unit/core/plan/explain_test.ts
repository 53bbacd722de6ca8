/**
 * What `tsrunc explain` and a failing op's error are made of: the config path each op
 * came from (origins) and the one line of words per op (describeOp). Pure, no root.
 */
import { assert, assertEquals } from "../../_assert.ts";
import { buildPlan } from "../../../../core/plan/build.ts";
import { buildExecPlan } from "../../../../core/plan/build_exec.ts";
import { describeOp } from "../../../../core/plan/describe.ts";
import { defaultSpec } from "../../../../core/spec/default_spec.ts";
import type { OciSpec } from "../../../../core/spec/types.ts";
import type { PlanOp } from "../../../../core/plan/ops.ts";

function build(spec: OciSpec) {
  return buildPlan({
    spec,
    id: "c1",
    bundle: "/b",
    rootfs: "/b/rootfs",
    fifoPath: "/run/tsrunc/c1/exec.fifo",
    noPivot: false,
    noNewKeyring: false,
    preserveFds: 0,
    host: {
      cgroupV1: [{ name: "memory", hostPath: "/sys/fs/cgroup/memory/c1" }],
      fileSources: new Set(),
      hasKcore: true,
    },
  });
}

/** runc's default spec, with a little of everything that has an origin. */
function richSpec(): OciSpec {
  const spec = defaultSpec({ rootless: false });
  spec.process!.rlimits = [
    { type: "RLIMIT_NOFILE", soft: 1024, hard: 1024 },
    { type: "RLIMIT_NPROC", soft: 10, hard: 20 },
  ];
  spec.process!.oomScoreAdj = 100;
  spec.mounts!.push({
    destination: "/data",
    type: "tmpfs",
    source: "tmpfs",
    options: ["ro", "size=1m"],
  });
  spec.linux!.devices = [{ path: "/dev/fuse", type: "c", major: 10, minor: 229 }];
  spec.linux!.sysctl = { "kernel.shmmax": "65536" };
  spec.hooks = { startContainer: [{ path: "/bin/true" }] };
  return spec;
}

/** The ops whose origin is path, as [op kind, first detail]. */
function opsFrom(built: ReturnType<typeof build>, path: string): PlanOp[] {
  return built.plan.filter((op) => built.origins.get(op) === path);
}

Deno.test("origins: each mount's ops (the late read-only remount too) name mounts[i]", () => {
  const spec = richSpec();
  const built = build(spec);
  const last = spec.mounts!.length - 1;
  const fromData = opsFrom(built, `mounts[${last}]`);
  assertEquals(fromData.map((op) => op.op), ["mount", "remount"]);
  // the read-only remount comes at the end of the rootfs setup, still tagged
  const remount = built.plan.indexOf(fromData[1]);
  assert(remount > built.plan.findIndex((op) => op.op === "pivotRoot"));
  const proc = built.plan.find((op) => op.op === "mount" && op.fstype === "proc")!;
  assertEquals(built.origins.get(proc), "mounts[0]");
});

Deno.test("origins: process, linux and hooks paths are the config's JSON paths", () => {
  const built = build(richSpec());
  const originOf = (kind: PlanOp["op"], nth = 0) =>
    built.origins.get(built.plan.filter((op) => op.op === kind)[nth]);
  assertEquals(originOf("rlimit", 0), "process.rlimits[0]");
  assertEquals(originOf("rlimit", 1), "process.rlimits[1]");
  assertEquals(originOf("writeFile", 0), "process.oomScoreAdj");
  assertEquals(originOf("mask", 2), "linux.maskedPaths[2]");
  assertEquals(originOf("readonlyPath", 0), "linux.readonlyPaths[0]");
  assertEquals(originOf("hook"), "hooks.startContainer[0]");
  assertEquals(originOf("exec"), "process.args");
  assertEquals(originOf("hostname"), "hostname");
  assertEquals(originOf("clone"), "linux.namespaces");
  const fuse = built.plan.find((op) => op.op === "mknod" && op.target === "/dev/fuse")!;
  assertEquals(built.origins.get(fuse), "linux.devices[0]");
  // a default device comes from no line of the config
  const nullDev = built.plan.find((op) => op.op === "mknod" && op.target === "/dev/null")!;
  assertEquals(built.origins.get(nullDev), undefined);
  const sysctl = built.plan.find((op) => op.op === "writeFile" && op.path.includes("shmmax"))!;
  assertEquals(built.origins.get(sysctl), "linux.sysctl");
});

Deno.test("origins: an exec plan tags the process's ops", () => {
  const spec = richSpec();
  const built = buildExecPlan({
    process: spec.process!,
    where: "process.json",
    id: "c1",
    initPid: 42,
    initPidfd: 7,
    joinFlags: 0,
    noNewKeyring: false,
    preserveFds: 0,
  });
  const rlimits = built.plan.filter((op) => op.op === "rlimit");
  assertEquals(rlimits.map((op) => built.origins.get(op)), [
    "process.rlimits[0]",
    "process.rlimits[1]",
  ]);
});

Deno.test("describeOp: one line per op, in the config's words", () => {
  const built = build(richSpec());
  for (const op of built.plan) {
    const text = describeOp(op);
    assert(text.length > 0 && !text.includes("\n"), `${op.op}: ${JSON.stringify(text)}`);
    assert(!text.includes("undefined"), `${op.op}: ${text}`);
  }
  const lines = built.plan.map(describeOp);
  assert(lines.includes("mount proc on /proc"), lines.join("\n"));
  assert(lines.includes("mount sysfs on /sys (ro,nosuid,nodev,noexec)"), lines.join("\n"));
  assert(lines.includes("make / rslave"), lines.join("\n"));
  assert(lines.includes("rlimit RLIMIT_NPROC soft 10 hard 20"), lines.join("\n"));
  assert(lines.includes("mknod /dev/fuse c 10:229 0666 0:0"), lines.join("\n"));
  assert(
    lines.includes("clone the init into new namespaces: mount,uts,ipc,pid,network"),
    lines.join("\n"),
  );
  assert(lines.some((l) => l.startsWith("capability bounding set: CAP_KILL,")), lines.join("\n"));
});

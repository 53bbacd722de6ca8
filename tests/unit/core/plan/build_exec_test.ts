/**
 * buildExecPlan() is pure: the plan of `exec` enters the init's namespaces, clones a
 * child, and then takes the init's last steps (session, keyring, pty, attributes, exec).
 */
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { buildExecPlan, type ExecPlanInput } from "../../../../core/plan/build_exec.ts";
import type { PlanOp } from "../../../../core/plan/ops.ts";

function input(overrides: Partial<ExecPlanInput> = {}): ExecPlanInput {
  return {
    process: { args: ["sh", "-c", "true"], env: ["PATH=/bin"], cwd: "/", user: { uid: 0, gid: 0 } },
    where: "config.json: process",
    id: "c1",
    initPid: 4242,
    initPidfd: 5,
    joinFlags: 0x20000000 | 0x00020000,
    noNewKeyring: false,
    preserveFds: 0,
    ...overrides,
  };
}

const ops = (plan: PlanOp[]) => plan.map((op) => op.op);

Deno.test("buildExecPlan() enters the init's namespaces, clones, then sets up and execs", () => {
  const { plan } = buildExecPlan(input());
  assertEquals(plan.slice(0, 5), [
    { op: "enterContainer", pidfd: 5, pid: 4242, flags: 0x20000000 | 0x00020000 },
    { op: "clone", flags: 0, kind: "exec" },
    { op: "sync", phase: "ready", waitReply: true },
    { op: "setsid" },
    { op: "keyring", name: "_ses.c1", permAdd: 0 },
  ]);
  assertEquals(ops(plan).slice(-2), ["keepAfterParent", "exec"]);
  assertEquals(plan.at(-1), {
    op: "exec",
    args: ["sh", "-c", "true"],
    env: ["PATH=/bin"],
  });
  assert(!ops(plan).includes("mount"), "exec mounts nothing");
  // after the cgroup placement, nobody is waited for: EOF of the sync socket says it runs
  assertEquals(plan.filter((op) => op.op === "sync").length, 1);
});

Deno.test("buildExecPlan() opens a pty with the console size only with a terminal", () => {
  assert(!ops(buildExecPlan(input()).plan).includes("openPty"));
  const process = { ...input().process, terminal: true, consoleSize: { height: 30, width: 90 } };
  const { plan } = buildExecPlan(input({ process }));
  const pty = plan.findIndex((op) => op.op === "openPty");
  assertEquals(plan[pty], { op: "openPty", rows: 30, columns: 90, clearOnlcr: false, uid: 0 });
  // after setsid (the pty becomes the controlling terminal), before the user switch
  assert(pty > plan.findIndex((op) => op.op === "setsid"));
  assert(pty < plan.findIndex((op) => op.op === "setUser"));
});

Deno.test("buildExecPlan() leaves preserved fds open and skips the keyring when asked", () => {
  const { plan } = buildExecPlan(input({ preserveFds: 2, noNewKeyring: true }));
  assertEquals(plan.find((op) => op.op === "closeFds"), { op: "closeFds", firstToClose: 5 });
  assert(!ops(plan).includes("keyring"));
});

Deno.test("buildExecPlan() applies the process' user, caps and no_new_privs", () => {
  const process = {
    ...input().process,
    user: { uid: 1000, gid: 100, additionalGids: [5] },
    capabilities: { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] },
    noNewPrivileges: true,
  };
  const { plan } = buildExecPlan(input({ process, home: "/home/u" }));
  assertEquals(plan.find((op) => op.op === "setUser"), {
    op: "setUser",
    uid: 1000,
    gid: 100,
    groups: [5],
    setGroups: true,
  });
  assertEquals(plan.find((op) => op.op === "capBounding"), { op: "capBounding", keep: 1n << 5n });
  assert(ops(plan).includes("noNewPrivs"));
  assertEquals(plan.at(-1), {
    op: "exec",
    args: ["sh", "-c", "true"],
    env: ["PATH=/bin", "HOME=/home/u"],
  });
});

Deno.test("buildExecPlan() keeps a variable's first place and last value", () => {
  const process = { ...input().process, env: ["A=1", "PATH=/bin", "A=2"] };
  const { plan } = buildExecPlan(input({ process }));
  assertEquals(plan.at(-1), { op: "exec", args: ["sh", "-c", "true"], env: ["A=2", "PATH=/bin"] });
});

Deno.test("buildExecPlan() names the process.json in errors", () => {
  const process = { ...input().process, rlimits: [{ type: "RLIMIT_NOPE", soft: 1, hard: 1 }] };
  assertThrows(
    () => buildExecPlan(input({ process, where: "process.json: process" })),
    /process\.json: process\.rlimits: unknown rlimit "RLIMIT_NOPE"/,
  );
});

Deno.test("buildExecPlan() writes oom_score_adj before entering the container, dumpable only for an unprivileged caller", () => {
  const process = { ...input().process, oomScoreAdj: 300 };
  const write = {
    op: "writeFile",
    path: "/proc/self/oom_score_adj",
    content: "300",
    fsMagic: 0x9fa0,
  };
  const root = buildExecPlan(input({ process })).plan;
  assertEquals(root.slice(0, 2).map((op) => op.op), ["writeFile", "enterContainer"]);
  assertEquals(root[0], write);
  assert(!ops(root).includes("dumpable"));
  const user = buildExecPlan(input({ process, unprivilegedCaller: true })).plan;
  assertEquals(user.slice(0, 4), [
    { op: "dumpable", dumpable: true },
    write,
    { op: "dumpable", dumpable: false },
    user[3],
  ]);
  assertEquals(user[3].op, "enterContainer");
});

Deno.test("buildExecPlan() loads a late seccomp filter right before exec", () => {
  const { plan } = buildExecPlan(input({
    process: { ...input().process, noNewPrivileges: true },
    seccomp: {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_ERRNO" }],
    },
  }));
  assertEquals(ops(plan).slice(-2), ["seccompLoad", "exec"]);
  // close_range before any filter: it may not be allowed
  assert(ops(plan).indexOf("closeFds") < ops(plan).indexOf("seccomp"));
});

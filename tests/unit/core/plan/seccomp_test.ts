/** seccompOp(): runtime-spec seccomp → libseccomp values, with runc's rules. */
import { assertEquals, assertThrows } from "../../_assert.ts";
import { seccompOp } from "../../../../core/plan/seccomp.ts";

Deno.test("seccompOp() maps actions, errnoRet (EPERM by default), arches and flags", () => {
  const op = seccompOp({
    defaultAction: "SCMP_ACT_ERRNO",
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
    flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG"],
    syscalls: [
      { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
      { names: ["kill"], action: "SCMP_ACT_KILL_PROCESS" },
      { names: ["ptrace"], action: "SCMP_ACT_TRACE", errnoRet: 5 },
      { names: ["uname"], action: "SCMP_ACT_LOG" },
      { names: ["open"], action: "SCMP_ACT_ERRNO" }, // same as the default: dropped
    ],
  }, "config.json: linux.seccomp");
  assertEquals(op.defaultAction, 0x00050001);
  assertEquals(op.architectures, ["x86_64", "x32"]);
  assertEquals(op.flags, 3);
  assertEquals(op.rules.map((r) => [r.names, r.action]), [
    [["read", "write"], 0x7fff0000],
    [["kill"], 0x80000000],
    [["ptrace"], 0x7ff00005],
    [["uname"], 0x7ffc0000],
  ]);
  assertEquals(op.notify, false);
});

Deno.test("seccompOp() splits two conditions on one argument into two rules (as runc)", () => {
  const op = seccompOp({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{
      names: ["personality"],
      action: "SCMP_ACT_ERRNO",
      args: [
        { index: 0, value: 8, op: "SCMP_CMP_EQ" },
        { index: 0, value: 0xffffffff, valueTwo: 0x20008, op: "SCMP_CMP_MASKED_EQ" },
      ],
    }, {
      names: ["clone"],
      action: "SCMP_ACT_ERRNO",
      args: [{ index: 0, value: 1, op: "SCMP_CMP_NE" }, { index: 1, value: 2, op: "SCMP_CMP_GT" }],
    }],
  }, "x");
  assertEquals(op.rules.length, 3);
  assertEquals(op.rules[0].args, [{ index: 0, op: 4, value: 8n, valueTwo: 0n }]);
  assertEquals(op.rules[1].args, [{ index: 0, op: 7, value: 0xffffffffn, valueTwo: 0x20008n }]);
  assertEquals(op.rules[2].args.map((a) => a.op), [1, 6]);
});

Deno.test("seccompOp() refuses what libseccomp 2.5 cannot do, and NOTIFY on sendmsg", () => {
  assertThrows(
    () =>
      seccompOp({
        defaultAction: "SCMP_ACT_ALLOW",
        flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
      }, "config.json: linux.seccomp"),
    /linux\.seccomp\.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp 2\.6/,
  );
  assertThrows(
    () =>
      seccompOp({ defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_LOONGARCH64"] }, "x"),
    /x\.architectures: SCMP_ARCH_LOONGARCH64 is not known to libseccomp 2\.5/,
  );
  assertThrows(
    () =>
      seccompOp({
        defaultAction: "SCMP_ACT_ALLOW",
        listenerPath: "/s",
        syscalls: [{ names: ["sendmsg"], action: "SCMP_ACT_NOTIFY" }],
      }, "x"),
    /x\.syscalls\[0\]: SCMP_ACT_NOTIFY on sendmsg/,
  );
});

Deno.test("seccompOp() needs a listenerPath for SCMP_ACT_NOTIFY and names bad input", () => {
  const notify = {
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{ names: ["mkdir"], action: "SCMP_ACT_NOTIFY" }],
  } as const;
  assertThrows(
    () => seccompOp(structuredClone(notify) as never, "config.json: linux.seccomp"),
    /config\.json: linux\.seccomp\.listenerPath: required with SCMP_ACT_NOTIFY/,
  );
  assertEquals(
    seccompOp({ ...structuredClone(notify), listenerPath: "/run/agent.sock" } as never, "x").notify,
    true,
  );
  assertThrows(
    () =>
      seccompOp({
        defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{
          names: ["a"],
          action: "SCMP_ACT_ERRNO",
          args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }],
        }],
      }, "config.json: linux.seccomp"),
    /linux\.seccomp\.syscalls\[0\]\.args\[0\]\.index: 6 > 5/,
  );
});

Deno.test("seccompOp() asks for runc's ENOSYS stub only where the default would refuse unknown syscalls otherwise", () => {
  const rules = [{ names: ["read", "write"], action: "SCMP_ACT_ALLOW" as const }, {
    names: ["write", "mkdir"],
    action: "SCMP_ACT_LOG" as const,
  }];
  assertEquals(
    seccompOp({ defaultAction: "SCMP_ACT_ERRNO", syscalls: rules }, "x").enosysAbove,
    ["read", "write", "mkdir"],
  );
  assertEquals(
    seccompOp({ defaultAction: "SCMP_ACT_KILL", syscalls: rules }, "x").enosysAbove.length,
    3,
  );
  for (const defaultAction of ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG"] as const) {
    assertEquals(seccompOp({ defaultAction, syscalls: rules }, "x").enosysAbove, []);
  }
  assertEquals(
    seccompOp({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, syscalls: rules }, "x")
      .enosysAbove,
    [],
  );
});

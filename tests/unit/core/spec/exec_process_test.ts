/** execProcessFromFlags(): exec's flags over the container's process, as runc applies them. */
import { assertEquals, assertThrows } from "../../_assert.ts";
import { type ExecOverrides, execProcessFromFlags } from "../../../../core/spec/exec_process.ts";
import type { Process } from "../../../../core/spec/types.ts";

const base: Process = {
  terminal: true,
  consoleSize: { height: 10, width: 20 },
  user: { uid: 0, gid: 0 },
  args: ["sleep", "100"],
  env: ["PATH=/bin", "TERM=xterm"],
  cwd: "/srv",
  capabilities: { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] },
};

function flags(overrides: Partial<ExecOverrides> = {}): ExecOverrides {
  return { args: ["true"], env: [], tty: false, additionalGids: [], caps: [], ...overrides };
}

Deno.test("execProcessFromFlags() keeps the container's env, cwd and user, not its terminal", () => {
  const p = execProcessFromFlags(base, flags());
  assertEquals(p.args, ["true"]);
  assertEquals(p.env, ["PATH=/bin", "TERM=xterm"]);
  assertEquals(p.cwd, "/srv");
  assertEquals(p.terminal, false);
  assertEquals(p.consoleSize, undefined);
  assertEquals(p.user, { uid: 0, gid: 0 });
  assertEquals(base.args, ["sleep", "100"], "the container's process is not changed");
});

Deno.test("execProcessFromFlags() applies --env, --cwd, --tty, --user, -g, --cap, --no-new-privs", () => {
  const p = execProcessFromFlags(
    base,
    flags({
      env: ["A=1", "B=2"],
      cwd: "/tmp",
      tty: true,
      user: "1000:1001",
      additionalGids: ["5", "6"],
      caps: ["CAP_NET_ADMIN"],
      noNewPrivileges: true,
    }),
  );
  assertEquals(p.env, ["PATH=/bin", "TERM=xterm", "A=1", "B=2"]);
  assertEquals(p.cwd, "/tmp");
  assertEquals(p.terminal, true);
  assertEquals(p.user, { uid: 1000, gid: 1001, additionalGids: [5, 6] });
  assertEquals(p.capabilities?.bounding, ["CAP_KILL", "CAP_NET_ADMIN"]);
  assertEquals(p.capabilities?.effective, ["CAP_KILL", "CAP_NET_ADMIN"]);
  assertEquals(p.capabilities?.permitted, ["CAP_KILL", "CAP_NET_ADMIN"]);
  assertEquals(p.noNewPrivileges, true);
});

Deno.test("execProcessFromFlags() --user without a gid keeps the container's gid", () => {
  const p = execProcessFromFlags({ ...base, user: { uid: 0, gid: 7 } }, flags({ user: "1000" }));
  assertEquals(p.user, { uid: 1000, gid: 7 });
});

Deno.test("execProcessFromFlags() rejects an empty command and ids that are not numbers", () => {
  assertThrows(() => execProcessFromFlags(base, flags({ args: [] })), /a command is required/);
  assertThrows(
    () => execProcessFromFlags(base, flags({ env: ["TERM"] })),
    /--env: invalid environment variable "TERM"/,
  );
  assertThrows(
    () => execProcessFromFlags(base, flags({ user: "root" })),
    /--user: invalid id "root"/,
  );
  assertThrows(
    () => execProcessFromFlags(base, flags({ user: "1:x" })),
    /--user: invalid id "1:x"/,
  );
  assertThrows(
    () => execProcessFromFlags(base, flags({ additionalGids: ["-1"] })),
    /--additional-gids: invalid id "-1"/,
  );
});

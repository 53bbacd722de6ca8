/**
 * buildExecPlan(): the plan for `exec`, a new process in a running (or created)
 * container. Pure, like buildPlan. The executor joins every namespace of the container's
 * init at once through its pidfd and takes the init's root, clones the process (which
 * lands in the pid and time namespaces and is tsrunc's child), and that process takes
 * the same steps as the init's last ones: session, keyring, pty, attributes, user, exec.
 * Nothing is mounted: the container's filesystem is already set up.
 */
import { type OciProcess, oomScoreAdjOps, pushOpenPty, pushProcess } from "./build.ts";
import type { BuiltPlan } from "./build.ts";
import type { PlanOp } from "./ops.ts";
import { type Origins, tag, tagged } from "./origins.ts";
import { seccompOp } from "./seccomp.ts";
import type { LinuxSeccomp } from "../spec/types.ts";

/** Everything that decides an exec plan. */
export interface ExecPlanInput {
  process: OciProcess;
  /** Names the process in errors: "process.json" or "config.json: process". */
  where: string;
  id: string;
  /** Host pid of the container's init, and the fd number its pidfd has in the executor. */
  initPid: number;
  initPidfd: number;
  /** CLONE_NEW* flags of the init's namespaces that differ from tsrunc's own. */
  joinFlags: number;
  noNewKeyring: boolean;
  preserveFds: number;
  /** HOME of the process user from the container's /etc/passwd, when env sets none. */
  home?: string;
  /** The container's linux.seccomp: exec'd processes get the same filter. */
  seccomp?: LinuxSeccomp;
  /** Linux security modules the host has enabled. */
  lsm?: { apparmor: boolean; selinux: boolean };
  /** The container's user namespace denies setgroups(2) (rootless). */
  setgroupsDenied?: boolean;
  /** The terminal is proxied by tsrunc (no console socket). */
  proxiedTerminal?: boolean;
  /** tsrunc runs without CAP_SYS_PTRACE (see HostFacts). */
  unprivilegedCaller?: boolean;
}

/** Build the plan for `exec`. */
export function buildExecPlan(input: ExecPlanInput): BuiltPlan {
  const { process } = input;
  const warnings: string[] = [];
  const plan: PlanOp[] = [
    // Before entering: the executor's own /proc files are out of its reach in there.
    ...oomScoreAdjOps(process, input.unprivilegedCaller === true),
    { op: "enterContainer", pidfd: input.initPidfd, pid: input.initPid, flags: input.joinFlags },
    { op: "clone", flags: 0, kind: "exec" },
    // tsrunc puts the process in the container's cgroups while it waits here.
    { op: "sync", phase: "ready", waitReply: true },
    { op: "setsid" },
  ];
  const origins: Origins = new Map();
  tag(origins, "process.oomScoreAdj", ...plan.filter((op) => op.op === "writeFile"));
  // runc's exec joins the container's session keyring by its name.
  if (!input.noNewKeyring) plan.push({ op: "keyring", name: `_ses.${input.id}`, permAdd: 0 });
  if (process.terminal) pushOpenPty(plan, process, input.proxiedTerminal === true, origins);
  const seccomp = input.seccomp
    ? seccompOp(input.seccomp, "config.json: linux.seccomp")
    : undefined;
  // Before any filter, early or late: it may not allow close_range (as in buildPlan).
  plan.push({ op: "closeFds", firstToClose: 3 + input.preserveFds });
  const { env, lateSeccomp, labels } = pushProcess(plan, process, {
    home: input.home,
    where: input.where,
    warnings,
    seccomp,
    lsm: input.lsm,
    setgroupsDenied: input.setgroupsDenied,
    origins,
  });
  // The sync socket stays open (close-on-exec) until execve: its EOF tells tsrunc the
  // program runs, and a failure before that still reaches tsrunc as an error.
  plan.push({ op: "keepAfterParent" });
  plan.push(...labels);
  if (lateSeccomp) plan.push(lateSeccomp);
  tagged(plan, origins, "process.args", () => plan.push({ op: "exec", args: process.args!, env }));
  return { plan, warnings, origins };
}

/**
 * linux.seccomp as a plan op: libseccomp's action values, the architecture names it
 * resolves, our flag bits, and runc's rules (errnoRet defaults to EPERM, a rule with the
 * default action is dropped, conditions on one argument given twice become one rule each).
 * Syscall names are resolved by the executor: unknown ones are skipped, as runc does.
 */
import { TsruncError } from "../../base/errors.ts";
import type { LinuxSeccomp, LinuxSeccompAction } from "../spec/types.ts";
import type { SeccompOp, SeccompRule } from "./ops.ts";
import { SECCOMP_ARCHITECTURES } from "../spec/validate.ts";

const EPERM = 1;
const ENOSYS = 38;

/** libseccomp's SCMP_ACT_* values (errno/trace data in the low 16 bits). */
function actionValue(action: LinuxSeccompAction, errnoRet: number | undefined): number {
  switch (action) {
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return 0x00000000;
    case "SCMP_ACT_KILL_PROCESS":
      return 0x80000000;
    case "SCMP_ACT_TRAP":
      return 0x00030000;
    case "SCMP_ACT_ERRNO":
      return 0x00050000 | ((errnoRet ?? EPERM) & 0xffff);
    case "SCMP_ACT_TRACE":
      return 0x7ff00000 | ((errnoRet ?? EPERM) & 0xffff);
    case "SCMP_ACT_LOG":
      return 0x7ffc0000;
    case "SCMP_ACT_ALLOW":
      return 0x7fff0000;
    case "SCMP_ACT_NOTIFY":
      return 0x7fc00000;
  }
  throw new TsruncError(`unknown seccomp action "${action}"`);
}

/** SCMP_CMP_* */
const OPERATORS: Record<string, number> = {
  SCMP_CMP_NE: 1,
  SCMP_CMP_LT: 2,
  SCMP_CMP_LE: 3,
  SCMP_CMP_EQ: 4,
  SCMP_CMP_GE: 5,
  SCMP_CMP_GT: 6,
  SCMP_CMP_MASKED_EQ: 7,
};

/** Our flag bits (libcore/seccomp.c maps them to libseccomp attributes). */
export const SECCOMP_FLAG_BITS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 8,
};

/** The runtime-spec's architectures that libseccomp 2.5 (the one linked in) does not know. */
const NOT_IN_LIBSECCOMP = new Set([
  "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",
  "SCMP_ARCH_SH",
  "SCMP_ARCH_SHEB",
]);

/** The architectures libseccomp 2.5 knows, in alphabetical order (as `features` lists them). */
export function supportedArchs(): string[] {
  return SECCOMP_ARCHITECTURES.filter((arch) => !NOT_IN_LIBSECCOMP.has(arch)).sort();
}

/** Flags libseccomp 2.5 can set (WAIT_KILLABLE_RECV needs 2.6). */
export const SUPPORTED_FLAGS = [
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
];

/**
 * The seccomp op for a config's (or process.json's) linux.seccomp; `loadNow` false
 * builds the filter only (a seccompLoad op loads it later).
 */
export function seccompOp(seccomp: LinuxSeccomp, where: string, loadNow = true): SeccompOp {
  const defaultAction = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet);
  let flags = 0;
  for (const flag of seccomp.flags ?? []) {
    const bit = SECCOMP_FLAG_BITS[flag];
    if (bit === undefined) throw new TsruncError(`${where}.flags: unknown flag "${flag}"`);
    if (!SUPPORTED_FLAGS.includes(flag)) {
      throw new TsruncError(`${where}.flags: ${flag} needs libseccomp 2.6 (tsrunc has 2.5)`);
    }
    flags |= bit;
  }
  for (const arch of seccomp.architectures ?? []) {
    if (!supportedArchs().includes(arch)) {
      throw new TsruncError(`${where}.architectures: ${arch} is not known to libseccomp 2.5`);
    }
  }
  const architectures = (seccomp.architectures ?? []).map((a) =>
    a.replace(/^SCMP_ARCH_/, "").toLowerCase()
  );
  const rules: SeccompRule[] = [];
  let notify = seccomp.defaultAction === "SCMP_ACT_NOTIFY";
  (seccomp.syscalls ?? []).forEach((call, i) => {
    const action = actionValue(call.action, call.errnoRet);
    if (call.action === "SCMP_ACT_NOTIFY") {
      notify = true;
      // The listener fd is handed to tsrunc with sendmsg(2) once the filter is loaded.
      if (call.names.includes("sendmsg")) {
        throw new TsruncError(
          `${where}.syscalls[${i}]: SCMP_ACT_NOTIFY on sendmsg would block handing the listener to tsrunc`,
        );
      }
    }
    if (action === defaultAction) return; // libseccomp refuses it; runc drops it too
    const args = (call.args ?? []).map((arg, j) => {
      const op = OPERATORS[arg.op];
      if (op === undefined) {
        throw new TsruncError(
          `${where}.syscalls[${i}].args[${j}].op: unknown operator "${arg.op}"`,
        );
      }
      if (arg.index > 5) {
        throw new TsruncError(`${where}.syscalls[${i}].args[${j}].index: ${arg.index} > 5`);
      }
      return {
        index: arg.index,
        op,
        value: BigInt(arg.value),
        valueTwo: BigInt(arg.valueTwo ?? 0),
      };
    });
    const indexes = args.map((a) => a.index);
    const repeated = new Set(indexes).size !== indexes.length;
    if (repeated) {
      // libseccomp takes one condition per argument: runc adds one rule per condition.
      for (const arg of args) rules.push({ action, names: call.names, args: [arg] });
    } else {
      rules.push({ action, names: call.names, args });
    }
  });
  if (notify && !seccomp.listenerPath) {
    throw new TsruncError(`${where}.listenerPath: required with SCMP_ACT_NOTIFY`);
  }
  // runc's ENOSYS stub: only where the default action would refuse an unknown syscall
  // with something other than ENOSYS.
  const letsThrough = [
    actionValue("SCMP_ACT_ALLOW", undefined),
    actionValue("SCMP_ACT_LOG", undefined),
    actionValue("SCMP_ACT_ERRNO", ENOSYS),
  ].includes(defaultAction);
  const enosysAbove = letsThrough
    ? []
    : [...new Set((seccomp.syscalls ?? []).flatMap((c) => c.names))];
  return {
    op: "seccomp",
    defaultAction,
    flags,
    architectures,
    rules,
    notify,
    loadNow,
    enosysAbove,
  };
}

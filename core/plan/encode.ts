/**
 * The plan's wire form, read by libcore/plan.c:
 *
 *   "TSP1" u32(op count)
 *   per op: u16 code, u16 0, u32 nints, u32 nstrs, i64 ints[nints],
 *           per string: u32 byte length, bytes, NUL
 *
 * All little-endian. Every op is a flat record of integers and strings in the order
 * `fields()` gives; string lists (args, env) are counted by an integer before them.
 */
import { OP_CODES, PHASE_CODES, type Plan, type PlanOp } from "./ops.ts";
import { PROC_MOUNT_TARGETS } from "./tables.ts";

const MAGIC = [0x54, 0x53, 0x50, 0x31]; // "TSP1"

type Fields = [ints: (number | bigint)[], strs: string[]];

/** Wire codes of mount target kinds; libcore/plan.h has the same (enum target_kind). */
export const TARGET_KINDS = { dir: 0, file: 1, none: 2, realDir: 3 } as const;

function fields(op: PlanOp): Fields {
  switch (op.op) {
    case "joinNs":
      return [[op.nsType], [op.path]];
    case "timeOffsets":
      return [[op.monotonicSecs, op.monotonicNanosecs, op.boottimeSecs, op.boottimeNanosecs], []];
    case "openFifo":
      return [[], [op.path]];
    case "clone":
      return [[op.flags, op.kind === "exec" ? 1 : 0], op.mountSources ?? []];
    case "enterContainer":
      return [[op.pidfd, op.pid, op.flags], []];
    case "openPty":
      return [[op.rows, op.columns, op.clearOnlcr ? 1 : 0, op.uid], []];
    case "unshare":
      return [[op.flags], []];
    case "joinCgroup":
      return [[op.fd], []];
    case "seccomp": {
      // ints: default action, flags, notify, #arches, #rules, load now, then per rule:
      // action, #names, #args, per arg: index, op, value, valueTwo; strs: arches, names
      const ints: (number | bigint)[] = [
        op.defaultAction,
        op.flags,
        op.notify ? 1 : 0,
        op.architectures.length,
        op.rules.length,
        op.loadNow ? 1 : 0,
      ];
      const strs = [...op.architectures];
      for (const rule of op.rules) {
        ints.push(rule.action, rule.names.length, rule.args.length);
        for (const arg of rule.args) ints.push(arg.index, arg.op, arg.value, arg.valueTwo);
        strs.push(...rule.names);
      }
      // then #names for the ENOSYS stub, and those names
      ints.push(op.enosysAbove.length);
      strs.push(...op.enosysAbove);
      return [ints, strs];
    }
    case "sync":
      return [[PHASE_CODES[op.phase], op.waitReply ? 1 : 0], []];
    case "becomeRoot":
    case "setsid":
    case "pivotRoot":
    case "readonlyRoot":
    case "closeSync":
    case "waitStart":
    case "noNewPrivs":
    case "keepAfterParent":
    case "seccompLoad":
      return [[], []];
    case "hostname":
    case "domainname":
      return [[], [op.name]];
    case "keyring":
      return [[op.permAdd], [op.name]];
    case "propagation":
      return [[op.flags], [op.path]];
    case "openRoot":
      return [[], [op.path]];
    case "mount":
      // ints[2]: the target may be on procfs (one of runc's lxcfs files)
      return [
        [
          op.flags,
          TARGET_KINDS[op.kind],
          PROC_MOUNT_TARGETS.has(op.target) ? 1 : 0,
          op.sourceFd ?? -1,
        ],
        [op.source, op.target, op.fstype, op.data],
      ];
    case "remount":
      return [[op.flags], [op.target]];
    case "mountSetattr":
      return [[op.attrSet, op.attrClr, op.propagation], [op.target]];
    case "copyUp":
      return [[], [op.target]];
    case "mkdir":
      return [[op.mode], [op.target, op.purpose]];
    case "mknod":
      return [[op.mode, op.major, op.minor, op.uid, op.gid], [op.target]];
    case "symlink":
      return [[], [op.linkTarget, op.target]];
    case "hook":
      return [
        [
          op.timeoutSecs,
          op.args.length,
          op.env.length,
          op.status === "created" ? 1 : 0,
          op.inRootfsDir ? 1 : 0,
        ],
        [op.path, ...op.args, ...op.env],
      ];
    case "mask":
    case "readonlyPath":
      return [[op.fsMagic], [op.path]];
    case "chdir":
      return [[], [op.path]];
    case "detachMount":
      return [[], [op.path]];
    case "chroot":
      return [[op.moveRoot ? 1 : 0], []];
    case "dumpable":
      return [[op.dumpable ? 1 : 0], []];
    case "writeFile":
      return [[op.fsMagic], [op.path, op.content]];
    case "rlimit":
      return [[op.resource, op.soft, op.hard], []];
    case "personality":
      return [[op.persona], []];
    case "scheduler":
      return [[op.policy, op.nice, op.priority, op.flags, op.runtime, op.deadline, op.period], []];
    case "ioPriority":
      return [[op.value], []];
    case "cpuAffinity":
      return [op.cpus, []];
    case "resolveExec":
      return [[], [op.program, op.searchPath, op.cwd]];
    case "umask":
      return [[op.mask], []];
    case "capBounding":
      return [[op.keep], []];
    case "setUser":
      return [[op.uid, op.gid, op.setGroups ? 1 : 0, ...op.groups], []];
    case "capSet":
      return [[op.effective, op.permitted, op.inheritable, op.ambient], []];
    case "closeFds":
      return [[op.firstToClose], []];
    case "exec":
      return [[op.args.length, op.env.length], [...op.args, ...op.env]];
  }
}

/** Encode a plan into the bytes the executor reads. */
export function encodePlan(plan: Plan): Uint8Array {
  const utf8 = new TextEncoder();
  const records = plan.map((op) => {
    const [ints, strs] = fields(op);
    return { code: OP_CODES[op.op], ints, strs };
  });
  // An upper bound (UTF-8 takes at most 3 bytes per UTF-16 unit): strings are encoded
  // straight into place, one pass, no array per string (a big seccomp profile has tens
  // of thousands of names).
  let bound = 8;
  for (const r of records) {
    bound += 12 + 8 * r.ints.length;
    for (const s of r.strs) bound += 4 + 3 * s.length + 1;
  }
  const bytes = new Uint8Array(bound);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, records.length, true);
  let at = 8;
  for (const r of records) {
    view.setUint16(at, r.code, true);
    // 32-bit counts: a 10,000-rule seccomp profile is one op with ~70,000 integers
    view.setUint32(at + 4, r.ints.length, true);
    view.setUint32(at + 8, r.strs.length, true);
    at += 12;
    for (const n of r.ints) {
      if (typeof n === "bigint") {
        view.setBigInt64(at, n, true);
      } else {
        // two halves: no BigInt per integer
        const high = Math.floor(n / 0x1_0000_0000);
        view.setUint32(at, n - high * 0x1_0000_0000, true);
        view.setInt32(at + 4, high, true);
      }
      at += 8;
    }
    for (const s of r.strs) {
      const { written } = utf8.encodeInto(s, bytes.subarray(at + 4));
      view.setUint32(at, written, true);
      at += 4 + written + 1; // the NUL is already 0
    }
  }
  return bytes.subarray(0, at);
}

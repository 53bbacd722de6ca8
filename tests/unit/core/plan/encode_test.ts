/**
 * encodePlan(): the wire form libcore/plan.c reads. Each test decodes the bytes by hand,
 * as the C side does, so a change of layout shows here before it breaks the executor.
 */
import { assertEquals } from "../../_assert.ts";
import { encodePlan, TARGET_KINDS } from "../../../../core/plan/encode.ts";
import { ERROR_EXPLAINED, MSG } from "../../../../ffi/messages.ts";
import { FN } from "../../../../ffi/libcore.ts";
import { OP_CODES, PHASE_CODES, type Plan, type PlanOp } from "../../../../core/plan/ops.ts";

interface WireRecord {
  code: number;
  ints: bigint[];
  strs: string[];
  reserved: number;
}

/** Decode the bytes following the documented layout; `end` must land on the last byte. */
function decode(bytes: Uint8Array): { magic: string; records: WireRecord[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  const count = view.getUint32(4, true);
  let at = 8;
  const records: WireRecord[] = [];
  for (let i = 0; i < count; i++) {
    const code = view.getUint16(at, true);
    const reserved = view.getUint16(at + 2, true);
    const nints = view.getUint32(at + 4, true);
    const nstrs = view.getUint32(at + 8, true);
    at += 12;
    const ints: bigint[] = [];
    for (let j = 0; j < nints; j++, at += 8) ints.push(view.getBigInt64(at, true));
    const strs: string[] = [];
    for (let j = 0; j < nstrs; j++) {
      const length = view.getUint32(at, true);
      strs.push(new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + length)));
      if (bytes[at + 4 + length] !== 0) throw new Error(`string ${j} of op ${i} lacks its NUL`);
      at += 4 + length + 1;
    }
    records.push({ code, ints, strs, reserved });
  }
  if (at !== bytes.length) throw new Error(`decoded ${at} of ${bytes.length} bytes`);
  return { magic, records };
}

Deno.test("encodePlan() writes the TSP1 header and the op count", () => {
  const bytes = encodePlan([{ op: "pivotRoot" }, { op: "setsid" }, { op: "closeSync" }]);
  assertEquals([...bytes.subarray(0, 4)], [0x54, 0x53, 0x50, 0x31]);
  assertEquals(new TextDecoder().decode(bytes.subarray(0, 4)), "TSP1");
  assertEquals([...bytes.subarray(4, 8)], [3, 0, 0, 0]);
  // Three ops without fields: a 12-byte header each.
  assertEquals(bytes.length, 8 + 3 * 12);
  assertEquals([...bytes.subarray(8, 20)], [OP_CODES.pivotRoot, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("encodePlan() counts more than 65,535 integers of one op (a 10,000-rule seccomp filter)", () => {
  const cpus = Array.from({ length: 70_000 }, (_, i) => i % 2);
  const op: PlanOp = { op: "cpuAffinity", cpus };
  const { records } = decode(encodePlan([op]));
  assertEquals(records[0].ints.length, 70_000);
  assertEquals(records[0].ints[69_999], 1n);
});

Deno.test("encodePlan() of an empty plan is the bare header", () => {
  assertEquals([...encodePlan([])], [0x54, 0x53, 0x50, 0x31, 0, 0, 0, 0]);
});

Deno.test("encodePlan() lays out a mount record: code, counts, i64 ints, length-prefixed strings", () => {
  const plan: Plan = [{
    op: "mount",
    source: "tmpfs",
    target: "/dev",
    fstype: "tmpfs",
    flags: 2 | 4,
    data: "mode=755",
    kind: "dir",
  }];
  const bytes = encodePlan(plan);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Record header at byte 8.
  assertEquals(view.getUint16(8, true), OP_CODES.mount);
  assertEquals(view.getUint32(12, true), 4); // flags, kind, may be on procfs, source fd
  assertEquals(view.getUint32(16, true), 4); // source, target, fstype, data
  assertEquals(view.getUint16(10, true), 0);
  // Ints, little-endian i64.
  assertEquals([...bytes.subarray(20, 28)], [6, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(view.getBigInt64(28, true), 0n); // kind "dir"
  assertEquals(view.getBigInt64(36, true), 0n); // /dev is not one of runc's /proc files
  assertEquals(view.getBigInt64(44, true), -1n); // no pre-opened source
  // First string: u32 length 5, "tmpfs", NUL.
  assertEquals([...bytes.subarray(52, 56)], [5, 0, 0, 0]);
  assertEquals(new TextDecoder().decode(bytes.subarray(56, 61)), "tmpfs");
  assertEquals(bytes[61], 0);
  // Second string follows at once: "/dev".
  assertEquals(view.getUint32(62, true), 4);
  assertEquals(new TextDecoder().decode(bytes.subarray(66, 70)), "/dev");
  assertEquals(bytes[70], 0);
  assertEquals(bytes.length, 8 + 12 + 32 + (4 + 5 + 1) + (4 + 4 + 1) + (4 + 5 + 1) + (4 + 8 + 1));
  assertEquals(decode(bytes).records, [{
    code: OP_CODES.mount,
    ints: [6n, 0n, 0n, -1n],
    strs: ["tmpfs", "/dev", "tmpfs", "mode=755"],
    reserved: 0,
  }]);
});

Deno.test("encodePlan() writes -1 and 64-bit capability masks as two's-complement i64", () => {
  const bytes = encodePlan([
    { op: "rlimit", resource: 7, soft: -1, hard: 1024 },
    { op: "capBounding", keep: (1n << 40n) | 1n },
  ]);
  const { records } = decode(bytes);
  assertEquals(records[0], {
    code: OP_CODES.rlimit,
    ints: [7n, -1n, 1024n],
    strs: [],
    reserved: 0,
  });
  assertEquals([...bytes.subarray(28, 36)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assertEquals(records[1].ints, [(1n << 40n) | 1n]);
});

Deno.test("encodePlan() counts string lists of exec and hook before them", () => {
  const { records } = decode(encodePlan([
    {
      op: "hook",
      path: "/bin/h",
      args: ["h", "a"],
      env: ["X=1"],
      timeoutSecs: 5,
      status: "created",
      inRootfsDir: false,
    },
    { op: "exec", args: ["sh", "-c", "echo é"], env: ["PATH=/bin"] },
  ]));
  assertEquals(records, [
    {
      code: OP_CODES.hook,
      ints: [5n, 2n, 1n, 1n, 0n],
      strs: ["/bin/h", "h", "a", "X=1"],
      reserved: 0,
    },
    {
      code: OP_CODES.exec,
      ints: [3n, 1n],
      strs: ["sh", "-c", "echo é", "PATH=/bin"],
      reserved: 0,
    },
  ]);
});

Deno.test("encodePlan() encodes strings as UTF-8 with their byte length", () => {
  const bytes = encodePlan([{ op: "hostname", name: "é" }]);
  assertEquals([...bytes.subarray(20)], [2, 0, 0, 0, 0xc3, 0xa9, 0]);
});

Deno.test("encodePlan() writes sync phases and setUser groups as ints", () => {
  const { records } = decode(encodePlan([
    { op: "sync", phase: "prestart", waitReply: true },
    { op: "setUser", uid: 1000, gid: 100, groups: [5, 6], setGroups: true },
    { op: "cpuAffinity", cpus: [0, 3] },
  ]));
  assertEquals(records.map((r) => [r.code, r.ints]), [
    [OP_CODES.sync, [BigInt(PHASE_CODES.prestart), 1n]],
    [OP_CODES.setUser, [1000n, 100n, 1n, 5n, 6n]],
    [OP_CODES.cpuAffinity, [0n, 3n]],
  ]);
});

/** The members of a C enum of libcore/NAME (the one containing `first`), evaluated. */
function cEnum(file: string, first: string): Record<string, number> {
  const header = Deno.readTextFileSync(new URL(`../../../../libcore/${file}`, import.meta.url));
  const body = [...header.matchAll(/enum[^{]*\{([^}]*)\}/g)].map((m) => m[1])
    .find((b) => b.includes(first));
  if (body === undefined) throw new Error(`no enum with ${first} in libcore/${file}`);
  // Explicit "= N" or one more than the previous entry.
  const members: Record<string, number> = {};
  let next = 0;
  for (const entry of body.replace(/\/\*[^]*?\*\//g, "").split(",")) {
    const match = /^\s*([A-Z_]\w*)\s*(?:=\s*(\d+))?\s*$/.exec(entry);
    if (!match) continue;
    next = match[2] === undefined ? next : Number(match[2]);
    members[match[1]] = next++;
  }
  return members;
}

/** { fooBar: 1 } as { PREFIX_FOO_BAR: 1 }. */
function asC(prefix: string, codes: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, code] of Object.entries(codes)) {
    out[`${prefix}${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`] = code;
  }
  return out;
}

Deno.test("OP_CODES are distinct and match the enum of libcore/plan.h", () => {
  const codes = Object.values(OP_CODES);
  assertEquals(new Set(codes).size, codes.length);
  assertEquals(cEnum("plan.h", "OP_JOIN_NS"), asC("OP_", OP_CODES));
});

Deno.test("the FFI function codes of ffi/libcore.ts match libcore.c's enum", () => {
  const fn = Object.fromEntries(Object.entries(FN).map(([k, v]) => [`FN_${k}`, v]));
  assertEquals(cEnum("libcore.c", "FN_SEALED_COPY"), fn);
});

Deno.test("phase codes, target kinds and sync message types match libcore's headers", () => {
  assertEquals(cEnum("plan.h", "PHASE_READY"), asC("PHASE_", PHASE_CODES));
  assertEquals(cEnum("plan.h", "TARGET_DIR"), asC("TARGET_", TARGET_KINDS));
  const msg = Object.fromEntries(Object.entries(MSG).map(([k, v]) => [`MSG_${k}`, v]));
  assertEquals(cEnum("sync.h", "MSG_PID"), msg);
  const sync = Deno.readTextFileSync(new URL("../../../../libcore/sync.h", import.meta.url));
  assertEquals(
    Number(/#define MSG_ERROR_EXPLAINED (0x[0-9a-f]+)/i.exec(sync)?.[1]),
    ERROR_EXPLAINED,
  );
});

/** One op of every kind, with every list empty: what the fixed part of each record is. */
const SAMPLES: PlanOp[] = [
  { op: "joinNs", nsType: 1, path: "/p" },
  {
    op: "timeOffsets",
    monotonicSecs: 0,
    monotonicNanosecs: 0,
    boottimeSecs: 0,
    boottimeNanosecs: 0,
  },
  { op: "openFifo", path: "/f" },
  { op: "clone", flags: 0, kind: "init" },
  { op: "sync", phase: "ready", waitReply: true },
  { op: "becomeRoot" },
  { op: "setsid" },
  { op: "hostname", name: "h" },
  { op: "domainname", name: "d" },
  { op: "keyring", name: "k", permAdd: 0 },
  { op: "propagation", path: "/", flags: 0 },
  { op: "openRoot", path: "/r" },
  { op: "mount", source: "s", target: "/t", fstype: "", flags: 0, data: "", kind: "dir" },
  { op: "remount", target: "/t", flags: 0 },
  { op: "mountSetattr", target: "/t", attrSet: 0, attrClr: 0, propagation: 0 },
  { op: "copyUp", target: "/t" },
  { op: "mkdir", target: "/t", mode: 0, purpose: "p" },
  { op: "mknod", target: "/t", mode: 0, major: 0, minor: 0, uid: 0, gid: 0 },
  { op: "symlink", linkTarget: "a", target: "/b" },
  {
    op: "hook",
    path: "/h",
    args: [],
    env: [],
    timeoutSecs: 0,
    status: "creating",
    inRootfsDir: true,
  },
  { op: "pivotRoot" },
  { op: "chroot", moveRoot: true },
  { op: "mask", path: "/m", fsMagic: 0 },
  { op: "readonlyPath", path: "/r", fsMagic: 0 },
  { op: "readonlyRoot" },
  { op: "writeFile", path: "/w", content: "c", fsMagic: 0 },
  { op: "rlimit", resource: 0, soft: 0, hard: 0 },
  { op: "personality", persona: 0 },
  {
    op: "scheduler",
    policy: 0,
    nice: 0,
    priority: 0,
    flags: 0,
    runtime: 0,
    deadline: 0,
    period: 0,
  },
  { op: "ioPriority", value: 0 },
  { op: "cpuAffinity", cpus: [] },
  { op: "closeSync" },
  { op: "waitStart" },
  { op: "resolveExec", program: "p", searchPath: "/bin", cwd: "/" },
  { op: "chdir", path: "/" },
  { op: "umask", mask: 0 },
  { op: "capBounding", keep: 0n },
  { op: "setUser", uid: 0, gid: 0, groups: [], setGroups: true },
  { op: "capSet", effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n },
  { op: "noNewPrivs" },
  { op: "closeFds", firstToClose: 3 },
  { op: "exec", args: [], env: [] },
  { op: "enterContainer", pidfd: 5, pid: 1, flags: 0 },
  { op: "openPty", rows: 0, columns: 0, clearOnlcr: false, uid: 0 },
  { op: "keepAfterParent" },
  { op: "unshare", flags: 0 },
  { op: "joinCgroup", fd: 5 },
  {
    op: "seccomp",
    defaultAction: 0,
    flags: 0,
    architectures: [],
    rules: [],
    notify: false,
    loadNow: true,
    enosysAbove: [],
  },
  { op: "seccompLoad" },
  { op: "dumpable", dumpable: false },
  { op: "detachMount", path: "/p" },
];

Deno.test("the C decoder's fixed part of every op (plan.c ARITY) is what encodePlan writes", () => {
  assertEquals(new Set(SAMPLES.map((op) => op.op)).size, Object.keys(OP_CODES).length);
  const source = Deno.readTextFileSync(new URL("../../../../libcore/plan.c", import.meta.url));
  const arity: Record<string, [number, number]> = {};
  for (const m of source.matchAll(/\[(OP_\w+)\] = \{(\d+), (\d+)\}/g)) {
    arity[m[1]] = [Number(m[2]), Number(m[3])];
  }
  const written: Record<string, [number, number]> = {};
  for (const op of SAMPLES) {
    const [record] = decode(encodePlan([op])).records;
    const name = `OP_${op.op.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    written[name] = [record.ints.length, record.strs.length];
  }
  assertEquals(arity, written);
});

/**
 * The cgroup v2 device controller (libcore/bpf_devices.c through ffi/libcore.ts): each
 * test makes its own cgroup v2 directory, attaches a filter, and runs processes that
 * join that cgroup and try to open, write or mknod devices. Rules mean what they mean
 * to runc (its devices emulator, i.e. cgroup v1): see bpf_devices.c. Root only; the
 * cgroups are removed even when a test fails.
 *
 * Host devices used: /dev/null (c 1:3), /dev/zero (c 1:5).
 */
import { assert, assertEquals, assertNotEquals, assertStringIncludes } from "./_assert.ts";
import { IS_ROOT, sleep } from "./_helpers.ts";
import { bpfDevices, close, type DeviceRule, openDir, packDeviceRules } from "../../ffi/libcore.ts";
import { TsruncError } from "../../base/errors.ts";

const ignore = !IS_ROOT;
const EPERM_TEXT = "Operation not permitted";

/** Where a cgroup2 file system is mounted: /sys/fs/cgroup/unified on a hybrid host. */
function cgroup2Root(): string {
  const mounts = Deno.readTextFileSync("/proc/self/mounts").split("\n");
  const found = mounts.map((line) => line.split(" ")).find((f) => f[2] === "cgroup2");
  if (!found) throw new Error("no cgroup2 file system is mounted");
  return found[1];
}

function rule(
  type: DeviceRule["type"],
  major: number,
  minor: number,
  access: string,
  allow: boolean,
): DeviceRule {
  return { type, major, minor, access, allow };
}

const DENY_ALL = rule("a", -1, -1, "rwm", false);
const ALLOW_ALL = rule("a", -1, -1, "rwm", true);

/** A fresh cgroup v2 directory and an fd of it, both gone after fn (rmdir retried). */
async function withCgroup(fn: (path: string, fd: number) => Promise<void>): Promise<void> {
  const path = `${cgroup2Root()}/tsrunc-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  Deno.mkdirSync(path);
  try {
    const fd = openDir(path);
    try {
      await fn(path, fd);
    } finally {
      close(fd);
    }
  } finally {
    await removeCgroup(path);
  }
}

async function removeCgroup(path: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      Deno.removeSync(path);
      return;
    } catch (error) {
      // EBUSY while an exited process is still being released from the cgroup
      if (attempt >= 100) throw error;
      await sleep(20);
    }
  }
}

interface Outcome {
  code: number;
  stderr: string;
}

/** Run args in a shell that first moves itself into the cgroup at path. */
async function runIn(path: string, args: string[]): Promise<Outcome> {
  const out = await new Deno.Command("/bin/sh", {
    args: [
      "-c",
      'cg=$1; shift; echo $$ > "$cg/cgroup.procs" || exit 99; exec "$@"',
      "sh",
      path,
      ...args,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertNotEquals(out.code, 99, `cannot join ${path}: ${stderr}`);
  return { code: out.code, stderr };
}

const OPS = {
  read: (dev: string) => ["head", "-c1", dev],
  write: (dev: string) => ["sh", "-c", 'echo x >"$1"', "sh", dev],
  readWrite: (dev: string) => ["sh", "-c", 'exec 3<>"$1"', "sh", dev],
} as const;

/** Assert that the operation on dev succeeds (true) or fails with EPERM (false). */
async function expect(path: string, op: keyof typeof OPS, dev: string, allowed: boolean) {
  const r = await runIn(path, OPS[op](dev));
  if (allowed) {
    assertEquals(r.code, 0, `${op} ${dev} should be allowed: ${r.stderr}`);
  } else {
    assertNotEquals(r.code, 0, `${op} ${dev} should be denied`);
    assertStringIncludes(r.stderr, EPERM_TEXT, `${op} ${dev}`);
  }
}

// The ids of the BPF_CGROUP_DEVICE programs attached to a cgroup, read with bpf(2)
// through libc (bpftool is not part of Debian's base system).
const SYS_BPF = 321; // x86_64
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;

const LIBC_SYMBOLS = {
  syscall: { parameters: ["i64", "i64", "buffer", "i64"], result: "i64" },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;
let libc: Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"] | undefined;

function bpf(cmd: number, attr: Uint8Array<ArrayBuffer>): number {
  libc ??= Deno.dlopen("libc.so.6", LIBC_SYMBOLS).symbols;
  const r = Number(libc.syscall(BigInt(SYS_BPF), BigInt(cmd), attr, BigInt(attr.length)));
  if (r < 0) {
    const errno = new Deno.UnsafePointerView(libc.__errno_location()!).getInt32();
    throw new Error(`bpf(${cmd}): errno ${errno}`);
  }
  return r;
}

function address(buffer: Uint8Array<ArrayBuffer> | Uint32Array<ArrayBuffer>): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
}

function attachedPrograms(cgroupFd: number): number[] {
  const ids = new Uint32Array(64);
  const attr = new Uint8Array(128);
  const view = new DataView(attr.buffer);
  view.setUint32(0, cgroupFd, true); // query.target_fd
  view.setUint32(4, BPF_CGROUP_DEVICE, true); // query.attach_type
  view.setBigUint64(16, address(ids), true); // query.prog_ids
  view.setUint32(24, ids.length, true); // query.prog_cnt
  bpf(BPF_PROG_QUERY, attr);
  return [...ids.subarray(0, view.getUint32(24, true))];
}

/** Attach an allow-everything program of someone else's beside the cgroup's own. */
function attachForeignProgram(cgroupFd: number): void {
  // r0 = 1; exit
  const insns = new Uint8Array([0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  const license = new TextEncoder().encode("GPL\0") as Uint8Array<ArrayBuffer>;
  const load = new Uint8Array(128);
  let view = new DataView(load.buffer);
  view.setUint32(0, BPF_PROG_TYPE_CGROUP_DEVICE, true); // prog_type
  view.setUint32(4, 2, true); // insn_cnt
  view.setBigUint64(8, address(insns), true); // insns
  view.setBigUint64(16, address(license), true); // license
  const progFd = bpf(BPF_PROG_LOAD, load);
  try {
    const attach = new Uint8Array(128);
    view = new DataView(attach.buffer);
    view.setUint32(0, cgroupFd, true); // target_fd
    view.setUint32(4, progFd, true); // attach_bpf_fd
    view.setUint32(8, BPF_CGROUP_DEVICE, true); // attach_type
    view.setUint32(12, BPF_F_ALLOW_MULTI, true); // attach_flags
    bpf(BPF_PROG_ATTACH, attach);
  } finally {
    close(progFd);
  }
}

Deno.test("packDeviceRules() packs type, major, minor, access bits and allow as int32s", () => {
  const packed = packDeviceRules([
    DENY_ALL,
    rule("c", 1, 3, "rwm", true),
    rule("b", 8, -1, "r", true),
    rule("c", -1, -1, "mw", false),
  ]);
  // 'a' 97, 'b' 98, 'c' 99; access bits m 1, r 2, w 4 (BPF_DEVCG_ACC_*)
  assertEquals([...packed], [
    ...[97, -1, -1, 7, 0],
    ...[99, 1, 3, 7, 1],
    ...[98, 8, -1, 2, 1],
    ...[99, -1, -1, 5, 0],
  ]);
});

Deno.test("packDeviceRules() refuses an access letter other than r, w, m", () => {
  let error: unknown;
  try {
    packDeviceRules([rule("c", 1, 3, "rx", true)]);
  } catch (e) {
    error = e;
  }
  assert(error instanceof TsruncError, "expected a TsruncError");
  assertEquals(error.message, 'device rule 0: unknown access "x"');
});

Deno.test({
  name: "deny-all then allow /dev/null: /dev/null is read and written, /dev/zero is not",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      bpfDevices(fd, [DENY_ALL, rule("c", 1, 3, "rwm", true)]);
      await expect(cg, "read", "/dev/null", true);
      await expect(cg, "write", "/dev/null", true);
      await expect(cg, "readWrite", "/dev/null", true);
      await expect(cg, "read", "/dev/zero", false);
      await expect(cg, "write", "/dev/zero", false);
      const r = await runIn(cg, ["head", "-c1", "/dev/zero"]);
      assertStringIncludes(r.stderr, "/dev/zero");
      assertEquals(attachedPrograms(fd).length, 1);
    }),
});

Deno.test({
  name: "no rules at all deny every device",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      bpfDevices(fd, []);
      await expect(cg, "read", "/dev/null", false);
    }),
});

Deno.test({
  name: "'c *:* m' lets any char device node be made, not read",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      const dir = Deno.makeTempDirSync({ prefix: "tsrunc-devices-" });
      try {
        bpfDevices(fd, [DENY_ALL]);
        let r = await runIn(cg, ["mknod", `${dir}/denied`, "c", "1", "5"]);
        assertNotEquals(r.code, 0, "mknod under deny-all");
        assertStringIncludes(r.stderr, EPERM_TEXT);

        bpfDevices(fd, [DENY_ALL, rule("c", -1, -1, "m", true)]);
        r = await runIn(cg, ["mknod", `${dir}/zero`, "c", "1", "5"]);
        assertEquals(r.code, 0, `mknod c 1 5: ${r.stderr}`);
        assertEquals(Deno.statSync(`${dir}/zero`).isCharDevice, true);
        await expect(cg, "read", `${dir}/zero`, false);
        r = await runIn(cg, ["mknod", `${dir}/block`, "b", "7", "0"]);
        assertNotEquals(r.code, 0, "mknod of a block device");
        assertStringIncludes(r.stderr, EPERM_TEXT);
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    }),
});

Deno.test({
  name: "a later rule on the same device overrides an earlier one, access by access",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      bpfDevices(fd, [DENY_ALL, rule("c", 1, 5, "rwm", true), rule("c", 1, 5, "r", false)]);
      await expect(cg, "read", "/dev/zero", false);
      await expect(cg, "write", "/dev/zero", true);
      await expect(cg, "readWrite", "/dev/zero", false);

      bpfDevices(fd, [DENY_ALL, rule("c", 1, 5, "rwm", false), rule("c", 1, 5, "r", true)]);
      await expect(cg, "read", "/dev/zero", true);
      await expect(cg, "write", "/dev/zero", false);

      // allows for one device add up: r and w from two rules make an O_RDWR open work
      bpfDevices(fd, [DENY_ALL, rule("c", 1, 5, "r", true), rule("c", 1, 5, "w", true)]);
      await expect(cg, "readWrite", "/dev/zero", true);
    }),
});

Deno.test({
  name: "an 'a' rule forgets every earlier rule and sets the default",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      bpfDevices(fd, [rule("c", 1, 3, "rwm", true), DENY_ALL]);
      await expect(cg, "read", "/dev/null", false);

      bpfDevices(fd, [DENY_ALL, rule("c", 1, 3, "rwm", false), ALLOW_ALL]);
      await expect(cg, "read", "/dev/null", true);
      await expect(cg, "read", "/dev/zero", true);
    }),
});

Deno.test({
  name: "after allow-all, a deny rule stops any access it names, O_RDWR opens too",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      bpfDevices(fd, [ALLOW_ALL, rule("c", 1, 5, "w", false)]);
      await expect(cg, "read", "/dev/zero", true);
      await expect(cg, "write", "/dev/zero", false);
      // cgroup v1 denies an open that asks for any denied access (runc's v2 program would
      // let this one through)
      await expect(cg, "readWrite", "/dev/zero", false);
      await expect(cg, "readWrite", "/dev/null", true);
    }),
});

Deno.test({
  name: "a deny on a wider wildcard leaves an allow of one device alone (runc, cgroup v1)",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      bpfDevices(fd, [DENY_ALL, rule("c", 1, 5, "rwm", true), rule("c", 1, -1, "r", false)]);
      await expect(cg, "read", "/dev/zero", true);
      await expect(cg, "read", "/dev/null", false);
    }),
});

Deno.test({
  name: "punching a hole in a wildcard rule is refused and the filter stays as it was",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      bpfDevices(fd, [DENY_ALL, rule("c", 1, 3, "rwm", true)]);
      const before = attachedPrograms(fd);
      let error: unknown;
      try {
        bpfDevices(fd, [DENY_ALL, rule("c", 1, -1, "rwm", true), rule("c", 1, 5, "r", false)]);
      } catch (e) {
        error = e;
      }
      assert(error instanceof TsruncError, "expected a TsruncError");
      assertEquals(error.errno, 95);
      assertEquals(error.message, "device rules: cannot punch hole in existing wildcard rule");
      assertEquals(attachedPrograms(fd), before);
      await expect(cg, "read", "/dev/null", true);
      await expect(cg, "read", "/dev/zero", false);
    }),
});

Deno.test({
  name: "a malformed rule fails with EINVAL before anything is loaded",
  ignore,
  fn: () =>
    withCgroup((_cg, fd) => {
      for (const bad of [rule("x" as "c", 1, 3, "r", true), rule("c", -2, 3, "r", true)]) {
        let error: unknown;
        try {
          bpfDevices(fd, [bad]);
        } catch (e) {
          error = e;
        }
        assert(error instanceof TsruncError, "expected a TsruncError");
        assertEquals(error.errno, 22);
      }
      assertEquals(attachedPrograms(fd), []);
      return Promise.resolve();
    }),
});

Deno.test({
  name: "replacing the filter leaves exactly one program attached: the new one",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      assertEquals(attachedPrograms(fd), []);
      bpfDevices(fd, [DENY_ALL]);
      const first = attachedPrograms(fd);
      assertEquals(first.length, 1);

      // had the deny-all program stayed, it would still deny /dev/null
      bpfDevices(fd, [DENY_ALL, rule("c", 1, 3, "rwm", true)]);
      const second = attachedPrograms(fd);
      assertEquals(second.length, 1);
      assertNotEquals(second[0], first[0]);
      await expect(cg, "read", "/dev/null", true);
      await expect(cg, "read", "/dev/zero", false);

      // several programs there (not one to replace): all of them are detached
      attachForeignProgram(fd);
      const crowd = attachedPrograms(fd);
      assertEquals(crowd.length, 2);
      bpfDevices(fd, [DENY_ALL, rule("c", 1, 5, "rwm", true)]);
      const third = attachedPrograms(fd);
      assertEquals(third.length, 1);
      assert(!crowd.includes(third[0]), `${third[0]} was attached before`);
      await expect(cg, "read", "/dev/zero", true);
      await expect(cg, "read", "/dev/null", false);
    }),
});

// A model of the rules' meaning (runc's emulator, cgroup v1's matching), written apart
// from the C, to compare the loaded program's decisions with.
const ACCESS_BITS: Record<string, number> = { m: 1, r: 2, w: 4 };

function bits(access: string): number {
  return [...access].reduce((sum, letter) => sum | ACCESS_BITS[letter], 0);
}

interface Model {
  defaultAllow: boolean;
  exceptions: { type: string; major: number; minor: number; access: number }[];
}

/** The model of rules, or "hole" when they punch a hole in a wildcard rule. */
function model(rules: DeviceRule[]): Model | "hole" {
  const m: Model = { defaultAllow: false, exceptions: [] };
  const find = (type: string, major: number, minor: number) =>
    m.exceptions.find((e) => e.type === type && e.major === major && e.minor === minor);
  for (const r of rules) {
    if (r.type === "a") {
      m.defaultAllow = r.allow;
      m.exceptions = [];
      continue;
    }
    const access = bits(r.access);
    const e = find(r.type, r.major, r.minor);
    if (r.allow !== m.defaultAllow) {
      if (e) e.access |= access;
      else m.exceptions.push({ type: r.type, major: r.major, minor: r.minor, access });
      continue;
    }
    for (const [major, minor] of [[-1, r.minor], [r.major, -1], [-1, -1]]) {
      if (major === r.major && minor === r.minor) continue;
      const wider = find(r.type, major, minor);
      if (wider && (wider.access & access)) return "hole";
    }
    if (e) e.access &= ~access;
    m.exceptions = m.exceptions.filter((x) => x.access !== 0);
  }
  return m;
}

function allows(m: Model, type: string, major: number, minor: number, access: number): boolean {
  for (const e of m.exceptions) {
    if (e.type !== type || (e.major !== -1 && e.major !== major)) continue;
    if (e.minor !== -1 && e.minor !== minor) continue;
    // an allow must cover the whole request; a deny stops any part of it
    if (!m.defaultAllow && (access & ~e.access) === 0) return true;
    if (m.defaultAllow && (access & e.access) !== 0) return false;
  }
  return m.defaultAllow;
}

// Makes device nodes (before joining: no filter yet), joins the cgroup, then tries each
// probe "type:major:minor:mode" and prints 1 (allowed: done, or ENXIO as no driver has
// the major) or 0 (EPERM) for each.
const PROBE_PY = `
import errno, os, stat, sys
cg, tmp, probes = sys.argv[1], sys.argv[2], sys.argv[3:]
def node(kind, major, minor, path):
    kind = stat.S_IFBLK if kind == "b" else stat.S_IFCHR
    os.mknod(path, kind | 0o600, os.makedev(int(major), int(minor)))
for p in probes:
    kind, major, minor, mode = p.split(":")
    path = f"{tmp}/{kind}-{major}-{minor}"
    if not os.path.exists(path):
        node(kind, major, minor, path)
with open(cg + "/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
flags = {"r": os.O_RDONLY, "w": os.O_WRONLY, "rw": os.O_RDWR}
out = ""
for p in probes:
    kind, major, minor, mode = p.split(":")
    try:
        if mode == "m":
            node(kind, major, minor, f"{tmp}/made")
            os.unlink(f"{tmp}/made")
        else:
            os.close(os.open(f"{tmp}/{kind}-{major}-{minor}", flags[mode]))
        out += "1"
    except OSError as e:
        out += {errno.EPERM: "0", errno.ENXIO: "1"}.get(e.errno, f"[{e}]")
print(out)
`;

/** Majors 120-122: "local/experimental use", never handed out to a driver. */
const PROBE_MAJORS = [120, 121, 122];
const PROBE_MINORS = [0, 1, 2];
const PROBE_MODES: [string, number][] = [["r", 2], ["w", 4], ["rw", 6], ["m", 1]];

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test({
  name: "random rule lists: the filter decides every probe as runc's rules mean it",
  ignore,
  fn: () =>
    withCgroup(async (cg, fd) => {
      const devices = Deno.readTextFileSync("/proc/devices");
      for (const major of PROBE_MAJORS) {
        assert(!new RegExp(`^\\s*${major} `, "m").test(devices), `major ${major} is in use`);
      }
      const probes: { spec: string; type: string; major: number; minor: number; access: number }[] =
        [];
      for (const type of ["b", "c"]) {
        for (const major of PROBE_MAJORS) {
          for (const minor of PROBE_MINORS) {
            for (const [mode, access] of PROBE_MODES) {
              probes.push({
                spec: `${type}:${major}:${minor}:${mode}`,
                type,
                major,
                minor,
                access,
              });
            }
          }
        }
      }
      const next = random(20240611);
      const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)];
      let holes = 0;
      for (let round = 0; round < 40; round++) {
        const rules: DeviceRule[] = next() < 0.6 ? [pick([DENY_ALL, ALLOW_ALL])] : [];
        for (let n = 1 + Math.floor(next() * 6); n > 0; n--) {
          const access = pick(["r", "w", "m", "rw", "rm", "wm", "rwm"]);
          if (next() < 0.08) rules.push(rule("a", -1, -1, access, next() < 0.5));
          else {
            const type = pick(["b", "c"] as const);
            const major = pick([-1, 120, 121]);
            rules.push(rule(type, major, pick([-1, 0, 1]), access, next() < 0.5));
          }
        }
        const m = model(rules);
        const what = `round ${round}: ${JSON.stringify(rules)}`;
        if (m === "hole") {
          holes++;
          let error: unknown;
          try {
            bpfDevices(fd, rules);
          } catch (e) {
            error = e;
          }
          assert(error instanceof TsruncError && error.errno === 95, `${what}: not refused`);
          continue;
        }
        bpfDevices(fd, rules);
        const tmp = Deno.makeTempDirSync({ prefix: "tsrunc-devices-" });
        try {
          const out = await new Deno.Command("/usr/bin/python3", {
            args: ["-c", PROBE_PY, cg, tmp, ...probes.map((p) => p.spec)],
            stdin: "null",
          }).output();
          const text = new TextDecoder().decode(out.stdout).trim();
          assertEquals(out.code, 0, `${what}: ${new TextDecoder().decode(out.stderr)}`);
          assertEquals(text.length, probes.length, `${what}: output ${text}`);
          const expected = probes.map((p) => allows(m, p.type, p.major, p.minor, p.access));
          const got = [...text].map((c) => c === "1");
          const wrong = probes.filter((_, i) => got[i] !== expected[i]).map((p) => p.spec);
          assertEquals(wrong, [], `${what}: output ${text}`);
        } finally {
          Deno.removeSync(tmp, { recursive: true });
        }
      }
      assert(holes < 40, "every round punched a hole");
    }),
});

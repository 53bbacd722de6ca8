import { parseConfig, parseProcess, validateConfig } from "../../../../core/spec/validate.ts";
import { TsruncError } from "../../../../base/errors.ts";
import type { OciSpec } from "../../../../core/spec/types.ts";

// Minimal assertions (Deno std is not reachable here, and node:assert needs @types/node).
function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  return keys.length === Object.keys(rb).length &&
    keys.every((k) => Object.hasOwn(rb, k) && equal(ra[k], rb[k]));
}

function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  if (!equal(actual, expected)) {
    throw new Error(
      `${message}\nexpected: ${JSON.stringify(expected)}\n  actual: ${JSON.stringify(actual)}`,
    );
  }
}

function checkError(error: unknown, expected?: string | RegExp): Error {
  assert(error instanceof Error, `not an Error: ${error}`);
  if (typeof expected === "string") assertEquals(error.message, expected);
  if (expected instanceof RegExp) {
    assert(expected.test(error.message), `${error.message} !~ ${expected}`);
  }
  return error;
}

function assertThrows(fn: () => unknown, expected?: string | RegExp): Error {
  try {
    fn();
  } catch (error) {
    return checkError(error, expected);
  }
  throw new Error("expected an error, got none");
}

// The runtime-spec's own test vectors (schema/test/config/{good,bad}), beside the repo.
const VECTORS = new URL(
  "../../../../../shared/oci-runtime-spec/schema/test/config/",
  import.meta.url,
);
const FIXTURES = new URL("./fixtures/", import.meta.url);

function vectors(kind: "good" | "bad"): { name: string; text: string }[] {
  const dir = new URL(`${kind}/`, VECTORS);
  return [...Deno.readDirSync(dir)]
    .filter((entry) => entry.name.endsWith(".json"))
    .map((entry) => ({ name: entry.name, text: Deno.readTextFileSync(new URL(entry.name, dir)) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function runcSpec(rootless = false): OciSpec {
  const name = rootless ? "runc_spec_rootless.json" : "runc_spec.json";
  return JSON.parse(Deno.readTextFileSync(new URL(name, FIXTURES)));
}

/** The message parseConfig() throws for runc's spec changed by `edit`, or "ok". */
function errorFor(edit: (spec: OciSpec) => void, base = runcSpec()): string {
  const spec = structuredClone(base);
  edit(spec);
  try {
    parseConfig(JSON.stringify(spec));
    return "ok";
  } catch (error) {
    assert(error instanceof TsruncError, `not a TsruncError: ${error}`);
    return error.message;
  }
}

// spec-example.json and zos-example.json say "ociVersion": "0.5.0-dev": tsrunc reads
// pre-1.0 versions as 1.0.0 (with a warning), so they are accepted as they are.
Deno.test("parseConfig() accepts every good vector of the runtime-spec", () => {
  const good = vectors("good");
  assert(good.length >= 9, `only ${good.length} good vectors found`);
  for (const { name, text } of good) {
    parseConfig(text, name);
  }
});

Deno.test("parseConfig() rejects every bad vector of the runtime-spec, naming the field", () => {
  const expected: Record<string, RegExp> = {
    "freebsd-vnet-disable.json": /^freebsd-vnet-disable\.json: freebsd\.jail\.vnet: expected one/,
    "invalid-json.json": /^invalid-json\.json: invalid JSON: /,
    "linux-hugepage.json":
      /^linux-hugepage\.json: linux\.resources\.hugepageLimits\[0\]\.pageSize: must match .*, got "64kB"$/,
    "linux-netdevice.json":
      /^linux-netdevice\.json: linux\.netDevices\.eth0\.name: expected string, got number$/,
    "linux-rdma.json":
      /^linux-rdma\.json: linux\.resources\.rdma\.mlx5_1\.hcaHandles: expected number, got string$/,
  };
  const bad = vectors("bad");
  assert(bad.length >= 5, `only ${bad.length} bad vectors found`);
  for (const { name, text } of bad) {
    const error = assertThrows(() => parseConfig(text, name), expected[name]);
    assert(error instanceof TsruncError, name);
  }
});

Deno.test("parseConfig() accepts what `runc spec` and `runc spec --rootless` write", () => {
  for (const name of ["runc_spec.json", "runc_spec_rootless.json"]) {
    const text = Deno.readTextFileSync(new URL(name, FIXTURES));
    const spec = parseConfig(text);
    assertEquals(spec.hostname, "runc");
  }
});

Deno.test("parseConfig() returns the document as read, unknown properties included", () => {
  const spec = runcSpec() as OciSpec & { "org.example/extension": unknown };
  spec["org.example/extension"] = { any: ["thing"] };
  (spec.linux as Record<string, unknown>).futureField = 42;
  assertEquals(parseConfig(JSON.stringify(spec)), spec);
});

Deno.test("parseConfig() reports malformed JSON as invalid JSON", () => {
  assertThrows(() => parseConfig("{]"), /^config\.json: invalid JSON: /);
  assertThrows(() => parseConfig("", "/b/config.json"), /^\/b\/config\.json: invalid JSON: /);
});

Deno.test("parseConfig() names the first wrong field by its JSON path", () => {
  const cases: [(spec: OciSpec) => void, string][] = [
    [(s) => (s.process!.args as unknown) = "sh", "process.args: expected array, got string"],
    [
      (s) => s.linux!.uidMappings = [{ containerID: 0, hostID: 0, size: "1" as unknown as number }],
      "linux.uidMappings[0].size: expected number, got string",
    ],
    [(s) => delete (s as Partial<OciSpec>).ociVersion, "ociVersion: missing"],
    [(s) => (s.root as unknown) = {}, "root.path: missing"],
    [(s) => (s.mounts as unknown) = {}, "mounts: expected array, got object"],
    [(s) => (s.linux as unknown) = [], "linux: expected object, got array"],
    [
      (s) => s.process!.rlimits![0].hard = -1,
      "process.rlimits[0].hard: expected uint64, got -1",
    ],
    [
      (s) => s.process!.user!.uid = 1.5,
      "process.user.uid: expected uint32, got 1.5",
    ],
    [
      (s) => s.process!.rlimits![0].type = "nofile",
      'process.rlimits[0].type: must match /^RLIMIT_[A-Z]+$/, got "nofile"',
    ],
    [
      (s) => s.annotations = { "org.example.key": 5 as unknown as string },
      'annotations["org.example.key"]: expected string, got number',
    ],
    [
      (s) => (s.linux!.namespaces![0].type as string) = "pidns",
      'linux.namespaces[0].type: expected one of "mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time", got "pidns"',
    ],
    [
      (s) => (s.linux!.rootfsPropagation as string) = "recursive",
      'linux.rootfsPropagation: expected one of "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable", got "recursive"',
    ],
    [
      (s) =>
        s.linux!.seccomp = {
          defaultAction: "SCMP_ACT_ERRNO",
          syscalls: [{ names: [], action: "SCMP_ACT_ALLOW" }],
        },
      "linux.seccomp.syscalls[0].names: must be a non-empty array",
    ],
    [
      (s) => s.linux!.devices = [{ path: "/dev/x", type: "z" }],
      'linux.devices[0].type: must match /^[cbup]$/, got "z"',
    ],
    [
      (s) => s.hooks = { poststart: [{ path: "/bin/true", timeout: 0 }] },
      "hooks.poststart[0].timeout: expected integer >= 1, got 0",
    ],
  ];
  for (const [edit, message] of cases) {
    assertEquals(errorFor(edit), `config.json: ${message}`);
  }
});

Deno.test("parseConfig() accepts runtime-spec versions 1.0.0 to 1.3.x, suffixes included", () => {
  for (
    const version of [
      "0.5.0-dev",
      "1.0.0",
      "1.0.2-dev",
      "1.1.0",
      "1.2.0-rc.1",
      "1.3.0",
      "1.3.7+build.1",
    ]
  ) {
    assertEquals(errorFor((s) => s.ociVersion = version), "ok", version);
  }
});

Deno.test("parseConfig() rejects unsupported runtime-spec versions", () => {
  for (const version of ["2.0.0", "0.5", "1.4.0", "1.3", "v1.0.0", ""]) {
    assertEquals(
      errorFor((s) => s.ociVersion = version),
      `config.json: ociVersion: unsupported version ${
        JSON.stringify(version)
      } (tsrunc supports 1.0.0 to 1.3.x)`,
    );
  }
  assertEquals(
    errorFor((s) => (s.ociVersion as unknown) = 1),
    "config.json: ociVersion: expected string, got number",
  );
});

Deno.test("parseConfig() requires root", () => {
  assertEquals(errorFor((s) => delete s.root), "config.json: root: missing");
});

Deno.test("parseConfig() requires non-empty process.args and an absolute cwd", () => {
  assertEquals(
    errorFor((s) => s.process!.args = []),
    "config.json: process.args: must be a non-empty array",
  );
  assertEquals(
    errorFor((s) => delete s.process!.args),
    "config.json: process.args: must be a non-empty array",
  );
  assertEquals(
    errorFor((s) => s.process!.cwd = "work"),
    'config.json: process.cwd: must be an absolute path, got "work"',
  );
  assertEquals(errorFor((s) => delete s.process), "ok");
});

Deno.test("parseConfig() rejects a namespace type listed twice", () => {
  assertEquals(
    errorFor((s) => s.linux!.namespaces!.push({ type: "pid", path: "/proc/1/ns/pid" })),
    'config.json: linux.namespaces[5].type: duplicate namespace "pid"',
  );
  assertEquals(
    errorFor((s) =>
      s.linux!.namespaces = [{ type: "mount" }, { type: "uts" }, { type: "ipc" }, { type: "uts" }]
    ),
    'config.json: linux.namespaces[3].type: duplicate namespace "uts"',
  );
});

Deno.test("parseConfig() requires id mappings for a new user namespace, and vice versa", () => {
  const rootless = runcSpec(true);
  assertEquals(
    errorFor((s) => delete s.linux!.uidMappings, rootless),
    "config.json: linux.uidMappings: user namespace enabled, but no uid mappings found",
  );
  assertEquals(
    errorFor((s) => s.linux!.gidMappings = [], rootless),
    "config.json: linux.gidMappings: user namespace enabled, but no gid mappings found",
  );
  assertEquals(
    errorFor((s) => s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]),
    "config.json: linux.uidMappings: uid mappings specified, but no user namespace in linux.namespaces",
  );
  // Joining an existing user namespace needs no mappings: it has them already.
  assertEquals(
    errorFor((s) => {
      delete s.linux!.uidMappings;
      delete s.linux!.gidMappings;
      s.linux!.namespaces!.find((ns) => ns.type === "user")!.path = "/proc/1/ns/user";
    }, rootless),
    "ok",
  );
});

Deno.test("parseConfig() requires a new time namespace for time offsets", () => {
  const offsets = { monotonic: { secs: 10 }, boottime: { secs: -5, nanosecs: 1 } };
  assertEquals(
    errorFor((s) => s.linux!.timeOffsets = offsets),
    "config.json: linux.timeOffsets: time offsets specified, but no time namespace in linux.namespaces",
  );
  assertEquals(
    errorFor((s) => {
      s.linux!.timeOffsets = offsets;
      s.linux!.namespaces!.push({ type: "time" });
    }),
    "ok",
  );
  assertEquals(
    errorFor((s) => {
      s.linux!.timeOffsets = offsets;
      s.linux!.namespaces!.push({ type: "time", path: "/proc/1/ns/time" });
    }),
    "config.json: linux.timeOffsets: time offsets cannot be set when joining an existing time namespace (linux.namespaces[5].path)",
  );
});

Deno.test("parseConfig() accepts a relative mount destination with a warning, as runc 1.1", () => {
  const spec = runcSpec();
  spec.mounts![0].destination = "proc";
  const warnings: string[] = [];
  parseConfig(JSON.stringify(spec), "config.json", { warn: (m) => warnings.push(m) });
  assertEquals(warnings, [
    'config.json: mounts[0].destination: "proc" is not absolute: taken as "/proc" (relative mount destinations are deprecated)',
  ]);
  assertEquals(
    errorFor((s) => s.mounts![1].destination = ""),
    "config.json: mounts[1].destination: must not be empty",
  );
});

Deno.test("parseConfig() accepts uint64 limits at their maximum (RLIM_INFINITY)", () => {
  const text = JSON.stringify(runcSpec()).replace('"hard":1024', '"hard":18446744073709551615');
  assertEquals(parseConfig(text).process!.rlimits![0].hard, 2 ** 64);
});

Deno.test("parseConfig() accepts other platforms' sections without checking them deeply", () => {
  assertEquals(
    errorFor((s) => {
      s.windows = { layerFolders: ["C:\\layers"], anything: { goes: true } };
      s.vm = { hypervisor: { path: "/usr/bin/qemu" } };
      s.solaris = { milestone: "svc:/milestone/container:default" };
    }),
    "ok",
  );
  assertEquals(
    errorFor((s) => (s.windows as unknown) = "yes"),
    "config.json: windows: expected object, got string",
  );
});

Deno.test("validateConfig() checks an already parsed document", () => {
  assertEquals(validateConfig(runcSpec()).hostname, "runc");
  assertThrows(() => validateConfig([], "state.json"), "state.json: expected object, got array");
});

Deno.test("parseProcess() validates an `exec --process` file", () => {
  const process = runcSpec().process!;
  assertEquals(parseProcess(JSON.stringify(process)), process);
  assertThrows(
    () => parseProcess(JSON.stringify({ ...process, args: [] })),
    "process.json: args: must be a non-empty array",
  );
  assertThrows(
    () => parseProcess(JSON.stringify({ args: ["sh"] }), "p.json"),
    "p.json: cwd: missing",
  );
});

Deno.test("parseConfig() reads a null member as the member absent, as Go does", () => {
  const spec = runcSpec() as unknown as Record<string, unknown>;
  const process = spec.process as Record<string, unknown>;
  const linux = spec.linux as Record<string, unknown>;
  spec.hostname = null;
  spec.hooks = { prestart: null, poststop: null };
  process.terminal = null;
  process.rlimits = null;
  linux.maskedPaths = null;
  linux.sysctl = null;
  linux.seccomp = null;
  linux.resources = { memory: null, devices: null };
  (spec.mounts as Record<string, unknown>[])[0].options = null;
  const parsed = parseConfig(JSON.stringify(spec));
  assertEquals(parsed.hostname, undefined);
  assertEquals(parsed.hooks, {});
  assert(!("terminal" in parsed.process!) && !("rlimits" in parsed.process!));
  assert(!("maskedPaths" in parsed.linux!) && !("seccomp" in parsed.linux!));
  assertEquals(parsed.linux!.resources, {});
  assert(!("options" in parsed.mounts![0]));
  // Still required where it is required.
  assertThrows(
    () => parseConfig(JSON.stringify({ ...spec, ociVersion: null })),
    /ociVersion: missing/,
  );
});

Deno.test("parseConfig() refuses a NUL byte in any string or key, naming where", () => {
  const cases: [(spec: OciSpec) => void, string][] = [
    [(s) => s.process!.env!.push("FOO=bar\0BAZ=evil"), "process.env[2]: contains a NUL byte"],
    [(s) => s.process!.args![0] = "s\0h", "process.args[0]: contains a NUL byte"],
    [(s) => s.mounts![0].source = "pr\0oc", "mounts[0].source: contains a NUL byte"],
    [(s) => s.annotations = { "a\0b": "x" }, 'annotations["a\\u0000b"]: contains a NUL byte'],
    [
      (s) => s.linux!.devices = [{ path: "/dev/a\0b", type: "c", major: 1, minor: 3 }],
      "linux.devices[0].path: contains a NUL byte",
    ],
  ];
  for (const [edit, expected] of cases) {
    assertEquals(errorFor(edit), `config.json: ${expected}`);
  }
  assertThrows(
    () => parseProcess(JSON.stringify({ args: ["x\0"], cwd: "/" })),
    "process.json: args[0]: contains a NUL byte",
  );
});

Deno.test("parseConfig() names a byte order mark, UTF-16, and keeps a JSON error on one line", () => {
  assertThrows(() => parseConfig("\uFEFF{}"), /invalid JSON: it starts with a byte order mark/);
  assertThrows(() => parseConfig("\uFFFD\uFFFD{\0}\0"), /invalid JSON: it looks like UTF-16/);
  assertThrows(() => parseConfig('{\0"\0'), /invalid JSON: it looks like UTF-16/);
  const error = assertThrows(() => parseConfig('{\n "a": tru\n}'), /^config\.json: invalid JSON: /);
  assert(!error.message.includes("\n"), JSON.stringify(error.message));
});

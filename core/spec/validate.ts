/**
 * Validation of config.json (and of `exec --process` files) against the OCI runtime-spec
 * v1.3.0 JSON schema; the checks runc makes that the schema cannot express are in
 * semantics.ts, called from here.
 *
 * The schema (written in _schema.ts's zod-like vocabulary: see there why not zod/mini
 * itself) mirrors `schema/config-schema.json`, `config-linux.json`, `defs.json` and
 * `defs-linux.json`: the same required fields, integer ranges, enums and patterns. Like the JSON schema, every object accepts unknown extra properties, and the
 * parsed document is returned as it was read (nothing stripped, nothing defaulted).
 * Platform sections tsrunc does not run (`solaris`, `windows`, `vm`) only have to be
 * objects; `freebsd` and `zos` are small and checked as their schemas say, so that the
 * spec's `test/config/bad` vectors are all rejected.
 *
 * Errors name the first problem with its JSON path, one line:
 * `config.json: linux.uidMappings[0].size: expected number, got string`.
 *
 * The schema is built on first use and kept: nothing runs at import time.
 */

import {
  array,
  boolean,
  enumOf,
  type Infer,
  integer,
  object,
  optional,
  type Path,
  type Problem,
  record,
  string,
} from "./_schema.ts";
import { TsruncError } from "../../base/errors.ts";
import { checkProcess, checkSemantics } from "./semantics.ts";
import type { LinuxResources, OciSpec, Process } from "./types.ts";

/** Options of parseConfig() and parseProcess(). */
export interface ParseConfigOptions {
  /**
   * Receives each warning about a construct that is deprecated but still accepted (as
   * runc accepts it), e.g. a relative mount destination. Default: warnings are dropped.
   */
  warn?: (message: string) => void;
}

/** linux.seccomp.architectures: every value the runtime-spec (defs-linux.json) names. */
export const SECCOMP_ARCHITECTURES = [
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_SH",
  "SCMP_ARCH_SHEB",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",
] as const;

/** ociVersion values tsrunc accepts: 1.0.0 to 1.3.x, with any pre-release/build suffix. */
const SUPPORTED_VERSION = /^1\.[0-3]\.(0|[1-9][0-9]*)([-+].*)?$/;

/**
 * Parse and validate a config.json document.
 * @param text the file's contents
 * @param source the name errors start with
 * @param options where warnings go
 * @returns the document, typed
 * @throws TsruncError naming the first problem and its JSON path
 */
export function parseConfig(
  text: string,
  source = "config.json",
  options: ParseConfigOptions = {},
): OciSpec {
  const value = parseJson(text, source);
  return validateConfig(value, source, options);
}

/**
 * Validate an already parsed config.json document (see parseConfig()).
 * @param value the parsed JSON
 * @param source the name errors start with
 * @param options where warnings go
 */
export function validateConfig(
  value: unknown,
  source = "config.json",
  options: ParseConfigOptions = {},
): OciSpec {
  // The version first: a config for another major version would otherwise be reported
  // by whichever field happened to change, which hides the real problem.
  asGoReadsIt(value, [], source);
  if (isObject(value) && typeof value.ociVersion === "string") {
    checkVersion(value.ociVersion, source, options);
  }
  const problem = schemas().config.test(value, []);
  if (problem) fail(problem, source);
  const spec = value as OciSpec;
  checkSemantics(spec, source, options);
  return spec;
}

/**
 * Parse and validate a process.json document (`exec --process`): the `process` object of
 * config.json on its own.
 * @param text the file's contents
 * @param source the name errors start with
 */
export function parseProcess(text: string, source = "process.json"): Process {
  const value = asGoReadsIt(parseJson(text, source), [], source);
  const problem = schemas().process.test(value, []);
  if (problem) fail(problem, source);
  const process = value as Process;
  checkProcess(process, "", source);
  return process;
}

/**
 * Parse and validate a LinuxResources document (`update -r`).
 * @param text the document
 * @param source the name errors start with
 */
export function parseResources(text: string, source: string): LinuxResources {
  const value = asGoReadsIt(parseJson(text, source), [], source);
  const problem = schemas().resources.test(value, []);
  if (problem) fail(problem, source);
  return value as LinuxResources;
}

function parseJson(text: string, source: string): unknown {
  // Go's decoder takes neither (runc: "invalid character 'ï'"); say what the file is.
  if (text.startsWith("\uFEFF")) {
    throw new TsruncError(
      `${source}: invalid JSON: it starts with a byte order mark (save it as UTF-8 without one)`,
    );
  }
  if (/^(\uFFFD\uFFFD|[^\0]?\0[^\0]\0)/.test(text)) {
    throw new TsruncError(`${source}: invalid JSON: it looks like UTF-16 (save it as UTF-8)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // One line: V8 quotes the text around the error, newlines and all.
    const reason = (error instanceof Error ? error.message : String(error)).replace(
      /[\n\r\t]/g,
      (c) => JSON.stringify(c).slice(1, -1),
    );
    throw new TsruncError(`${source}: invalid JSON: ${reason}`, { cause: error });
  }
  return value;
}

/**
 * The document as runc's Go decoding sees it, before any check: a `null` member is the
 * member absent (Go leaves the field unset), and no string, nor any key, may hold a NUL
 * byte: C cuts a string there, so `FOO=bar\0BAZ=evil` would reach the container as
 * `FOO=bar` (and a device path `a\0b` would make `/a`).
 */
function asGoReadsIt(value: unknown, path: Path, source: string): unknown {
  // One path array, pushed and popped: a big seccomp profile has tens of thousands of
  // strings, and this runs on every create.
  if (typeof value === "string") {
    if (value.includes("\0")) fail({ path: [...path], message: "contains a NUL byte" }, source);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      asGoReadsIt(value[i], path, source);
      path.pop();
    }
  } else if (isObject(value)) {
    for (const key in value) {
      path.push(key);
      if (key.includes("\0")) fail({ path: [...path], message: "contains a NUL byte" }, source);
      if (value[key] === null) delete value[key];
      else asGoReadsIt(value[key], path, source);
      path.pop();
    }
  }
  return value;
}

/** Pre-1.0 versions (0.5.0-dev in the runtime-spec's own examples) are read as 1.0. */
const PRE_1_0_VERSION = /^0\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([-+].*)?$/;

function checkVersion(version: string, source: string, options: ParseConfigOptions): void {
  if (PRE_1_0_VERSION.test(version)) {
    options.warn?.(`${source}: ociVersion: ${version} predates 1.0.0: read as 1.0.0`);
    return;
  }
  if (!SUPPORTED_VERSION.test(version)) {
    throw new TsruncError(
      `${source}: ociVersion: unsupported version ${
        JSON.stringify(version)
      } (tsrunc supports 1.0.0 to 1.3.x)`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// Error formatting.

function fail(problem: Problem, source: string): never {
  const path = formatPath(problem.path);
  throw new TsruncError(
    path === "" ? `${source}: ${problem.message}` : `${source}: ${path}: ${problem.message}`,
  );
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `linux.uidMappings[0].size`, `annotations["org.example.key"]`. */
function formatPath(path: Path): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (IDENTIFIER.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------
// The schema, built once, on first use.

let cache: ReturnType<typeof buildSchemas> | undefined;

function schemas(): ReturnType<typeof buildSchemas> {
  return cache ??= buildSchemas();
}

function buildSchemas() {
  const opt = optional;
  const obj = object;
  const str = string();
  const bool = boolean();
  const strings = array(str);
  const int32 = integer("int32", -2147483648, 2147483647);
  const int64 = integer("int64", -9223372036854775808, 9223372036854775807);
  const uint8 = integer("uint8", 0, 255);
  const uint16 = integer("uint16", 0, 65535);
  const uint32 = integer("uint32", 0, 4294967295);
  const uint64 = integer("uint64", 0, 18446744073709551615);
  const integerAny = integer("integer", -Infinity, Infinity);
  const fileMode = integer("file mode (0 to 511)", 0, 511);
  const mapStringString = record(str);

  const idMapping = obj({ containerID: uint32, hostID: uint32, size: uint32 });
  const idMappings = array(idMapping);

  const mount = obj({
    destination: str,
    source: opt(str),
    options: opt(strings),
    type: opt(str),
    uidMappings: opt(idMappings),
    gidMappings: opt(idMappings),
  });

  const hook = obj({
    path: str,
    args: opt(strings),
    env: opt(strings),
    timeout: opt(integer("integer >= 1", 1, Infinity)),
  });
  const hooks = array(hook);

  const process = obj({
    args: opt(strings),
    commandLine: opt(str),
    consoleSize: opt(obj({ height: uint64, width: uint64 })),
    cwd: str,
    env: opt(strings),
    terminal: opt(bool),
    user: opt(obj({
      uid: opt(uint32),
      gid: opt(uint32),
      umask: opt(uint32),
      additionalGids: opt(array(uint32)),
      username: opt(str),
    })),
    capabilities: opt(obj({
      bounding: opt(strings),
      permitted: opt(strings),
      effective: opt(strings),
      inheritable: opt(strings),
      ambient: opt(strings),
    })),
    apparmorProfile: opt(str),
    oomScoreAdj: opt(integerAny),
    selinuxLabel: opt(str),
    ioPriority: opt(obj({
      class: enumOf(["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"]),
      priority: opt(int32),
    })),
    noNewPrivileges: opt(bool),
    scheduler: opt(obj({
      policy: enumOf([
        "SCHED_OTHER",
        "SCHED_FIFO",
        "SCHED_RR",
        "SCHED_BATCH",
        "SCHED_ISO",
        "SCHED_IDLE",
        "SCHED_DEADLINE",
      ]),
      nice: opt(int32),
      priority: opt(int32),
      flags: opt(array(enumOf([
        "SCHED_FLAG_RESET_ON_FORK",
        "SCHED_FLAG_RECLAIM",
        "SCHED_FLAG_DL_OVERRUN",
        "SCHED_FLAG_KEEP_POLICY",
        "SCHED_FLAG_KEEP_PARAMS",
        "SCHED_FLAG_UTIL_CLAMP_MIN",
        "SCHED_FLAG_UTIL_CLAMP_MAX",
      ]))),
      runtime: opt(uint64),
      deadline: opt(uint64),
      period: opt(uint64),
    })),
    rlimits: opt(array(obj({
      type: string(/^RLIMIT_[A-Z]+$/),
      soft: uint64,
      hard: uint64,
    }))),
    execCPUAffinity: opt(obj({
      initial: opt(string(/^[0-9, -]*$/)),
      final: opt(string(/^[0-9, -]*$/)),
    })),
  });

  const major = int64;
  const minor = int64;
  const weight = uint16;
  const throttle = array(obj({ major, minor, rate: opt(uint64) }));
  const seccompAction = enumOf([
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
  ]);
  const timeOffset = obj({ secs: opt(int64), nanosecs: opt(uint32) });

  const resources = obj({
    unified: opt(mapStringString),
    devices: opt(array(obj({
      allow: bool,
      type: opt(str),
      major: opt(major),
      minor: opt(minor),
      access: opt(str),
    }))),
    pids: opt(obj({ limit: int64 })),
    blockIO: opt(obj({
      weight: opt(weight),
      leafWeight: opt(weight),
      throttleReadBpsDevice: opt(throttle),
      throttleWriteBpsDevice: opt(throttle),
      throttleReadIOPSDevice: opt(throttle),
      throttleWriteIOPSDevice: opt(throttle),
      weightDevice: opt(array(obj({
        major,
        minor,
        weight: opt(weight),
        leafWeight: opt(weight),
      }))),
    })),
    cpu: opt(obj({
      cpus: opt(str),
      mems: opt(str),
      period: opt(uint64),
      quota: opt(int64),
      burst: opt(uint64),
      realtimePeriod: opt(uint64),
      realtimeRuntime: opt(int64),
      shares: opt(uint64),
      idle: opt(int64),
    })),
    hugepageLimits: opt(array(obj({
      pageSize: string(/^[1-9][0-9]*[KMG]B$/),
      limit: uint64,
    }))),
    memory: opt(obj({
      kernel: opt(int64),
      kernelTCP: opt(int64),
      limit: opt(int64),
      reservation: opt(int64),
      swap: opt(int64),
      swappiness: opt(uint64),
      disableOOMKiller: opt(bool),
      useHierarchy: opt(bool),
      checkBeforeUpdate: opt(bool),
    })),
    network: opt(obj({
      classID: opt(uint32),
      priorities: opt(array(obj({ name: str, priority: uint32 }))),
    })),
    rdma: opt(record(obj({ hcaHandles: opt(uint32), hcaObjects: opt(uint32) }))),
  });

  const linux = obj({
    devices: opt(array(obj({
      type: string(/^[cbup]$/),
      path: str,
      fileMode: opt(fileMode),
      major: opt(major),
      minor: opt(minor),
      uid: opt(uint32),
      gid: opt(uint32),
    }))),
    netDevices: opt(record(obj({ name: opt(str) }))),
    uidMappings: opt(idMappings),
    gidMappings: opt(idMappings),
    namespaces: opt(array(obj({
      type: enumOf(["mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time"]),
      path: opt(str),
    }))),
    resources: opt(resources),
    cgroupsPath: opt(str),
    rootfsPropagation: opt(
      enumOf([
        "private",
        "rprivate",
        "shared",
        "rshared",
        "slave",
        "rslave",
        "unbindable",
        "runbindable",
      ]),
    ),
    seccomp: opt(obj({
      defaultAction: seccompAction,
      defaultErrnoRet: opt(uint32),
      flags: opt(array(enumOf([
        "SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
      ]))),
      listenerPath: opt(str),
      listenerMetadata: opt(str),
      architectures: opt(array(enumOf(SECCOMP_ARCHITECTURES))),
      syscalls: opt(array(obj({
        names: array(str, { nonEmpty: true }),
        action: seccompAction,
        errnoRet: opt(uint32),
        args: opt(array(obj({
          index: uint32,
          value: uint64,
          valueTwo: opt(uint64),
          op: enumOf([
            "SCMP_CMP_NE",
            "SCMP_CMP_LT",
            "SCMP_CMP_LE",
            "SCMP_CMP_EQ",
            "SCMP_CMP_GE",
            "SCMP_CMP_GT",
            "SCMP_CMP_MASKED_EQ",
          ]),
        }))),
      }))),
    })),
    sysctl: opt(mapStringString),
    maskedPaths: opt(strings),
    readonlyPaths: opt(strings),
    mountLabel: opt(str),
    intelRdt: opt(obj({
      closID: opt(str),
      schemata: opt(strings),
      l3CacheSchema: opt(str),
      memBwSchema: opt(string(/^MB:[^\n]*$/)),
      enableMonitoring: opt(bool),
    })),
    memoryPolicy: opt(obj({
      mode: opt(enumOf([
        "MPOL_DEFAULT",
        "MPOL_BIND",
        "MPOL_INTERLEAVE",
        "MPOL_WEIGHTED_INTERLEAVE",
        "MPOL_PREFERRED",
        "MPOL_PREFERRED_MANY",
        "MPOL_LOCAL",
      ])),
      nodes: opt(str),
      flags: opt(array(enumOf([
        "MPOL_F_NUMA_BALANCING",
        "MPOL_F_RELATIVE_NODES",
        "MPOL_F_STATIC_NODES",
      ]))),
    })),
    personality: opt(obj({
      domain: opt(enumOf(["LINUX", "LINUX32"])),
      flags: opt(strings),
    })),
    timeOffsets: opt(obj({ boottime: opt(timeOffset), monotonic: opt(timeOffset) })),
  });

  // Other platforms: never run by tsrunc, checked only as far as cheap (config-freebsd.json
  // and config-zos.json; solaris, windows and vm only have to be objects).
  const sharingMode = enumOf(["disable", "new", "inherit"]);
  const sharingModeNoDisable = enumOf(["new", "inherit"]);
  const freebsd = obj({
    devices: opt(array(obj({ path: opt(str), mode: opt(fileMode) }))),
    jail: opt(obj({
      parent: opt(str),
      host: opt(sharingModeNoDisable),
      ip4: opt(sharingMode),
      ip4Addr: opt(strings),
      ip6: opt(sharingMode),
      ip6Addr: opt(strings),
      vnet: opt(sharingModeNoDisable),
      interface: opt(str),
      vnetInterfaces: opt(strings),
      sysvmsg: opt(sharingMode),
      sysvsem: opt(sharingMode),
      sysvshm: opt(sharingMode),
      enforceStatfs: opt(uint8),
      allow: opt(obj({
        setHostname: opt(bool),
        rawSockets: opt(bool),
        chflags: opt(bool),
        mount: opt(strings),
        quotas: opt(bool),
        socketAf: opt(bool),
        mlock: opt(bool),
        reservedPorts: opt(bool),
        suser: opt(bool),
      })),
    })),
  });
  const zos = obj({
    namespaces: opt(array(obj({
      type: enumOf(["mount", "pid", "uts", "ipc"]),
      path: opt(str),
    }))),
  });
  const anyObject = obj({});

  const config = obj({
    ociVersion: str,
    hooks: opt(obj({
      prestart: opt(hooks),
      createRuntime: opt(hooks),
      createContainer: opt(hooks),
      startContainer: opt(hooks),
      poststart: opt(hooks),
      poststop: opt(hooks),
    })),
    annotations: opt(mapStringString),
    hostname: opt(str),
    domainname: opt(str),
    mounts: opt(array(mount)),
    root: opt(obj({ path: str, readonly: opt(bool) })),
    process: opt(process),
    linux: opt(linux),
    solaris: opt(anyObject),
    windows: opt(anyObject),
    vm: opt(anyObject),
    zos: opt(zos),
    freebsd: opt(freebsd),
  });
  return { config, process, resources };
}

/** Compile-time check that the schema and types.ts describe the same document. */
type AssertAssignable<T extends U, U> = T;
type SchemaMatchesTypes = AssertAssignable<
  Infer<ReturnType<typeof buildSchemas>["config"]>,
  OciSpec
>;

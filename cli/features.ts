/**
 * tsrunc features: runtime-spec's features.json — exactly what this build implements
 * (and, for the LSMs, what this host has enabled).
 */
import type { CommandContext } from "./commands.ts";
import { writeOut } from "./output.ts";
import { knownMountOptions } from "../core/plan/mount_options.ts";
import { SECCOMP_FLAG_BITS, SUPPORTED_FLAGS, supportedArchs } from "../core/plan/seccomp.ts";
import { CAPABILITIES, NAMESPACE_FLAGS } from "../core/plan/tables.ts";
import { hostLsm } from "../core/lifecycle/host_facts.ts";
import { OCI_VERSION } from "../core/state/oci_state.ts";
import { buildInfo, VERSION } from "./version.ts";

const SECCOMP_ACTIONS = [
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_LOG",
  "SCMP_ACT_NOTIFY",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_TRAP",
];
const SECCOMP_OPERATORS = [
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_LE",
  "SCMP_CMP_LT",
  "SCMP_CMP_MASKED_EQ",
  "SCMP_CMP_NE",
];

/** The features document. */
export function features(): Record<string, unknown> {
  const lsm = hostLsm();
  const knownFlags = Object.keys(SECCOMP_FLAG_BITS);
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: OCI_VERSION,
    hooks: [
      "prestart",
      "createRuntime",
      "createContainer",
      "startContainer",
      "poststart",
      "poststop",
    ],
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: Object.keys(NAMESPACE_FLAGS),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: true, rdma: true },
      seccomp: {
        enabled: true,
        actions: SECCOMP_ACTIONS,
        operators: SECCOMP_OPERATORS,
        archs: supportedArchs(),
        knownFlags,
        supportedFlags: SUPPORTED_FLAGS,
      },
      apparmor: { enabled: lsm.apparmor },
      selinux: { enabled: lsm.selinux },
      intelRdt: { enabled: true },
      mountExtensions: { idmap: { enabled: false } },
      netDevices: { enabled: false },
    },
    annotations: {
      "io.github.seccomp.libseccomp.version": buildInfo().libseccomp ?? "unknown",
      "org.opencontainers.runc.checkpoint.enabled": "false",
      "io.github.tsrunc.version": VERSION,
    },
  };
}

/** Run the command. */
export function run(_ctx: CommandContext): Promise<number> {
  writeOut(JSON.stringify(features(), null, "    ") + "\n");
  return Promise.resolve(0);
}

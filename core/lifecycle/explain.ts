/**
 * explain: what `create` would do with this bundle and these flags, in words, without
 * doing any of it. The config is validated and the plan built exactly as create builds
 * them (prepareCreate); then each op is printed with the config.json path it came from,
 * followed by the cgroups, hooks and state create would make. Nothing on the host is
 * written: no state directory, cgroup, mount or process.
 */
import type { CreateOptions } from "./create.ts";
import { prepareCreate } from "./create.ts";
import { describeOp } from "../plan/describe.ts";
import { driverFor } from "../cgroups/driver.ts";
import { rootlessSafeDeviceRules } from "../cgroups/devices.ts";
import type { CgroupRecord } from "../cgroups/record.ts";
import type { HookSpec } from "../state/store.ts";
import type { OciSpec } from "../spec/types.ts";

/** The explanation, as lines of text. */
export function explainCreate(options: CreateOptions): string[] {
  const prepared = prepareCreate(options);
  const { spec, built, cgroups, dir } = prepared;
  const lines = [
    `container ${options.id}: bundle ${prepared.bundle}, rootfs ${prepared.rootfs}`,
    `config.json is valid (ociVersion ${spec.ociVersion ?? "unset"})`,
    ...built.warnings.map((w) => `warning: ${w}`),
    "",
    `the executor's plan, ${built.plan.length} ops (← the config.json path an op comes from):`,
  ];
  const width = String(built.plan.length).length;
  built.plan.forEach((op, i) => {
    const origin = built.origins.get(op);
    const number = String(i + 1).padStart(width + 2);
    lines.push(`${number}  ${describeOp(op)}${origin ? `  ← ${origin}` : ""}`);
  });
  lines.push("", ...cgroupLines(cgroups, spec), "", ...hookLines(spec), "");
  lines.push(
    `state: ${dir.path}/ (state.json, exec.fifo), status "created" once the init waits`,
    "nothing was changed on the host",
  );
  return lines;
}

function cgroupLines(cgroups: CgroupRecord, spec: OciSpec): string[] {
  const entries = Object.entries(cgroups.dirs);
  if (entries.length === 0) return ["cgroups: none"];
  // the device rules as createCgroups gives them (none for a rootless caller)
  const writes = driverFor(cgroups).describeResources(
    spec.linux?.resources ?? {},
    rootlessSafeDeviceRules(spec),
  );
  return [
    `cgroups (v${cgroups.version}; made where missing, the init joins each):`,
    ...entries.map(([key, dir]) => `  ${key || "cgroup2"}: ${dir}`),
    "the writes, in order (linux.resources and the device rules):",
    ...writes.map((w) => `  ${w}`),
  ];
}

/** Where and when each kind of hook runs, in lifecycle order (runtime-spec). */
const HOOK_KINDS: readonly [keyof NonNullable<OciSpec["hooks"]>, string][] = [
  ["prestart", "by tsrunc on the host, after the mounts (deprecated)"],
  ["createRuntime", "by tsrunc on the host, after the mounts"],
  ["createContainer", "by the executor in the container's namespaces, before pivot_root"],
  ["startContainer", "by the init in the container, at start, before execve"],
  ["poststart", "by tsrunc on the host, after start"],
  ["poststop", "by tsrunc on the host, at delete"],
];

function hookLines(spec: OciSpec): string[] {
  const lines: string[] = [];
  for (const [kind, where] of HOOK_KINDS) {
    const hooks: HookSpec[] = spec.hooks?.[kind] ?? [];
    hooks.forEach((hook, i) => {
      const args = (hook.args ?? [hook.path]).join(" ");
      lines.push(`  hooks.${kind}[${i}]: ${hook.path} (${args}) run ${where}`);
    });
  }
  return lines.length ? ["hooks:", ...lines] : ["hooks: none"];
}

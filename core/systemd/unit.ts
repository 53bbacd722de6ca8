/**
 * The systemd cgroup driver's decisions, pure: which transient unit a container gets
 * (runc's docs/systemd.md: cgroupsPath "slice:prefix:name" → unit "prefix-name.scope" in
 * the slice), where its cgroup is, and the unit's properties from linux.resources and
 * `org.systemd.property.*` annotations, with runc's mapping
 * (libcontainer/cgroups/systemd: common.go, v1.go, v2.go). What systemd has no property
 * for is written to the unit's cgroup files afterwards, as runc does.
 */
import { TsruncError } from "../../base/errors.ts";
import type { LinuxResources } from "../spec/types.ts";
import {
  convertBlkioWeightToIoWeight,
  convertCpuSharesToWeight,
  convertMemorySwapToV2,
} from "../cgroups/convert.ts";
import type { DeviceRule } from "../cgroups/devices.ts";
import type { DBusValue, Variant } from "./dbus_wire.ts";

/** A unit property as StartTransientUnit takes it: (name, variant). */
export type Property = [string, Variant];

/** Where a container's unit is. */
export interface UnitPlace {
  /** "system.slice", or the slice asked for. */
  slice: string;
  /** "prefix-name.scope" (or a slice, when the name is one). */
  unit: string;
  /** The unit's cgroup, relative to a hierarchy's root: "/system.slice/tsrunc-c1.scope". */
  cgroup: string;
}

const UINT64_MAX = 18446744073709551615n;

/**
 * cgroupsPath "slice:prefix:name" (each part may be empty but the name) → the unit. With
 * no cgroupsPath: ":tsrunc:ID". A rootless container's default slice is user.slice.
 */
export function placeUnit(
  cgroupsPath: string | undefined,
  id: string,
  rootless = false,
): UnitPlace {
  const path = cgroupsPath || `:tsrunc:${id}`;
  const parts = path.split(":");
  if (parts.length !== 3) {
    throw new TsruncError(
      `config.json: linux.cgroupsPath: "${path}": with --systemd-cgroup it must be slice:prefix:name`,
    );
  }
  const [sliceName, prefix, name] = parts;
  if (!name) {
    throw new TsruncError(`config.json: linux.cgroupsPath: "${path}": the name part is empty`);
  }
  const slice = sliceName || (rootless ? "user.slice" : "system.slice");
  if (!slice.endsWith(".slice") || slice.includes("/")) {
    throw new TsruncError(
      `config.json: linux.cgroupsPath: "${path}": "${slice}" is not a slice name (NAME.slice)`,
    );
  }
  const unit = name.endsWith(".slice") ? name : `${prefix ? `${prefix}-` : ""}${name}.scope`;
  return { slice, unit, cgroup: `${expandSlice(slice)}/${unit}` };
}

/**
 * A slice's cgroup path: systemd nests "a-b-c.slice" as /a.slice/a-b.slice/a-b-c.slice;
 * "-.slice" is the root.
 */
export function expandSlice(slice: string): string {
  if (slice === "-.slice") return "";
  const name = slice.slice(0, -".slice".length);
  if (name.startsWith("-") || name.endsWith("-") || name.includes("--")) {
    throw new TsruncError(`systemd slice "${slice}": invalid name`);
  }
  let path = "";
  let prefix = "";
  for (const part of name.split("-")) {
    prefix = prefix ? `${prefix}-${part}` : part;
    path += `/${prefix}.slice`;
  }
  return path;
}

const t = (value: number | bigint): Variant => ({ sig: "t", value: BigInt(value) });
const b = (value: boolean): Variant => ({ sig: "b", value });
const s = (value: string): Variant => ({ sig: "s", value });

/** The properties every container's unit gets (runc: the scope, delegated, accounted). */
export function baseProperties(
  id: string,
  place: Pick<UnitPlace, "unit" | "slice">,
  pid: number,
  v2: boolean,
): Property[] {
  const props: Property[] = [
    ["Description", s(`tsrunc container ${id}`)],
    ["DefaultDependencies", b(false)],
    ["MemoryAccounting", b(true)],
    ["CPUAccounting", b(true)],
    [v2 ? "IOAccounting" : "BlockIOAccounting", b(true)],
    ["TasksAccounting", b(true)],
  ];
  if (place.unit.endsWith(".scope")) {
    props.push(["Slice", s(place.slice)], ["Delegate", b(true)], ["PIDs", {
      sig: "au",
      value: [pid],
    }]);
  } else {
    // a slice as the container's unit: its parent is the slice given
    props.push(["Wants", s(place.slice)]);
  }
  return props;
}

/** linux.resources as unit properties (runc's genV1/genV2ResourcesProperties). */
export function resourceProperties(r: LinuxResources, v2: boolean): Property[] {
  const props: Property[] = [];
  const memory = r.memory ?? {};
  const limit = memory.limit ?? 0;
  if (limit !== 0) {
    props.push([v2 ? "MemoryMax" : "MemoryLimit", t(limit < 0 ? UINT64_MAX : limit)]);
  }
  if (v2) {
    const low = memory.reservation ?? 0;
    if (low !== 0) props.push(["MemoryLow", t(low < 0 ? UINT64_MAX : low)]);
    const swap = convertMemorySwapToV2(memory.swap ?? 0, limit);
    if (swap !== 0) props.push(["MemorySwapMax", t(swap < 0 ? UINT64_MAX : swap)]);
  }
  const cpu = r.cpu ?? {};
  const shares = cpu.shares ?? 0;
  if (shares !== 0) {
    props.push(v2 ? ["CPUWeight", t(convertCpuSharesToWeight(shares))] : ["CPUShares", t(shares)]);
  }
  props.push(...cpuQuotaProperties(cpu.quota ?? 0, cpu.period ?? 0));
  if (cpu.cpus) props.push(["AllowedCPUs", bitmask(cpu.cpus, "linux.resources.cpu.cpus")]);
  if (cpu.mems) props.push(["AllowedMemoryNodes", bitmask(cpu.mems, "linux.resources.cpu.mems")]);
  const weight = r.blockIO?.weight ?? 0;
  if (weight !== 0) {
    props.push(
      v2 ? ["IOWeight", t(convertBlkioWeightToIoWeight(weight))] : ["BlockIOWeight", t(weight)],
    );
  }
  const pids = r.pids?.limit ?? 0;
  if (pids > 0 || pids === -1) props.push(["TasksMax", t(pids < 0 ? UINT64_MAX : pids)]);
  return props;
}

/**
 * runc's addCpuQuota: CPUQuotaPerSecUSec is the quota per second of wall time, rounded up
 * to systemd's 10 ms; a period alone still sets CPUQuotaPeriodUSec; a quota of -1 (or
 * none with a period) is unlimited.
 */
export function cpuQuotaProperties(quota: number, period: number): Property[] {
  const props: Property[] = [];
  if (period !== 0) props.push(["CPUQuotaPeriodUSec", t(period)]);
  if (quota === 0 && period === 0) return props;
  let perSec = UINT64_MAX;
  if (quota > 0) {
    const p = BigInt(period || 100000);
    perSec = (BigInt(quota) * 1000000n) / p;
    if (perSec % 10000n !== 0n) perSec = (perSec / 10000n + 1n) * 10000n;
  }
  props.push(["CPUQuotaPerSecUSec", t(perSec)]);
  return props;
}

/** A "0-3,7" list as systemd's byte-array bitmask (bit N of byte N/8). */
export function bitmask(list: string, where: string): Variant {
  const bytes: number[] = [];
  for (const part of list.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m || Number(m[2] ?? m[1]) < Number(m[1])) {
      throw new TsruncError(`config.json: ${where}: invalid list "${list}"`);
    }
    for (let n = Number(m[1]); n <= Number(m[2] ?? m[1]); n++) {
      while (bytes.length <= n >> 3) bytes.push(0);
      bytes[n >> 3] |= 1 << (n & 7);
    }
  }
  return { sig: "ay", value: bytes };
}

/**
 * Device rules as DevicePolicy/DeviceAllow (runc's generateDeviceProperties): "strict"
 * plus the allowed devices; a rule for all devices allowing everything is "auto" with no
 * list. Wildcard majors become systemd's "char-*"/"block-*" names; systemd cannot express
 * a denial after an allow-all, so that config is an error, as with runc.
 */
export function deviceProperties(rules: readonly DeviceRule[]): Property[] {
  let allowAll = false;
  let allowed: [string, string][] = [];
  for (const rule of rules) {
    if (rule.type === "a") {
      allowAll = rule.allow;
      allowed = [];
      continue;
    }
    if (!rule.allow) {
      if (allowAll) {
        throw new TsruncError(
          "--systemd-cgroup: a device denial after an allow-all rule cannot be expressed in systemd",
        );
      }
      continue; // the policy denies what is not allowed
    }
    const access = [...rule.access].filter((c) => "rwm".includes(c)).join("");
    if (!access) continue;
    const kind = rule.type === "c" ? "char" : "block";
    if (rule.major < 0) allowed.push([`${kind}-*`, access]);
    else if (rule.minor < 0) allowed.push([`${kind}-${rule.major}`, access]);
    else allowed.push([`/dev/${kind}/${rule.major}:${rule.minor}`, access]);
  }
  if (allowAll) return [["DevicePolicy", s("auto")], ["DeviceAllow", { sig: "a(ss)", value: [] }]];
  return [["DevicePolicy", s("strict")], ["DeviceAllow", { sig: "a(ss)", value: allowed }]];
}

/**
 * `org.systemd.property.NAME` annotations as properties, their values in GVariant text
 * as runc reads them: true/false, 'text' or "text", `uint64 N` (also @t N), `uint32 N`
 * (@u), `int64 N` (@x), a plain integer (int32), ['a', 'b'] (as).
 */
export function annotationProperties(annotations: Record<string, string> = {}): Property[] {
  const props: Property[] = [];
  const PREFIX = "org.systemd.property.";
  for (const [key, text] of Object.entries(annotations)) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    const value = parseGVariant(text.trim());
    if (!value) {
      throw new TsruncError(
        `annotations["${key}"]: cannot read ${JSON.stringify(text)} as a value`,
      );
    }
    props.push([name, value]);
  }
  return props;
}

function parseGVariant(text: string): Variant | undefined {
  if (text === "true" || text === "false") return b(text === "true");
  const quoted = /^'(.*)'$|^"(.*)"$/s.exec(text);
  if (quoted) return s(quoted[1] ?? quoted[2]);
  const typed = /^(uint64|@t|uint32|@u|int64|@x|int32|@i)\s+(-?\d+)$/.exec(text);
  if (typed) {
    const sig = { uint64: "t", "@t": "t", uint32: "u", "@u": "u", int64: "x", "@x": "x" }[
      typed[1] as "uint64"
    ] ?? "i";
    const value: DBusValue = sig === "t" || sig === "x" ? BigInt(typed[2]) : Number(typed[2]);
    return { sig, value };
  }
  if (/^-?\d+$/.test(text)) return { sig: "i", value: Number(text) };
  const list = /^\[(.*)\]$/s.exec(text);
  if (list) {
    const items = list[1].split(",").map((i) => i.trim()).filter(Boolean).map(parseGVariant);
    if (items.every((i) => i?.sig === "s")) return { sig: "as", value: items.map((i) => i!.value) };
  }
  return undefined;
}

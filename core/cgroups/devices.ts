/**
 * The device rules of a container's cgroup: the config's linux.resources.devices in
 * order, then runc's default allow-list (mknod of anything; null, zero, full, tty, random,
 * urandom, the pty devices, tun). A later rule wins over an earlier one that matches the
 * same access. linux.devices only creates nodes: as with runc, a node is usable only when
 * resources.devices allows it, so a config that denies all devices keeps them denied
 * (engines that pass a device, `docker run --device`, allow it there too).
 */
import type { OciSpec } from "../spec/types.ts";
import type { DeviceRule } from "../../ffi/libcore.ts";

// One rule: the type libcore's eBPF program builder takes (ffi/libcore.ts defines it,
// since ffi imports nothing of core).
export type { DeviceRule };

/** A major or minor number that stands for any. */
const ANY = -1;

/** runc's default allowed devices (libcontainer/specconv AllowedDevices). */
const DEFAULT_ALLOWED: readonly DeviceRule[] = [
  { type: "c", major: ANY, minor: ANY, access: "m", allow: true },
  { type: "b", major: ANY, minor: ANY, access: "m", allow: true },
  { type: "c", major: 1, minor: 3, access: "rwm", allow: true }, // null
  { type: "c", major: 1, minor: 8, access: "rwm", allow: true }, // random
  { type: "c", major: 1, minor: 7, access: "rwm", allow: true }, // full
  { type: "c", major: 5, minor: 0, access: "rwm", allow: true }, // tty
  { type: "c", major: 1, minor: 5, access: "rwm", allow: true }, // zero
  { type: "c", major: 1, minor: 9, access: "rwm", allow: true }, // urandom
  { type: "c", major: 136, minor: ANY, access: "rwm", allow: true }, // /dev/pts/*
  { type: "c", major: 5, minor: 2, access: "rwm", allow: true }, // ptmx
  { type: "c", major: 10, minor: 200, access: "rwm", allow: true }, // tun
];

/** The ordered rules for a container. */
export function deviceRules(spec: OciSpec): DeviceRule[] {
  const rules: DeviceRule[] = [];
  for (const rule of spec.linux?.resources?.devices ?? []) {
    const type = rule.type ?? "a";
    const access = accessOf(rule.access ?? "rwm");
    if (access === "") continue; // grants or takes nothing
    rules.push({
      type: type === "b" || type === "c" ? type : "a",
      major: rule.major ?? ANY,
      minor: rule.minor ?? ANY,
      access,
      allow: rule.allow,
    });
  }
  rules.push(...DEFAULT_ALLOWED);
  return rules;
}

/**
 * The r, w and m of an access string, in that order: as runc reads it, other letters mean
 * nothing ("rwa" is "rw"); the kernel's devices.allow/deny refuse them ("invalid argument").
 */
export function accessOf(access: string): string {
  return [..."rwm"].filter((c) => access.includes(c)).join("");
}

/**
 * The device rules, or none for a rootless caller: it can neither write devices.allow
 * nor load a device program, and its container's nodes are the host's, bound in (runc
 * skips device rules rootless too).
 */
export function rootlessSafeDeviceRules(spec: OciSpec): DeviceRule[] | undefined {
  return Deno.uid() === 0 ? deviceRules(spec) : undefined;
}

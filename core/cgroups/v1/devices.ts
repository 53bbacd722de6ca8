/**
 * cgroup v1 devices (runc's fs/devices.go): the rules of core/cgroups/devices.ts as
 * devices.allow/devices.deny writes.
 */
import type { DeviceRule } from "../devices.ts";
import type { CgroupWrite } from "../write.ts";

/** A rule in the v1 devices.allow/deny syntax: "c 1:3 rwm", "a *:* rwm" (-1 is "*"). */
export function v1RuleText(rule: DeviceRule): string {
  const num = (n: number) => (n === -1 ? "*" : String(n));
  return `${rule.type} ${num(rule.major)}:${num(rule.minor)} ${rule.access}`;
}

/**
 * The kernel applies devices.allow/devices.deny writes one after the other, so the rules are
 * written in order; a rule for all devices ("a") resets the list to allow-all or deny-all.
 */
export function v1DeviceWrites(rules: readonly DeviceRule[]): CgroupWrite[] {
  return rules.map((rule) => ({
    controller: "devices",
    file: rule.allow ? "devices.allow" : "devices.deny",
    value: rule.type === "a" ? "a" : v1RuleText(rule),
  }));
}

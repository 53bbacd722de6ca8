/**
 * cgroup2 devices (runc's cgroups/devices/ebpf): cgroup2 has no device files; an eBPF
 * BPF_PROG_TYPE_CGROUP_DEVICE program, built from the rules and attached by libcore, filters.
 */
import { wrapError } from "../../../base/errors.ts";
import * as libcore from "../../../ffi/libcore.ts";
import type { DeviceRule } from "../devices.ts";

/** Attach the filter of rules to the cgroup2 directory dir. */
export function attachDeviceFilter(dir: string, rules: DeviceRule[]): void {
  const fd = libcore.openDir(dir);
  try {
    libcore.bpfDevices(fd, rules);
  } catch (error) {
    throw wrapError(`cgroup ${dir}: device filter`, error);
  } finally {
    libcore.close(fd);
  }
}

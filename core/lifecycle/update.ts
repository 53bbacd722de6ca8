/** update: change a container's resource limits live, and remember them. */
import { TsruncError } from "../../base/errors.ts";
import { driverFor } from "../cgroups/driver.ts";
import { setUnitResources } from "../cgroups/systemd.ts";
import { mergeResources } from "../cgroups/update_flags.ts";
import type { LinuxIntelRdt, LinuxResources } from "../spec/types.ts";
import { schemataLines, writeSchemata } from "../cgroups/intel_rdt.ts";
import { openContainer } from "./open.ts";

/** Apply `patch` over the container's resources; state.json keeps the result. */
export async function updateContainer(
  root: string,
  id: string,
  patch: LinuxResources,
  rdt?: LinuxIntelRdt,
): Promise<void> {
  const opened = openContainer(root, id);
  try {
    const { state, status } = opened;
    if (status === "stopped") throw new TsruncError("cannot update a stopped container");
    if (!state.cgroups || Object.keys(state.cgroups.dirs).length === 0) {
      throw new TsruncError(`container ${id} has no cgroups to update`);
    }
    if (rdt) {
      if (!state.intelRdt) {
        throw new TsruncError(`container ${id} has no Intel RDT group (linux.intelRdt) to update`);
      }
      writeSchemata(state.intelRdt.dir, schemataLines(rdt));
    }
    const merged = mergeResources(state.resources ?? {}, patch);
    // Devices are not changed by update (as runc's update). With systemd the unit's
    // properties first (else systemd would put its old values back), then the files.
    if (state.cgroups.systemd) await setUnitResources(state.cgroups, merged);
    driverFor(state.cgroups).setResources({ ...merged, devices: undefined });
    state.resources = merged;
    opened.dir.write(state);
  } finally {
    opened.unlock();
  }
}

/** kill: send a signal to the container's init, or with --all to all its processes. */
import { TsruncError } from "../../base/errors.ts";
import { killAll, signalInit } from "./processes.ts";
import { openContainer } from "./open.ts";

/** Signal a container. */
export function killContainer(root: string, id: string, signal: number, all: boolean): void {
  const opened = openContainer(root, id);
  try {
    // As runc: --all of a stopped container signals what may be left in its cgroup.
    if (opened.status === "stopped" && !all) throw new TsruncError("container not running");
    if (!all) {
      signalInit(opened.state, signal);
      return;
    }
    killAll(opened.state, signal);
  } finally {
    opened.unlock();
  }
}

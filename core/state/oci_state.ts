/** The state JSON runc prints (`state`, `list --format json`) and hooks receive. */
import type { StoredState } from "./store.ts";
import type { Status } from "./status.ts";

/** The runtime-spec version tsrunc implements. */
export const OCI_VERSION = "1.3.0";

/** runc's `state` output, keys in runc's order; pid is 0 once stopped, as runc shows. */
export function stateOutput(
  state: StoredState,
  status: Status,
  owner = "",
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ociVersion: OCI_VERSION,
    id: state.id,
    pid: status === "stopped" ? 0 : state.pid,
    status,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
  };
  if (state.annotations && Object.keys(state.annotations).length > 0) {
    out.annotations = state.annotations;
  }
  out.owner = owner;
  return out;
}

/** The runtime-spec state a hook reads on stdin. */
export function hookState(state: StoredState, status: Status): string {
  const out: Record<string, unknown> = {
    ociVersion: OCI_VERSION,
    id: state.id,
    status,
    pid: state.pid,
    bundle: state.bundle,
  };
  if (state.annotations) out.annotations = state.annotations;
  return JSON.stringify(out);
}

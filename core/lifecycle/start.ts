/** start: let the created init go on to exec the user's program, then poststart hooks. */
import { TsruncError } from "../../base/errors.ts";
import * as libcore from "../../ffi/libcore.ts";
import { runHooks } from "../hooks.ts";
import { debug, warn } from "../log.ts";
import { hookState } from "../state/oci_state.ts";
import { openContainer } from "./open.ts";

const START_TIMEOUT_MS = 10_000;

/** Start a created container; returns its init's pid. */
export async function startContainer(root: string, id: string): Promise<number> {
  const opened = openContainer(root, id);
  try {
    switch (opened.status) {
      case "created":
        break;
      case "stopped":
        throw new TsruncError("cannot start a container that has stopped");
      case "running":
        throw new TsruncError("cannot start an already running container");
      default:
        throw new TsruncError(`cannot start a container in the ${opened.status} state`);
    }
    debug(`start ${id}: opening the exec fifo the init ${opened.state.pid} waits on`);
    try {
      libcore.fifoHandshake(opened.dir.fifoPath, START_TIMEOUT_MS);
    } catch (error) {
      throw new TsruncError(`start container ${id}: the container process is gone`, {
        cause: error,
      });
    }
    Deno.removeSync(opened.dir.fifoPath);
    debug(`start ${id}: the init exec'd the container's program`);
    const poststart = opened.state.hooks?.poststart ?? [];
    if (poststart.length > 0) {
      // runtime-spec: a failing poststart hook is only a warning.
      await runHooks("poststart", poststart, hookState(opened.state, "running")).catch((e) =>
        warn((e as Error).message)
      );
    }
    return opened.state.pid;
  } finally {
    opened.unlock();
  }
}

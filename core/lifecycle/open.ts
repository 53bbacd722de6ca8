/** Open an existing container: its directory, lock, stored state and status. */
import { containerStatus, type Status } from "../state/status.ts";
import { ContainerDir, notFound, type StoredState } from "../state/store.ts";

/** A container opened under its lock. */
export interface Opened {
  dir: ContainerDir;
  state: StoredState;
  status: Status;
  /** Release the lock. */
  unlock(): void;
}

/** Open a container under its lock; throws "container X does not exist". */
export function openContainer(root: string, id: string): Opened {
  const dir = new ContainerDir(root, id);
  if (!dir.exists()) throw notFound(id);
  const lock = dir.lock();
  try {
    const state = dir.read();
    if (!state) {
      // A create still at work holds the lock: this one died before writing any state,
      // and left nothing else behind; its id is free again.
      dir.remove();
      throw notFound(id);
    }
    return { dir, state, status: containerStatus(dir, state), unlock: () => lock.close() };
  } catch (error) {
    lock.close();
    throw error;
  }
}

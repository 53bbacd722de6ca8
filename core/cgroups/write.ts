/**
 * A planned write to a cgroup file: what the per-version mappings (v1/, v2/) make of
 * linux.resources and device rules, and what apply.ts performs. The few decisions runc takes
 * from the kernel's answer (a file that may be missing, a value refused until a companion
 * value is written) travel with each write, so that the mappings stay pure.
 */

/** One write to a cgroup file. */
export interface CgroupWrite {
  /** v1: the hierarchy name (`memory`, `cpu`, `blkio`...); v2: "" (the container's dir). */
  controller: string;
  /** File name inside the controller's directory (`memory.limit_in_bytes`). */
  file: string;
  /** What is written, as is. */
  value: string;
  /** An optional kernel feature: when the file does not exist, skip the write. */
  ifExists?: boolean;
  /** When the file does not exist, write this file and value instead (same directory). */
  fallback?: { file: string; value: string };
  /**
   * The kernel may refuse this value (EINVAL) until a companion value is written: then the
   * write is not an error, and the later write of the same file marked `retry` is done.
   */
  deferOnEinval?: boolean;
  /** Done only when the earlier write of this file was refused and deferred. */
  retry?: boolean;
}

/** The writes of one controller, in the order they are added. */
export class WriteList {
  /** The writes so far. */
  readonly writes: CgroupWrite[] = [];
  readonly #controller: string;

  /** @param controller v1: the hierarchy's controller; v2: "" */
  constructor(controller: string) {
    this.#controller = controller;
  }

  /** Add a write of value to file, with its flags. */
  add(file: string, value: string, extra: Partial<CgroupWrite> = {}): void {
    this.writes.push({ controller: this.#controller, file, value, ...extra });
  }
}

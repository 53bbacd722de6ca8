/** Tiny assertions for unit tests (Deno std lives on JSR, which is out of reach). */

/** Fail with message unless cond. */
export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new Error(message);
}

/** Deep equality of plain data (plans, states, flag values); object key order is ignored. */
export function assertEquals(actual: unknown, expected: unknown, message = ""): void {
  const json = (v: unknown) =>
    JSON.stringify(v, (_, x) => {
      if (typeof x === "bigint") return `${x}n`;
      if (x && typeof x === "object" && !Array.isArray(x)) {
        return Object.fromEntries(Object.entries(x).sort(([a], [b]) => a < b ? -1 : 1));
      }
      return x;
    });
  if (json(actual) !== json(expected)) {
    throw new Error(
      `${message ? message + ": " : ""}expected ${json(expected)}, got ${json(actual)}`,
    );
  }
}

/** fn must throw; the error's message must match when a pattern is given. */
export function assertThrows(fn: () => unknown, pattern?: RegExp | string): Error {
  try {
    fn();
  } catch (error) {
    const message = (error as Error).message;
    if (typeof pattern === "string" && message !== pattern) {
      throw new Error(`expected error "${pattern}", got "${message}"`);
    }
    if (pattern instanceof RegExp && !pattern.test(message)) {
      throw new Error(`expected error matching ${pattern}, got "${message}"`);
    }
    return error as Error;
  }
  throw new Error("expected an error, none was thrown");
}

/**
 * A tiny assertion module for tests (Deno std lives on JSR, which these machines cannot
 * reach). Each function throws an AssertionError with a message that shows both values.
 */

/** Thrown when an assertion fails. */
export class AssertionError extends Error {
  /** @param message what went wrong */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function show(value: unknown): string {
  return Deno.inspect(value, {
    depth: 10,
    colors: false,
    strAbbreviateSize: 2000,
    iterableLimit: 500,
  });
}

function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Set && b instanceof Set) {
    return a.size === b.size && [...a].every((x) => [...b].some((y) => equal(x, y)));
  }
  if (a instanceof Map && b instanceof Map) {
    return a.size === b.size && [...a].every(([k, v]) => b.has(k) && equal(v, b.get(k)));
  }
  const ka = Object.keys(a as object).filter((k) =>
    (a as Record<string, unknown>)[k] !== undefined
  );
  const kb = Object.keys(b as object).filter((k) =>
    (b as Record<string, unknown>)[k] !== undefined
  );
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

/** Fail unless `actual` is truthy. */
export function assert(actual: unknown, message = "expected a truthy value"): asserts actual {
  if (!actual) throw new AssertionError(message);
}

/** Fail unless the values are deeply equal (undefined properties are ignored). */
export function assertEquals(actual: unknown, expected: unknown, message?: string): void {
  if (equal(actual, expected)) return;
  throw new AssertionError(
    `${message ? message + ": " : ""}values differ\n  actual:   ${show(actual)}\n  expected: ${
      show(expected)
    }`,
  );
}

/** Fail if the values are deeply equal. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  if (!equal(actual, expected)) return;
  throw new AssertionError(`${message ? message + ": " : ""}values are equal: ${show(actual)}`);
}

/** Fail unless `actual` contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  if (actual.includes(expected)) return;
  throw new AssertionError(
    `${message ? message + ": " : ""}${show(actual)} does not include ${show(expected)}`,
  );
}

/** Fail unless `actual` matches `pattern`. */
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  if (pattern.test(actual)) return;
  throw new AssertionError(
    `${message ? message + ": " : ""}${show(actual)} does not match ${pattern}`,
  );
}

/** Fail unless fn throws (an instance of errorClass, with msgIncludes in its message). */
export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  errorClass?: new (...args: any[]) => Error,
  msgIncludes?: string,
): Error {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof Error)) throw new AssertionError(`threw a non-Error: ${show(e)}`);
    if (errorClass && !(e instanceof errorClass)) {
      const err: Error = e;
      throw new AssertionError(
        `threw ${err.constructor.name}, expected ${errorClass.name}: ${err.message}`,
      );
    }
    if (msgIncludes !== undefined && !e.message.includes(msgIncludes)) {
      throw new AssertionError(
        `error message ${show(e.message)} does not include ${show(msgIncludes)}`,
      );
    }
    return e;
  }
  throw new AssertionError("expected the function to throw");
}

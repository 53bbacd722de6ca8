/**
 * A tiny schema vocabulary for validate.ts, shaped like zod/mini's (`object`, `optional`,
 * `array`, `record`, `enumOf`, `string`, `integer`), with the TypeScript type of a schema
 * inferred as zod does.
 *
 * Why not zod/mini itself: measured on this project's machines (Deno 2.9.6, zod 4.6.7),
 * importing "zod/mini" from node_modules costs ~25 ms (about 95 modules, locales and the
 * JSON-schema and compile machinery included), building the config schema ~10 ms (zod
 * does real work per schema instance) and the first parse ~3 ms: +40-60 ms on every
 * `create`/`run`, where runc's whole `run` takes 25-30 ms. Bundled, zod still adds ~15 ms.
 * This file adds well under 1 ms. It keeps zod's shape so that moving back to zod/mini,
 * should it get cheap, is a change of vocabulary, not of structure.
 *
 * A schema reports only the first problem, with its JSON path: that is all tsrunc prints.
 */

/** Location of a value: object keys and array indexes from the document's root. */
export type Path = (string | number)[];

/** The first problem found in a value. */
export interface Problem {
  /** Where, from the document's root. */
  path: Path;
  /** What, e.g. `missing`, `expected array, got string`. */
  message: string;
}

/** A schema accepting values of type T. */
export interface Schema<T> {
  /** Phantom field carrying T for Infer; never set. */
  readonly _type?: T;
  /** True for schemas made by optional(). */
  readonly optional: boolean;
  /**
   * The first problem in `value`, or undefined when it conforms. `path` is the value's
   * location; it is pushed to and popped back while descending, and copied on a problem.
   */
  test(value: unknown, path: Path): Problem | undefined;
}

/** The type a schema accepts. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Properties of an object schema. */
export type Shape = Record<string, Schema<unknown>>;

type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K]["optional"] extends true ? K : never;
}[keyof S];

/** The type an object schema accepts; unknown extra properties are allowed, as in JSON schema. */
export type InferShape<S extends Shape> =
  & { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> }
  & { [K in OptionalKeys<S>]?: Infer<S[K]> };

/** `string`, `number`, `array`, `null`... as the messages say it. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** A value as shown in a message: strings quoted (and cut when long), others by type. */
export function show(value: unknown): string {
  if (typeof value === "string") {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 56)}..."` : text;
  }
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return String(value);
  }
  return typeName(value);
}

function problem(path: Path, message: string): Problem {
  return { path: [...path], message };
}

function typeProblem(path: Path, expected: string, value: unknown): Problem {
  return problem(
    path,
    value === undefined ? "missing" : `expected ${expected}, got ${typeName(value)}`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A string, optionally matching a pattern. */
export function string(pattern?: RegExp): Schema<string> {
  return {
    optional: false,
    test(value, path) {
      if (typeof value !== "string") return typeProblem(path, "string", value);
      if (pattern && !pattern.test(value)) {
        return problem(path, `must match ${pattern}, got ${show(value)}`);
      }
      return undefined;
    },
  };
}

/** true or false. */
export function boolean(): Schema<boolean> {
  return {
    optional: false,
    test(value, path) {
      return typeof value === "boolean" ? undefined : typeProblem(path, "boolean", value);
    },
  };
}

/**
 * An integer in [min, max], named in messages (`expected uint32, got -1`). JSON numbers
 * beyond 2^53 are approximate (2^64-1 reads as 2^64); the bounds are compared as read.
 */
export function integer(name: string, min: number, max: number): Schema<number> {
  return {
    optional: false,
    test(value, path) {
      if (typeof value !== "number") return typeProblem(path, "number", value);
      if (!Number.isInteger(value) || value < min || value > max) {
        return problem(path, `expected ${name}, got ${show(value)}`);
      }
      return undefined;
    },
  };
}

/** One of the given strings. */
export function enumOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  return {
    optional: false,
    test(value, path) {
      if (typeof value !== "string") return typeProblem(path, "string", value);
      if (!values.includes(value)) {
        const list = values.map((v) => JSON.stringify(v)).join(", ");
        return problem(path, `expected one of ${list}, got ${show(value)}`);
      }
      return undefined;
    },
  };
}

/** An array of items; `nonEmpty` requires at least one. */
export function array<T>(item: Schema<T>, options: { nonEmpty?: boolean } = {}): Schema<T[]> {
  return {
    optional: false,
    test(value, path) {
      if (!Array.isArray(value)) return typeProblem(path, "array", value);
      if (options.nonEmpty && value.length === 0) {
        return problem(path, "must be a non-empty array");
      }
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const found = item.test(value[i], path);
        path.pop();
        if (found) return found;
      }
      return undefined;
    },
  };
}

/** An object used as a map: any keys, values of one schema. */
export function record<T>(item: Schema<T>): Schema<Record<string, T>> {
  return {
    optional: false,
    test(value, path) {
      if (!isPlainObject(value)) return typeProblem(path, "object", value);
      for (const key of Object.keys(value)) {
        path.push(key);
        const found = item.test(value[key], path);
        path.pop();
        if (found) return found;
      }
      return undefined;
    },
  };
}

/** An object with these properties (checked in the shape's order); extra ones are allowed. */
export function object<S extends Shape>(shape: S): Schema<InferShape<S>> {
  const keys = Object.keys(shape);
  return {
    optional: false,
    test(value, path) {
      if (!isPlainObject(value)) return typeProblem(path, "object", value);
      for (const key of keys) {
        const field = value[key];
        const schema = shape[key];
        if (field === undefined && schema.optional) continue;
        path.push(key);
        const found = schema.test(field, path);
        path.pop();
        if (found) return found;
      }
      return undefined;
    },
  };
}

/** A property that may be absent (JSON has no `undefined`; `null` is still rejected). */
export function optional<T>(schema: Schema<T>): Schema<T> & { readonly optional: true } {
  return { optional: true, test: (value, path) => schema.test(value, path) };
}

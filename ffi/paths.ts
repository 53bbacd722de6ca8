/** Where libcore.so and the executor live. */

/**
 * The directory holding libcore.so and the executor: $TSRUNC_LIBDIR (set by the
 * installed launcher), else build/ of the source tree this module belongs to.
 */
export function libDir(): string {
  const fromEnv = Deno.env.get("TSRUNC_LIBDIR");
  if (fromEnv) return fromEnv;
  return new URL("../build", import.meta.url).pathname;
}

/** Where libcore.so and the executor live. */

/**
 * The directory holding libcore.so and the executor: $TSRUNC_LIBDIR (set by the
 * installed launcher), else beside this module when it runs as the bundle (build/lib/),
 * else build/ of the source tree.
 */
export function libDir(): string {
  const fromEnv = Deno.env.get("TSRUNC_LIBDIR");
  if (fromEnv) return fromEnv;
  const here = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
  if (here.endsWith("/ffi")) return new URL("../build", import.meta.url).pathname;
  return here;
}

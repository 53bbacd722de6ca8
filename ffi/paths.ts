/**
 * Where libcore.so, the executor and version.json are.
 *
 * Installed (the launcher) and in a source tree they are files in the lib directory. In
 * the single executable that `deno compile` makes (scripts/compile.sh) they are embedded
 * beside the bundle; there, and whenever TSRUNC_MEMFD_NATIVE=1, the two native files are
 * copied into sealed memfds and used as /proc/self/fd/N, so nothing is ever extracted to
 * a writable path (and nothing can change them while tsrunc runs).
 */
import { sealedMemfd } from "./memfd.ts";

/**
 * The lib directory: $TSRUNC_LIBDIR (set by the installed launcher), else beside this
 * module when it runs as the bundle (build/lib/), else build/ of the source tree.
 */
export function libDir(): string {
  const fromEnv = Deno.env.get("TSRUNC_LIBDIR");
  if (fromEnv) return fromEnv;
  const here = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
  if (here.endsWith("/ffi")) return new URL("../build", import.meta.url).pathname;
  return here;
}

/** True when the native files come from sealed memfds (compiled, or asked for). */
function nativeInMemfds(): boolean {
  return Deno.build.standalone || Deno.env.get("TSRUNC_MEMFD_NATIVE") === "1";
}

const memfdPaths = new Map<string, string>();

/** A native file's path: in the lib directory, or a sealed memfd copy of it. */
function nativePath(name: "libcore.so" | "executor"): string {
  if (!nativeInMemfds()) return `${libDir()}/${name}`;
  let path = memfdPaths.get(name);
  if (!path) {
    // In a compiled binary the embedded copy sits beside the bundle (its virtual file
    // system answers reads); otherwise the lib directory's file is sealed.
    const source = Deno.build.standalone
      ? new URL(`./${name}`, import.meta.url)
      : `${libDir()}/${name}`;
    path = `/proc/self/fd/${sealedMemfd(`tsrunc-sealed-${name}`, Deno.readFileSync(source))}`;
    memfdPaths.set(name, path);
  }
  return path;
}

/** libcore.so, for dlopen. */
export function libcorePath(): string {
  return nativePath("libcore.so");
}

/** The executor, which libcore copies into a sealed memfd for every container start. */
export function executorPath(): string {
  return nativePath("executor");
}

/** version.json, which the build writes (commit, libseccomp version). */
export function versionJsonUrl(): string | URL {
  return Deno.build.standalone
    ? new URL("./version.json", import.meta.url)
    : `${libDir()}/version.json`;
}

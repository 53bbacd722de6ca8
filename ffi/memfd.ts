/**
 * Sealed memfds made through libc (libcore cannot make them for itself: it is what gets
 * loaded from one). Used only when the native files are embedded (ffi/paths.ts).
 */
import { TsruncError } from "../base/errors.ts";

const LIBC_SYMBOLS = {
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

const MFD_CLOEXEC = 1;
const MFD_ALLOW_SEALING = 2;
const F_ADD_SEALS = 1033;
// F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE
const ALL_SEALS = 0x1 | 0x2 | 0x4 | 0x8;

let libc: Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"] | undefined;

function errno(): number {
  const at = libc!.__errno_location();
  return at ? new Deno.UnsafePointerView(at).getInt32() : 0;
}

/** A close-on-exec memfd named name holding bytes, sealed against any change: its fd. */
export function sealedMemfd(name: string, bytes: Uint8Array<ArrayBuffer>): number {
  libc ??= Deno.dlopen("libc.so.6", LIBC_SYMBOLS).symbols;
  let fd = -1;
  const fail = (what: string): never => {
    const message = `cannot make a sealed copy of ${name}: ${what}: errno ${errno()}`;
    if (fd >= 0) libc!.close(fd);
    throw new TsruncError(message);
  };
  fd = libc.memfd_create(
    new TextEncoder().encode(`${name}\0`),
    MFD_CLOEXEC | MFD_ALLOW_SEALING,
  );
  if (fd < 0) fail("memfd_create");
  let at = 0;
  while (at < bytes.length) {
    const n = Number(libc.write(fd, bytes.subarray(at), BigInt(bytes.length - at)));
    if (n <= 0) fail("write");
    at += n;
  }
  if (libc.fcntl(fd, F_ADD_SEALS, ALL_SEALS) < 0) fail("seal");
  return fd;
}

/**
 * Deno.dlopen bindings of libcore.so: one symbol table and thin typed wrappers that turn
 * `-errno` into a TsruncError. No decisions here.
 */
import { TsruncError } from "../core/errors.ts";
import { libDir } from "./paths.ts";

const SYMBOLS = {
  // int tsr_sealed_copy(const char *path)
  tsr_sealed_copy: { parameters: ["buffer"], result: "i32" },
  // int tsr_memfd_bytes(const uint8_t *bytes, int64_t len)
  tsr_memfd_bytes: { parameters: ["buffer", "i64"], result: "i32" },
  // int tsr_spawn(int exe_fd, const char *arg1, const char *arg2, const int32_t *fdmap, int32_t npairs)
  tsr_spawn: { parameters: ["i32", "buffer", "buffer", "buffer", "i32"], result: "i32" },
  // int tsr_socketpair(int32_t *out)
  tsr_socketpair: { parameters: ["buffer"], result: "i32" },
  // int tsr_close(int fd)
  tsr_close: { parameters: ["i32"], result: "i32" },
  // int tsr_send(int fd, int32_t type, int32_t a, const uint8_t *payload, int32_t len)
  tsr_send: { parameters: ["i32", "i32", "i32", "buffer", "i32"], result: "i32" },
  // int tsr_recv(int fd, int32_t *out4, uint8_t *buf, int32_t cap, int32_t timeout_ms)
  tsr_recv: { parameters: ["i32", "buffer", "buffer", "i32", "i32"], result: "i32" },
  // int tsr_mkfifo(const char *path, int32_t mode)
  tsr_mkfifo: { parameters: ["buffer", "i32"], result: "i32" },
  // int tsr_fifo_handshake(const char *path, int32_t timeout_ms)
  tsr_fifo_handshake: { parameters: ["buffer", "i32"], result: "i32" },
  // int tsr_pidfd_open(int32_t pid)
  tsr_pidfd_open: { parameters: ["i32"], result: "i32" },
  // int tsr_pidfd_signal(int32_t pidfd, int32_t sig)
  tsr_pidfd_signal: { parameters: ["i32", "i32"], result: "i32" },
  // int tsr_kill(int32_t pid, int32_t sig)
  tsr_kill: { parameters: ["i32", "i32"], result: "i32" },
  // int tsr_wait(int32_t pid): blocks until the child exits
  tsr_wait: { parameters: ["i32"], result: "i32", nonblocking: true },
  // int tsr_wait(int32_t pid), for the short waits that must not yield
  tsr_wait_sync: { name: "tsr_wait", parameters: ["i32"], result: "i32" },
  // int tsr_pidfd_poll(int32_t pidfd, int32_t timeout_ms)
  tsr_pidfd_poll: { parameters: ["i32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | undefined;

function core(): Lib {
  if (!lib) {
    const path = `${libDir()}/libcore.so`;
    try {
      lib = Deno.dlopen(path, SYMBOLS).symbols;
    } catch (error) {
      throw new TsruncError(`cannot load ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  return lib;
}

const ERRNO_NAMES: Record<number, string> = {
  1: "operation not permitted",
  2: "no such file or directory",
  3: "no such process",
  4: "interrupted system call",
  5: "input/output error",
  7: "argument list too long",
  8: "exec format error",
  9: "bad file descriptor",
  10: "no child processes",
  11: "resource temporarily unavailable",
  12: "cannot allocate memory",
  13: "permission denied",
  16: "device or resource busy",
  17: "file exists",
  18: "invalid cross-device link",
  19: "no such device",
  20: "not a directory",
  21: "is a directory",
  22: "invalid argument",
  24: "too many open files",
  28: "no space left on device",
  30: "read-only file system",
  32: "broken pipe",
  36: "file name too long",
  38: "function not implemented",
  39: "directory not empty",
  40: "too many levels of symbolic links",
  71: "protocol error",
  95: "operation not supported",
  110: "connection timed out",
};

/** strerror-like lowercase text for an errno, as Go's syscall.Errno prints it. */
export function errnoText(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** errno values tsrunc branches on. */
export const ERRNO = { ENOENT: 2, ESRCH: 3, ECHILD: 10, EPIPE: 32, ETIMEDOUT: 110 } as const;

function check(result: number, what: string): number {
  if (result < 0) {
    throw new TsruncError(`${what}: ${errnoText(-result)}`, { errno: -result });
  }
  return result;
}

const utf8 = new TextEncoder();
function cstr(s: string): Uint8Array<ArrayBuffer> {
  return utf8.encode(s + "\0") as Uint8Array<ArrayBuffer>;
}

/** A sealed memfd copy of an executable. */
export function sealedCopy(path: string): number {
  return check(core().tsr_sealed_copy(cstr(path)), `copy ${path} into a sealed memfd`);
}

/** A memfd holding bytes. */
export function memfdBytes(bytes: Uint8Array<ArrayBuffer>): number {
  return check(core().tsr_memfd_bytes(bytes, BigInt(bytes.length)), "create plan memfd");
}

/** Spawn the program in a memfd with two args and an explicit fd map [target, source][]. */
export function spawn(exeFd: number, args: [string, string], fdMap: [number, number][]): number {
  const map = new Int32Array(fdMap.flat());
  return check(
    core().tsr_spawn(exeFd, cstr(args[0]), cstr(args[1]), map, fdMap.length),
    "spawn the executor",
  );
}

/** A close-on-exec SOCK_SEQPACKET socket pair. */
export function socketPair(): [number, number] {
  const out = new Int32Array(2);
  check(core().tsr_socketpair(out), "socketpair");
  return [out[0], out[1]];
}

/** close(2). */
export function close(fd: number): void {
  core().tsr_close(fd);
}

/** Send one sync message. */
export function send(fd: number, type: number, a: number, payload: Uint8Array<ArrayBuffer>): void {
  check(core().tsr_send(fd, type, a, payload, payload.length), "send to the container process");
}

/** One received sync message. */
export interface RawMessage {
  type: number;
  a: number;
  b: number;
  payload: string;
}

const RECV_CAP = 256 * 1024;
let recvBuffer: Uint8Array<ArrayBuffer> | undefined;

/** Receive one sync message, or throw with errno EPIPE (peer gone) / ETIMEDOUT. */
export function recv(fd: number, timeoutMs: number): RawMessage {
  recvBuffer ??= new Uint8Array(RECV_CAP);
  const header = new Int32Array(4);
  const n = check(core().tsr_recv(fd, header, recvBuffer, RECV_CAP, timeoutMs), "receive");
  const payload = new TextDecoder().decode(recvBuffer.subarray(0, n));
  return { type: header[0], a: header[1], b: header[2], payload };
}

/** mkfifo(3). */
export function mkfifo(path: string, mode: number): void {
  check(core().tsr_mkfifo(cstr(path), mode), `mkfifo ${path}`);
}

/** Open the exec fifo and read the init's byte: the container starts. */
export function fifoHandshake(path: string, timeoutMs: number): void {
  check(core().tsr_fifo_handshake(cstr(path), timeoutMs), "start the container process");
}

/** pidfd_open(2). */
export function pidfdOpen(pid: number): number {
  return check(core().tsr_pidfd_open(pid), `open process ${pid}`);
}

/** pidfd_send_signal(2). */
export function pidfdSignal(pidfd: number, signal: number): void {
  check(core().tsr_pidfd_signal(pidfd, signal), "send signal");
}

/** kill(2); returns -errno instead of throwing, for callers that probe. */
export function kill(pid: number, signal: number): number {
  return core().tsr_kill(pid, signal);
}

/** Wait for a child without blocking the event loop: exit code, or 128+signal. */
export async function waitChild(pid: number): Promise<number> {
  return check(await core().tsr_wait(pid), `wait for process ${pid}`);
}

/** Wait for a child that is about to exit (the executor after reporting the pid). */
export function waitChildSync(pid: number): number {
  return check(core().tsr_wait_sync(pid), `wait for process ${pid}`);
}

/** Wait up to timeoutMs for any process (behind a pidfd) to exit; false on time-out. */
export function pidfdPoll(pidfd: number, timeoutMs: number): boolean {
  const r = core().tsr_pidfd_poll(pidfd, timeoutMs);
  if (r === -ERRNO.ETIMEDOUT) return false;
  check(r, "wait for process exit");
  return true;
}

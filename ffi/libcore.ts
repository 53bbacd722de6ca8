/**
 * Deno.dlopen bindings of libcore.so: one symbol table and thin typed wrappers that turn
 * `-errno` into a TsruncError. No decisions here.
 */
import { ERRNO, errnoText, TsruncError } from "../base/errors.ts";
import { libcorePath } from "./paths.ts";

const SYMBOLS = {
  // int tsr_call(int32_t fn, int64_t *args, uint8_t *b0, uint8_t *b1): the dispatcher
  // (Deno pays ~0.3 ms per bound symbol at every start, so there is one)
  tsr_call: { parameters: ["i32", "buffer", "buffer", "buffer"], result: "i32" },
  // the same, on a worker thread: for calls that block (waiting for a process)
  tsr_call_blocking: {
    name: "tsr_call",
    parameters: ["i32", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** Function codes of tsr_call; libcore.c has the same enum (a unit test compares them). */
export const FN = {
  SEALED_COPY: 1,
  MEMFD_BYTES: 2,
  SPAWN: 3,
  SOCKETPAIR: 4,
  CLOSE: 5,
  SEND: 6,
  RECV: 7,
  MKFIFO: 8,
  FIFO_HANDSHAKE: 9,
  PIDFD_OPEN: 10,
  PIDFD_SIGNAL: 11,
  KILL: 12,
  WAIT: 13,
  PIDFD_POLL: 14,
  SEND_FD_TO: 15,
  TERM_RAW: 16,
  TERM_RESTORE: 17,
  COPY_WINSIZE: 18,
  PTY_PROXY: 19,
  PIPE: 20,
  DGRAM_BIND: 21,
  DGRAM_RECV: 22,
  DGRAM_SEND: 23,
  BPF_DEVICES: 24,
  OPEN_DIR: 25,
  GET_WINSIZE: 26,
  OPEN_WRITE: 27,
  RUN_HOOK: 28,
  DETACH_MOUNT: 29,
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | undefined;

function core(): Lib {
  if (!lib) {
    const path = libcorePath();
    try {
      lib = Deno.dlopen(path, SYMBOLS).symbols;
    } catch (error) {
      throw new TsruncError(`cannot load ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  return lib;
}

type Bytes = Uint8Array<ArrayBuffer> | null;

/** Call fn with integer args (also read back, for outputs) and up to two buffers. */
function call(
  fn: number,
  args: BigInt64Array<ArrayBuffer>,
  b0: Bytes = null,
  b1: Bytes = null,
): number {
  return core().tsr_call(fn, args, b0, b1);
}

function ints(...values: number[]): BigInt64Array<ArrayBuffer> {
  const a = new BigInt64Array(8);
  values.forEach((v, i) => a[i] = BigInt(v));
  return a;
}

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
  return check(call(FN.SEALED_COPY, ints(), cstr(path)), `copy ${path} into a sealed memfd`);
}

/** A memfd holding bytes. */
export function memfdBytes(bytes: Uint8Array<ArrayBuffer>): number {
  return check(call(FN.MEMFD_BYTES, ints(bytes.length), bytes), "create plan memfd");
}

/** Spawn the program in a memfd with two args and an explicit fd map [target, source][]. */
export function spawn(exeFd: number, args: [string, string], fdMap: [number, number][]): number {
  const map = new Uint8Array(new Int32Array(fdMap.flat()).buffer);
  return check(
    call(FN.SPAWN, ints(exeFd, fdMap.length), cstr(`${args[0]}\0${args[1]}`), map),
    "spawn the executor",
  );
}

/** A close-on-exec SOCK_SEQPACKET socket pair. */
export function socketPair(): [number, number] {
  const out = ints();
  check(call(FN.SOCKETPAIR, out), "socketpair");
  return [Number(out[0]), Number(out[1])];
}

/** close(2). */
export function close(fd: number): void {
  call(FN.CLOSE, ints(fd));
}

/** Send one sync message, with descriptor passFd along when given. */
export function send(
  fd: number,
  type: number,
  a: number,
  payload: Uint8Array<ArrayBuffer>,
  passFd = -1,
): void {
  check(
    call(FN.SEND, ints(fd, type, a, payload.length, passFd), payload),
    "send to the container process",
  );
}

/** One received sync message. */
export interface RawMessage {
  type: number;
  a: number;
  b: number;
  payload: string;
  /** A descriptor passed along (SCM_RIGHTS, close-on-exec), else -1. */
  fd: number;
}

const RECV_CAP = 256 * 1024;
let recvBuffer: Uint8Array<ArrayBuffer> | undefined;

/** Receive one sync message, or throw with errno EPIPE (peer gone) / ETIMEDOUT. */
export function recv(fd: number, timeoutMs: number): RawMessage {
  recvBuffer ??= new Uint8Array(RECV_CAP);
  const header = ints(fd, RECV_CAP, timeoutMs);
  const n = check(call(FN.RECV, header, recvBuffer), "receive");
  const payload = new TextDecoder().decode(recvBuffer.subarray(0, n));
  return {
    type: Number(header[0]),
    a: Number(header[1]),
    b: Number(header[2]),
    payload,
    fd: Number(header[4]),
  };
}

/** mkfifo(3). */
export function mkfifo(path: string, mode: number): void {
  check(call(FN.MKFIFO, ints(mode), cstr(path)), `mkfifo ${path}`);
}

/** Open the exec fifo and read the init's byte: the container starts. */
export function fifoHandshake(path: string, timeoutMs: number): void {
  check(call(FN.FIFO_HANDSHAKE, ints(timeoutMs), cstr(path)), "start the container process");
}

/** pidfd_open(2). */
export function pidfdOpen(pid: number): number {
  return check(call(FN.PIDFD_OPEN, ints(pid)), `open process ${pid}`);
}

/** pidfd_send_signal(2). */
export function pidfdSignal(pidfd: number, signal: number): void {
  check(call(FN.PIDFD_SIGNAL, ints(pidfd, signal)), "send signal");
}

/** kill(2); returns -errno instead of throwing, for callers that probe. */
export function kill(pid: number, signal: number): number {
  return call(FN.KILL, ints(pid, signal));
}

/** Wait for a child without blocking the event loop: exit code, or 128+signal. */
export async function waitChild(pid: number): Promise<number> {
  const result = await core().tsr_call_blocking(FN.WAIT, ints(pid), null, null);
  return check(result, `wait for process ${pid}`);
}

/** Wait for a child that is about to exit (the executor after reporting the pid). */
export function waitChildSync(pid: number): number {
  return check(call(FN.WAIT, ints(pid)), `wait for process ${pid}`);
}

/** Wait up to timeoutMs for any process (behind a pidfd) to exit; false on time-out. */
export function pidfdPoll(pidfd: number, timeoutMs: number): boolean {
  const r = call(FN.PIDFD_POLL, ints(pidfd, timeoutMs));
  if (r === -ERRNO.ETIMEDOUT) return false;
  check(r, "wait for process exit");
  return true;
}

/** Connect to the unix stream socket at path and send fd over it (SCM_RIGHTS) with name. */
export function sendFdTo(path: string, fd: number, name: string): void {
  check(call(FN.SEND_FD_TO, ints(fd), cstr(`${path}\0${name}`)), `socket ${path}`);
}

/** Saved terminal settings (a struct termios). */
export type TermSettings = Uint8Array<ArrayBuffer>;

/** Put the terminal on fd in raw mode; returns its settings before. */
export function termRaw(fd: number): TermSettings {
  const saved = new Uint8Array(128);
  check(call(FN.TERM_RAW, ints(fd, saved.length), saved), "set the terminal to raw mode");
  return saved;
}

/** Restore terminal settings saved by termRaw. */
export function termRestore(fd: number, saved: TermSettings): void {
  check(call(FN.TERM_RESTORE, ints(fd), saved), "restore the terminal");
}

/** Open an existing file for writing (close-on-exec): its fd. */
export function openWrite(path: string): number {
  return check(call(FN.OPEN_WRITE, ints(), cstr(path)), `open ${path}`);
}

/** Detach the mount on path (a last symlink not followed) with every mount below it. */
export function detachMount(path: string): void {
  check(call(FN.DETACH_MOUNT, ints(), cstr(path)), `unmount ${path}`);
}

/** The window size of the terminal on fd, or undefined when fd is no terminal. */
export function getWinsize(fd: number): { rows: number; columns: number } | undefined {
  const out = ints(fd);
  if (call(FN.GET_WINSIZE, out) < 0) return undefined;
  return { rows: Number(out[0]), columns: Number(out[1]) };
}

/** Give the terminal on `to` the window size of the terminal on `from`; -errno if not. */
export function copyWinsize(from: number, to: number): number {
  return call(FN.COPY_WINSIZE, ints(from, to));
}

/**
 * Copy input → master and master → output on a worker thread until the pty is closed
 * on the container's side or stopFd becomes readable (its write end closed).
 */
export async function ptyProxy(
  master: number,
  input: number,
  output: number,
  stopFd: number,
): Promise<void> {
  const r = await core().tsr_call_blocking(
    FN.PTY_PROXY,
    ints(master, input, output, stopFd),
    null,
    null,
  );
  check(r, "copy between the terminal and the container");
}

/** pipe2(O_CLOEXEC): [read end, write end]. */
export function pipe(): [number, number] {
  const out = ints();
  check(call(FN.PIPE, out), "pipe");
  return [Number(out[0]), Number(out[1])];
}

/** A unix datagram socket bound at path (replacing a stale socket file). */
export function dgramBind(path: string): number {
  return check(call(FN.DGRAM_BIND, ints(), cstr(path)), `bind ${path}`);
}

/** One datagram from fd, or undefined after timeoutMs (-1: wait for ever). */
export async function dgramRecv(fd: number, timeoutMs: number): Promise<Uint8Array | undefined> {
  const buffer = new Uint8Array(64 * 1024);
  const r = await core().tsr_call_blocking(
    FN.DGRAM_RECV,
    ints(fd, buffer.length, timeoutMs),
    buffer,
    null,
  );
  if (r === -ERRNO.ETIMEDOUT) return undefined;
  return buffer.subarray(0, check(r, "receive a notify message"));
}

/** Send one datagram to the unix socket at path. */
export function dgramSend(path: string, bytes: Uint8Array<ArrayBuffer>): void {
  check(call(FN.DGRAM_SEND, ints(bytes.length), cstr(path), bytes), `send to ${path}`);
}

/** An O_RDONLY | O_DIRECTORY | O_CLOEXEC descriptor of the directory at path. */
export function openDir(path: string): number {
  return check(call(FN.OPEN_DIR, ints(), cstr(path)), `open ${path}`);
}

/** One device cgroup rule, as in linux.resources.devices of config.json. */
export interface DeviceRule {
  /** "a" (all: resets every earlier rule), "b" (block) or "c" (char) */
  type: "a" | "b" | "c";
  /** -1 for any (*) */
  major: number;
  /** -1 for any (*) */
  minor: number;
  /** a subset of "rwm" */
  access: string;
  allow: boolean;
}

/** tsr_bpf_devices' errno for a rule that would punch a hole in a wildcard rule. */
const EOPNOTSUPP = 95;

/** BPF_DEVCG_ACC_* of each access letter. */
const DEVICE_ACCESS: Record<string, number> = { m: 1, r: 2, w: 4 };

/** rules as libcore's struct tsr_dev_rule[]: type, major, minor, access bits, allow. */
export function packDeviceRules(rules: DeviceRule[]): Int32Array<ArrayBuffer> {
  const packed = new Int32Array(rules.length * 5);
  rules.forEach((rule, i) => {
    let access = 0;
    for (const letter of rule.access) {
      const bit = DEVICE_ACCESS[letter];
      if (bit === undefined) {
        throw new TsruncError(`device rule ${i}: unknown access ${JSON.stringify(letter)}`);
      }
      access |= bit;
    }
    packed.set(
      [rule.type.charCodeAt(0), rule.major, rule.minor, access, rule.allow ? 1 : 0],
      i * 5,
    );
  });
  return packed;
}

/**
 * Replace the device filter (a BPF_CGROUP_DEVICE program) of the cgroup v2 directory open
 * as cgroupDirFd with one built from rules, which mean what they mean to runc: see
 * libcore/bpf_devices.c.
 */
export function bpfDevices(cgroupDirFd: number, rules: DeviceRule[]): void {
  const packed = packDeviceRules(rules);
  const r = call(FN.BPF_DEVICES, ints(cgroupDirFd, rules.length), new Uint8Array(packed.buffer));
  if (r === -EOPNOTSUPP) {
    // runc: "not supported by devices cgroupv1 (cannot punch hole in existing wildcard rule)"
    throw new TsruncError("device rules: cannot punch hole in existing wildcard rule", {
      errno: EOPNOTSUPP,
    });
  }
  check(r, "load the device cgroup filter");
}

/** What a hook run did: its wait status (or time-out) and its output. */
export interface HookResult {
  timedOut: boolean;
  /** Exit code, when it exited. */
  code?: number;
  /** Signal number, when killed. */
  signal?: number;
  output: string;
}

/**
 * Run a hook with its argv as given (argv[0] included), envp, and input on stdin, killed
 * after timeoutMs (0: no limit), on a worker thread.
 */
export async function runHook(
  path: string,
  argv: readonly string[],
  envp: readonly string[],
  input: string,
  timeoutMs: number,
): Promise<HookResult> {
  const strs = cstr([path, ...argv, ...envp, input].join("\0"));
  const out = new Uint8Array(4096);
  const args = ints(argv.length, envp.length, timeoutMs, out.length);
  const r = await core().tsr_call_blocking(FN.RUN_HOOK, args, strs, out);
  if (r === -ERRNO.ETIMEDOUT) return { timedOut: true, output: "" };
  const status = check(r, `run hook ${path}`);
  const output = new TextDecoder().decode(out.subarray(0, Number(args[4])));
  // wait status: low 7 bits the signal, else the exit code in bits 8..15
  return (status & 0x7f) === 0
    ? { timedOut: false, code: (status >> 8) & 0xff, output }
    : { timedOut: false, signal: status & 0x7f, output };
}

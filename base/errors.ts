/**
 * The one error type of tsrunc, and the one way an errno becomes words. Every layer may
 * import this module (cli, core and ffi); it imports nothing.
 *
 * Messages name the thing and the action, lowercase, no final period
 * (`config.json: process.args: expected array, got string`); the CLI prints one once, on
 * stderr, and exits 1.
 */

/** Options of a TsruncError. */
export interface TsruncErrorOptions {
  /** errno of the failing syscall, when there is one. */
  errno?: number;
  /** The wrapped error. */
  cause?: unknown;
}

/** An error tsrunc reports to its user. */
export class TsruncError extends Error {
  /** errno of the failing syscall, when there is one. */
  readonly errno?: number;

  constructor(message: string, options: TsruncErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "TsruncError";
    this.errno = options.errno;
  }
}

/**
 * Add context to any error on its way up: `context: message`. The context names the
 * thing (the path, the hook, the cgroup): of a Deno OS error only its reason is kept.
 */
export function wrapError(context: string, error: unknown): TsruncError {
  return new TsruncError(`${context}: ${describeFsError(error)}`, {
    cause: error,
    errno: errnoOf(error),
  });
}

/** errno values tsrunc branches on. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  ECHILD: 10,
  EACCES: 13,
  EBUSY: 16,
  EINVAL: 22,
  ENOSPC: 28,
  EPIPE: 32,
  ERANGE: 34,
  ETIMEDOUT: 110,
} as const;

/** errno, its name (as Deno's `code` gives it) and its words, as Go's syscall.Errno prints them. */
const ERRNOS: readonly [number, string, string][] = [
  [1, "EPERM", "operation not permitted"],
  [2, "ENOENT", "no such file or directory"],
  [3, "ESRCH", "no such process"],
  [4, "EINTR", "interrupted system call"],
  [5, "EIO", "input/output error"],
  [7, "E2BIG", "argument list too long"],
  [8, "ENOEXEC", "exec format error"],
  [9, "EBADF", "bad file descriptor"],
  [10, "ECHILD", "no child processes"],
  [11, "EAGAIN", "resource temporarily unavailable"],
  [12, "ENOMEM", "cannot allocate memory"],
  [13, "EACCES", "permission denied"],
  [16, "EBUSY", "device or resource busy"],
  [17, "EEXIST", "file exists"],
  [18, "EXDEV", "invalid cross-device link"],
  [19, "ENODEV", "no such device"],
  [20, "ENOTDIR", "not a directory"],
  [21, "EISDIR", "is a directory"],
  [22, "EINVAL", "invalid argument"],
  [24, "EMFILE", "too many open files"],
  [28, "ENOSPC", "no space left on device"],
  [30, "EROFS", "read-only file system"],
  [32, "EPIPE", "broken pipe"],
  [34, "ERANGE", "numerical result out of range"],
  [36, "ENAMETOOLONG", "file name too long"],
  [38, "ENOSYS", "function not implemented"],
  [39, "ENOTEMPTY", "directory not empty"],
  [40, "ELOOP", "too many levels of symbolic links"],
  [71, "EPROTO", "protocol error"],
  [95, "EOPNOTSUPP", "operation not supported"],
  [110, "ETIMEDOUT", "connection timed out"],
];

/** strerror-like lowercase words for an errno: "no such file or directory". */
export function errnoText(errno: number): string {
  return ERRNOS.find(([n]) => n === errno)?.[2] ?? `errno ${errno}`;
}

/**
 * The errno an error carries: a TsruncError's, or a Deno OS error's (its "(os error N)",
 * else its `code` name); undefined for any other error.
 */
export function errnoOf(error: unknown): number | undefined {
  if (error instanceof TsruncError) return error.errno;
  if (!(error instanceof Error)) return undefined;
  const match = / \(os error (\d+)\)/.exec(error.message);
  if (match) return Number(match[1]);
  if (error instanceof Deno.errors.NotFound) return ERRNO.ENOENT;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? ERRNOS.find(([, name]) => name === code)?.[0] : undefined;
}

/**
 * Deno's OS error split: "No space left on device (os error 28): writefile '/x'" is the
 * reason in words ("no space left on device", from the errno table where it is known) and
 * what Deno says it was doing ("writefile '/x'"). undefined for an error of another kind.
 */
function osErrorParts(error: unknown): { reason: string; doing?: string } | undefined {
  const errno = errnoOf(error);
  if (errno === undefined || error instanceof TsruncError) return undefined;
  const message = (error as Error).message;
  const [, text, doing] = /^(.*?)(?: \(os error \d+\))?(?:: (.*))?$/s.exec(message)!;
  const known = ERRNOS.some(([n]) => n === errno);
  const reason = known ? errnoText(errno) : text.replace(/^./, (c) => c.toLowerCase());
  return { reason, doing: doing || undefined };
}

/**
 * An error of a file operation in words, for a message that names the path itself:
 * "no such file or directory" (Deno's tail with its own wording of the path dropped).
 */
export function describeFsError(error: unknown): string {
  const parts = osErrorParts(error);
  if (parts) return parts.reason;
  return error instanceof Error ? error.message : String(error);
}

/**
 * An OS error that reached the top unwrapped, in one line with what Deno was doing:
 * "no space left on device: writefile '...'" (never Deno's "(os error 28)", never
 * "internal error"). undefined when the error is no OS error.
 */
export function osErrorText(error: unknown): string | undefined {
  const parts = osErrorParts(error);
  if (!parts) return undefined;
  return parts.doing ? `${parts.reason}: ${parts.doing}` : parts.reason;
}

/**
 * The one error type of tsrunc. Messages name the thing and the action, lowercase, no
 * final period (`config.json: process.args: expected array, got string`); the CLI prints
 * it once, on stderr, and exits 1.
 */

/** Options of a TsruncError. */
export interface TsruncErrorOptions {
  /** errno name or number of the failing syscall, when there is one. */
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
 * A Deno file-system error in words, lowercase, without Deno's "(os error N)" tail:
 * "no such file or directory".
 */
export function describeFsError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotADirectory) return "not a directory";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/ \(os error \d+\).*$/, "").replace(/^./, (c) => c.toLowerCase());
}

/**
 * An error from the operating system that reached the top unwrapped (Deno's file
 * errors carry an errno name in `code`): "no space left on device: writefile '...'",
 * without Deno's "(os error 28)" and without being called internal.
 */
export function osErrorText(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (!(error instanceof Error) || typeof code !== "string" || !/^E[A-Z0-9]+$/.test(code)) {
    return undefined;
  }
  return error.message.replace(/ \(os error \d+\)/, "").replace(/^./, (c) => c.toLowerCase());
}

/** Add context to any error on its way up: `context: message`. */
export function wrapError(context: string, error: unknown): TsruncError {
  const message = error instanceof Error ? error.message : String(error);
  return new TsruncError(`${context}: ${message}`, {
    cause: error,
    errno: error instanceof TsruncError ? error.errno : undefined,
  });
}

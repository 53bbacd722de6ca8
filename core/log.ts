/**
 * Warnings, errors and debug lines, as runc writes them: to the --log file when given
 * (`--log-format json`: {"level","msg","time"} lines, which containerd reads; text:
 * logrus' `time="..." level=... msg="..."`), and warnings also to stderr otherwise.
 */
import { describeFsError, TsruncError } from "../base/errors.ts";

/** Log settings from the global flags. */
export interface LogOptions {
  file?: string;
  format: "text" | "json";
  debug: boolean;
}

let options: LogOptions = { format: "text", debug: false };
let logFile: Deno.FsFile | undefined;

/**
 * Set the log destination once, from the global flags. The file is opened now (append,
 * created 0644), as runc does: a --log that cannot be opened fails the command.
 */
export function configureLog(next: LogOptions): void {
  options = next;
  if (!next.file) return;
  try {
    logFile = Deno.openSync(next.file, { append: true, create: true, mode: 0o644 });
  } catch (error) {
    options = { ...next, file: undefined };
    throw new TsruncError(`--log ${next.file}: cannot open it: ${describeFsError(error)}`);
  }
}

function write(level: "debug" | "info" | "warning" | "error", msg: string): void {
  const time = new Date().toISOString();
  // runc's (logrus') two formats, in the --log file or else on stderr
  const line = options.format === "json"
    ? JSON.stringify({ level, msg, time })
    : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  if (options.file) {
    try {
      logFile?.writeSync(new TextEncoder().encode(line + "\n"));
    } catch {
      // a broken log must not hide the real error, which still reaches stderr
    }
    return;
  }
  if (level === "error") return; // the CLI prints errors on stderr itself
  console.error(line);
}

/** A warning: the command goes on. */
export function warn(msg: string): void {
  write("warning", msg);
}

/** The error a command fails with (stderr gets it from the CLI). */
export function logError(msg: string): void {
  write("error", msg);
}

/** Debug detail, only with --debug. */
export function debug(msg: string): void {
  if (options.debug) write("debug", msg);
}

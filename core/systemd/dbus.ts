/**
 * A D-Bus connection over a unix socket: EXTERNAL authentication (the kernel tells the
 * peer our uid), method calls with their replies, and the signals that arrive meanwhile.
 * Enough for systemd's manager API; see dbus_wire.ts for the format.
 *
 * Every wait has a time-out: a bus or systemd that does not answer is an error, never a
 * hang.
 */
import { TsruncError, wrapError } from "../../base/errors.ts";
import {
  type DBusValue,
  decodeMessage,
  encodeMessage,
  MESSAGE,
  type Message,
  messageLength,
} from "./dbus_wire.ts";

/** A method call. */
export interface Call {
  destination?: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: DBusValue[];
}

/** A D-Bus error reply, named as the bus names it (org.freedesktop.systemd1.NoSuchUnit). */
export class DBusError extends TsruncError {
  constructor(readonly errorName: string, text: string) {
    super(`${errorName}: ${text}`);
  }
}

/** How long a call may take before it is an error. */
const CALL_TIMEOUT_MS = 30_000;

export class DBusConnection {
  #serial = 0;
  #buffer = new Uint8Array(0);
  /** Signals received while waiting for replies, oldest first. */
  readonly signals: Message[] = [];

  private constructor(readonly conn: Deno.UnixConn) {}

  /**
   * Connect to the socket at `path` and authenticate. A bus (not a peer such as systemd's
   * private socket) wants Hello() first: `hello`.
   */
  static async open(path: string, options: { hello: boolean }): Promise<DBusConnection> {
    let conn: Deno.UnixConn;
    try {
      conn = await Deno.connect({ transport: "unix", path });
    } catch (error) {
      throw wrapError(`connect to D-Bus socket ${path}`, error);
    }
    const bus = new DBusConnection(conn);
    try {
      await bus.#authenticate();
      if (options.hello) {
        await bus.call({
          destination: "org.freedesktop.DBus",
          path: "/org/freedesktop/DBus",
          interface: "org.freedesktop.DBus",
          member: "Hello",
        });
      }
    } catch (error) {
      bus.close();
      throw error;
    }
    return bus;
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }

  async #authenticate(): Promise<void> {
    const uid = String(Deno.uid());
    const hex = [...uid].map((c) => c.charCodeAt(0).toString(16)).join("");
    await this.#write(new TextEncoder().encode(`\0AUTH EXTERNAL ${hex}\r\n`));
    const answer = await this.#readLine();
    if (!answer.startsWith("OK ")) {
      throw new TsruncError(`D-Bus authentication refused: ${answer.trim()}`);
    }
    await this.#write(new TextEncoder().encode("BEGIN\r\n"));
  }

  /** Call a method; resolves with the reply's body, rejects with a DBusError. */
  async call(call: Call): Promise<DBusValue[]> {
    const serial = ++this.#serial;
    await this.#write(encodeMessage({
      type: MESSAGE.METHOD_CALL,
      flags: 0,
      serial,
      destination: call.destination,
      path: call.path,
      interface: call.interface,
      member: call.member,
      signature: call.signature ?? "",
      body: call.body ?? [],
    }));
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    for (;;) {
      const m = await this.#readMessage(deadline, `the reply to ${call.member}`);
      if (m.type === MESSAGE.SIGNAL) {
        this.signals.push(m);
        continue;
      }
      if (m.replySerial !== serial) continue;
      if (m.type === MESSAGE.ERROR) {
        const text = typeof m.body[0] === "string" ? m.body[0] : "(no message)";
        throw new DBusError(m.errorName ?? "unknown error", text);
      }
      return m.body;
    }
  }

  /** The next signal that `matches`, waiting up to timeoutMs for it. */
  async waitSignal(matches: (m: Message) => boolean, timeoutMs: number, what: string) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const queued = this.signals.findIndex(matches);
      if (queued >= 0) return this.signals.splice(queued, 1)[0];
      const m = await this.#readMessage(deadline, what);
      if (m.type === MESSAGE.SIGNAL) this.signals.push(m);
    }
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
  }

  async #fill(deadline: number, what: string): Promise<void> {
    const chunk = new Uint8Array(65536);
    const left = deadline - Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), left));
    const read = this.conn.read(chunk);
    // A read still pending when the time-out wins fails once the connection is closed:
    // that is no error of anybody's.
    read.catch(() => {});
    try {
      const n = await Promise.race([read, timeout]);
      if (n === null && Date.now() >= deadline) {
        throw new TsruncError(`D-Bus: no answer within ${CALL_TIMEOUT_MS / 1000} s (${what})`);
      }
      if (n === null) throw new TsruncError(`D-Bus: the connection closed (${what})`);
      const joined = new Uint8Array(this.#buffer.length + n);
      joined.set(this.#buffer);
      joined.set(chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = joined;
    } finally {
      clearTimeout(timer);
    }
  }

  async #readLine(): Promise<string> {
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    for (;;) {
      const end = this.#buffer.indexOf(10);
      if (end >= 0) {
        const line = new TextDecoder().decode(this.#buffer.subarray(0, end + 1));
        this.#buffer = this.#buffer.slice(end + 1);
        return line;
      }
      await this.#fill(deadline, "the authentication");
    }
  }

  async #readMessage(deadline: number, what: string): Promise<Message> {
    for (;;) {
      const length = messageLength(this.#buffer);
      if (length !== undefined) {
        const m = decodeMessage(this.#buffer.subarray(0, length));
        this.#buffer = this.#buffer.slice(length);
        return m;
      }
      await this.#fill(deadline, what);
    }
  }
}

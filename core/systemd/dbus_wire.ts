/**
 * The D-Bus wire format (little-endian), as much as talking to systemd needs: marshal and
 * unmarshal values by their type signature, and whole messages. Pure, no I/O.
 *
 * Values in JavaScript: `s o g` strings; `b` boolean; `y n q i u h` numbers; `x t` bigint
 * (a number is accepted when marshalling); `a` arrays (a dict `a{kv}` is an array of
 * [key, value] pairs); structs `(...)` arrays of their fields; `v` a Variant.
 *
 * Written here rather than taken from npm: the npm clients (dbus-next, dbus-native) are
 * built on Node's net, events and Buffer, which load Deno's Node layer (10-25 ms per
 * call); this is all the systemd driver uses, loaded only with --systemd-cgroup.
 */

/** A value with its own signature (`v`). */
export interface Variant {
  sig: string;
  value: DBusValue;
}

/** What a D-Bus value is in JavaScript (see the module comment). */
export type DBusValue =
  | string
  | number
  | bigint
  | boolean
  | Variant
  | DBusValue[]
  | [DBusValue, DBusValue][];

/** Message types. */
export const MESSAGE = { METHOD_CALL: 1, METHOD_RETURN: 2, ERROR: 3, SIGNAL: 4 } as const;

/** Header field codes. */
const FIELD = {
  PATH: 1,
  INTERFACE: 2,
  MEMBER: 3,
  ERROR_NAME: 4,
  REPLY_SERIAL: 5,
  DESTINATION: 6,
  SENDER: 7,
  SIGNATURE: 8,
} as const;

/** A whole message, header fields by name. */
export interface Message {
  type: number;
  flags: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  body: DBusValue[];
}

const ALIGN: Readonly<Record<string, number>> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  h: 4,
  x: 8,
  t: 8,
  d: 8,
  s: 4,
  o: 4,
  g: 1,
  a: 4,
  "(": 8,
  "{": 8,
  v: 1,
};

/** Split a signature into its complete types: "sa(sv)u" → ["s", "a(sv)", "u"]. */
export function splitSignature(sig: string): string[] {
  const types: string[] = [];
  let i = 0;
  while (i < sig.length) {
    const end = typeEnd(sig, i);
    types.push(sig.slice(i, end));
    i = end;
  }
  return types;
}

function typeEnd(sig: string, at: number): number {
  const c = sig[at];
  if (c === "a") return typeEnd(sig, at + 1);
  if (c === "(" || c === "{") {
    const close = c === "(" ? ")" : "}";
    let i = at + 1;
    while (sig[i] !== close) {
      if (i >= sig.length) throw new Error(`bad D-Bus signature "${sig}"`);
      i = typeEnd(sig, i);
    }
    return i + 1;
  }
  if (ALIGN[c] === undefined) throw new Error(`bad D-Bus signature "${sig}"`);
  return at + 1;
}

/** Builds a byte stream with D-Bus alignment (offsets from the start of the message). */
class Writer {
  #bytes = new Uint8Array(256);
  #view = new DataView(this.#bytes.buffer);
  length = 0;

  #grow(n: number): void {
    if (this.length + n <= this.#bytes.length) return;
    const bigger = new Uint8Array(Math.max(this.#bytes.length * 2, this.length + n));
    bigger.set(this.#bytes);
    this.#bytes = bigger;
    this.#view = new DataView(bigger.buffer);
  }

  pad(align: number): void {
    const n = (align - (this.length % align)) % align;
    this.#grow(n);
    this.#bytes.fill(0, this.length, this.length + n);
    this.length += n;
  }

  u8(v: number): void {
    this.#grow(1);
    this.#view.setUint8(this.length++, v);
  }

  u32(v: number): void {
    this.pad(4);
    this.#grow(4);
    this.#view.setUint32(this.length, v, true);
    this.length += 4;
  }

  setU32(at: number, v: number): void {
    this.#view.setUint32(at, v, true);
  }

  raw(bytes: Uint8Array): void {
    this.#grow(bytes.length);
    this.#bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  value(type: string, v: DBusValue): void {
    const view = () => {
      this.pad(ALIGN[type[0]]);
      this.#grow(8);
      return this.#view;
    };
    switch (type[0]) {
      case "y":
        return this.u8(v as number);
      case "b":
        return this.u32(v ? 1 : 0);
      case "n":
        view().setInt16(this.length, v as number, true);
        this.length += 2;
        return;
      case "q":
        view().setUint16(this.length, v as number, true);
        this.length += 2;
        return;
      case "i":
        view().setInt32(this.length, v as number, true);
        this.length += 4;
        return;
      case "u":
      case "h":
        return this.u32(v as number);
      case "x":
        view().setBigInt64(this.length, BigInt(v as number | bigint), true);
        this.length += 8;
        return;
      case "t":
        view().setBigUint64(this.length, BigInt(v as number | bigint), true);
        this.length += 8;
        return;
      case "d":
        view().setFloat64(this.length, v as number, true);
        this.length += 8;
        return;
      case "s":
      case "o": {
        const bytes = new TextEncoder().encode(v as string);
        this.u32(bytes.length);
        this.raw(bytes);
        return this.u8(0);
      }
      case "g": {
        const bytes = new TextEncoder().encode(v as string);
        this.u8(bytes.length);
        this.raw(bytes);
        return this.u8(0);
      }
      case "v": {
        const variant = v as Variant;
        this.value("g", variant.sig);
        return this.value(variant.sig, variant.value);
      }
      case "(":
      case "{": {
        this.pad(8);
        const fields = splitSignature(type.slice(1, -1));
        const values = v as DBusValue[];
        fields.forEach((field, i) => this.value(field, values[i]));
        return;
      }
      case "a": {
        const element = type.slice(1);
        this.u32(0);
        const lengthAt = this.length - 4;
        this.pad(ALIGN[element[0]]);
        const start = this.length;
        for (const item of v as DBusValue[]) this.value(element, item);
        this.setU32(lengthAt, this.length - start);
        return;
      }
    }
    throw new Error(`cannot marshal D-Bus type "${type}"`);
  }

  bytes(): Uint8Array {
    return this.#bytes.slice(0, this.length);
  }
}

/** Reads a byte stream with D-Bus alignment. */
class Reader {
  readonly #view: DataView;
  at: number;

  constructor(readonly bytes: Uint8Array, at = 0) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = at;
  }

  #take(align: number, size: number): number {
    this.at += (align - (this.at % align)) % align;
    const at = this.at;
    if (at + size > this.bytes.length) throw new Error("D-Bus message ends early");
    this.at += size;
    return at;
  }

  value(type: string): DBusValue {
    switch (type[0]) {
      case "y":
        return this.#view.getUint8(this.#take(1, 1));
      case "b":
        return this.#view.getUint32(this.#take(4, 4), true) !== 0;
      case "n":
        return this.#view.getInt16(this.#take(2, 2), true);
      case "q":
        return this.#view.getUint16(this.#take(2, 2), true);
      case "i":
        return this.#view.getInt32(this.#take(4, 4), true);
      case "u":
      case "h":
        return this.#view.getUint32(this.#take(4, 4), true);
      case "x":
        return this.#view.getBigInt64(this.#take(8, 8), true);
      case "t":
        return this.#view.getBigUint64(this.#take(8, 8), true);
      case "d":
        return this.#view.getFloat64(this.#take(8, 8), true);
      case "s":
      case "o": {
        const length = this.#view.getUint32(this.#take(4, 4), true);
        const at = this.#take(1, length + 1);
        return new TextDecoder().decode(this.bytes.subarray(at, at + length));
      }
      case "g": {
        const length = this.#view.getUint8(this.#take(1, 1));
        const at = this.#take(1, length + 1);
        return new TextDecoder().decode(this.bytes.subarray(at, at + length));
      }
      case "v": {
        const sig = this.value("g") as string;
        return { sig, value: this.value(sig) };
      }
      case "(":
      case "{": {
        this.#take(8, 0);
        return splitSignature(type.slice(1, -1)).map((field) => this.value(field));
      }
      case "a": {
        const element = type.slice(1);
        const length = this.#view.getUint32(this.#take(4, 4), true);
        this.#take(ALIGN[element[0]], 0);
        const end = this.at + length;
        const items: DBusValue[] = [];
        while (this.at < end) items.push(this.value(element));
        return items;
      }
    }
    throw new Error(`cannot unmarshal D-Bus type "${type}"`);
  }
}

/** Marshal values of a signature on their own (offset 0), for tests. */
export function marshal(sig: string, values: DBusValue[]): Uint8Array {
  const w = new Writer();
  splitSignature(sig).forEach((type, i) => w.value(type, values[i]));
  return w.bytes();
}

/** Unmarshal values of a signature from bytes that start at offset 0. */
export function unmarshal(sig: string, bytes: Uint8Array): DBusValue[] {
  const r = new Reader(bytes);
  return splitSignature(sig).map((type) => r.value(type));
}

/** A whole message in wire form. */
export function encodeMessage(m: Omit<Message, "sender" | "errorName">): Uint8Array {
  const body = new Writer();
  splitSignature(m.signature).forEach((type, i) => body.value(type, m.body[i]));
  const fields: [number, Variant][] = [];
  if (m.path) fields.push([FIELD.PATH, { sig: "o", value: m.path }]);
  if (m.interface) fields.push([FIELD.INTERFACE, { sig: "s", value: m.interface }]);
  if (m.member) fields.push([FIELD.MEMBER, { sig: "s", value: m.member }]);
  if (m.replySerial) fields.push([FIELD.REPLY_SERIAL, { sig: "u", value: m.replySerial }]);
  if (m.destination) fields.push([FIELD.DESTINATION, { sig: "s", value: m.destination }]);
  if (m.signature) fields.push([FIELD.SIGNATURE, { sig: "g", value: m.signature }]);
  const w = new Writer();
  w.u8("l".charCodeAt(0));
  w.u8(m.type);
  w.u8(m.flags);
  w.u8(1);
  w.u32(body.length);
  w.u32(m.serial);
  w.value("a(yv)", fields);
  w.pad(8);
  w.raw(body.bytes());
  return w.bytes();
}

/** How many bytes the message at the start of `bytes` takes; undefined if not all there. */
export function messageLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 16) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== "l".charCodeAt(0)) throw new Error("big-endian D-Bus messages are not read");
  const bodyLength = view.getUint32(4, true);
  const fieldsLength = view.getUint32(12, true);
  const headerEnd = 16 + fieldsLength + ((8 - ((16 + fieldsLength) % 8)) % 8);
  const total = headerEnd + bodyLength;
  return bytes.length >= total ? total : undefined;
}

/** Decode one whole message (messageLength() bytes). */
export function decodeMessage(bytes: Uint8Array): Message {
  const r = new Reader(bytes, 0);
  r.value("y"); // endianness, checked by messageLength
  const type = r.value("y") as number;
  const flags = r.value("y") as number;
  r.value("y"); // protocol version
  const bodyLength = r.value("u") as number;
  const serial = r.value("u") as number;
  const fields = r.value("a(yv)") as [number, Variant][];
  const m: Message = { type, flags, serial, signature: "", body: [] };
  for (const [code, { value }] of fields) {
    if (code === FIELD.PATH) m.path = value as string;
    else if (code === FIELD.INTERFACE) m.interface = value as string;
    else if (code === FIELD.MEMBER) m.member = value as string;
    else if (code === FIELD.ERROR_NAME) m.errorName = value as string;
    else if (code === FIELD.REPLY_SERIAL) m.replySerial = value as number;
    else if (code === FIELD.DESTINATION) m.destination = value as string;
    else if (code === FIELD.SENDER) m.sender = value as string;
    else if (code === FIELD.SIGNATURE) m.signature = value as string;
  }
  r.at += (8 - (r.at % 8)) % 8;
  // The body's alignment counts from its own start (it starts 8-aligned).
  const body = new Reader(bytes.subarray(r.at, r.at + bodyLength));
  m.body = splitSignature(m.signature).map((t) => body.value(t));
  return m;
}

/** The D-Bus wire format: byte-exact values, alignment, whole messages. */
import { assertEquals, assertThrows } from "../../_assert.ts";
import {
  decodeMessage,
  encodeMessage,
  marshal,
  MESSAGE,
  messageLength,
  splitSignature,
  unmarshal,
} from "../../../../core/systemd/dbus_wire.ts";

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("splitSignature() splits into complete types", () => {
  assertEquals(splitSignature("ssa(sv)a(sa(sv))"), ["s", "s", "a(sv)", "a(sa(sv))"]);
  assertEquals(splitSignature("a{sv}ub"), ["a{sv}", "u", "b"]);
  assertThrows(() => splitSignature("a(s"), /bad D-Bus signature/);
});

Deno.test("marshal() writes the spec's byte layout, aligned from the start", () => {
  assertEquals(hex(marshal("s", ["ab"])), "02 00 00 00 61 62 00");
  assertEquals(hex(marshal("g", ["as"])), "02 61 73 00");
  assertEquals(hex(marshal("yb", [7, true])), "07 00 00 00 01 00 00 00");
  // an array of structs: length (excluding the padding to the first element), then
  // each struct 8-aligned
  assertEquals(
    hex(marshal("ya(t)", [1, [[2n]]])),
    "01 00 00 00 08 00 00 00 02 00 00 00 00 00 00 00",
  );
  // a variant carries its signature
  assertEquals(hex(marshal("v", [{ sig: "u", value: 5 }])), "01 75 00 00 05 00 00 00");
  // an empty array of 8-aligned elements still pads to the element alignment
  assertEquals(hex(marshal("ua(sv)", [9, []])), "09 00 00 00 00 00 00 00");
});

Deno.test("unmarshal() reads back what marshal() wrote", () => {
  const sig = "ssa(sv)a(sa(sv))tbay";
  const values = [
    "tsrunc-c1.scope",
    "fail",
    [
      ["Delegate", { sig: "b", value: true }],
      ["PIDs", { sig: "au", value: [42] }],
      ["MemoryMax", { sig: "t", value: 1048576n }],
      ["DeviceAllow", { sig: "a(ss)", value: [["/dev/null", "rwm"]] }],
    ],
    [],
    18446744073709551615n,
    false,
    [1, 2, 3],
  ];
  assertEquals(unmarshal(sig, marshal(sig, values)), values);
});

Deno.test("a whole message round-trips and its length is known from its header", () => {
  const bytes = encodeMessage({
    type: MESSAGE.METHOD_CALL,
    flags: 0,
    serial: 3,
    destination: "org.freedesktop.systemd1",
    path: "/org/freedesktop/systemd1",
    interface: "org.freedesktop.systemd1.Manager",
    member: "StopUnit",
    signature: "ss",
    body: ["c1.scope", "replace"],
  });
  assertEquals(messageLength(bytes), bytes.length);
  assertEquals(messageLength(bytes.subarray(0, bytes.length - 1)), undefined);
  assertEquals(messageLength(bytes.subarray(0, 10)), undefined);
  const m = decodeMessage(bytes);
  assertEquals(
    [m.type, m.serial, m.path, m.interface, m.member, m.destination, m.signature, m.body],
    [
      MESSAGE.METHOD_CALL,
      3,
      "/org/freedesktop/systemd1",
      "org.freedesktop.systemd1.Manager",
      "StopUnit",
      "org.freedesktop.systemd1",
      "ss",
      ["c1.scope", "replace"],
    ],
  );
});

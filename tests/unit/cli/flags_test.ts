import { type FlagSpec, parseFlags } from "../../../cli/flags.ts";
import { parseSignal } from "../../../cli/signals.ts";
import { assertEquals, assertThrows } from "../_assert.ts";

const SPECS: FlagSpec[] = [
  { name: "bundle", short: "b", kind: "string", usage: "" },
  { name: "detach", short: "d", kind: "bool", usage: "" },
  { name: "preserve-fds", kind: "int", usage: "", default: 0 },
  { name: "env", short: "e", kind: "list", usage: "" },
];

Deno.test("parseFlags() takes --flag value, --flag=value and -f value", () => {
  const parsed = parseFlags(
    ["--bundle", "/b", "-d", "--preserve-fds=2", "-e", "A=1", "--env=B=2", "id"],
    SPECS,
    false,
    "t",
  );
  assertEquals(parsed.flags, {
    bundle: "/b",
    detach: true,
    "preserve-fds": 2,
    env: ["A=1", "B=2"],
  });
  assertEquals(parsed.args, ["id"]);
});

Deno.test("parseFlags() accepts flags after arguments unless told to stop at the first", () => {
  assertEquals(parseFlags(["id", "-d"], SPECS, false, "t").flags.detach, true);
  const exec = parseFlags(["-d", "id", "sh", "-c", "x"], SPECS, true, "t");
  assertEquals(exec.args, ["id", "sh", "-c", "x"]);
});

Deno.test("parseFlags() ends flags at --", () => {
  assertEquals(parseFlags(["--", "-d"], SPECS, false, "t").args, ["-d"]);
});

Deno.test("parseFlags() rejects unknown flags, missing values and bad numbers", () => {
  assertThrows(
    () => parseFlags(["--nope"], SPECS, false, "t"),
    "t: flag provided but not defined: -nope",
  );
  assertThrows(
    () => parseFlags(["--bundle"], SPECS, false, "t"),
    "t: flag needs an argument: -bundle",
  );
  assertThrows(() => parseFlags(["--preserve-fds", "x"], SPECS, false, "t"), /expected a number/);
  assertThrows(() => parseFlags(["--detach=maybe"], SPECS, false, "t"), /invalid boolean/);
});

Deno.test("parseSignal() takes names with or without SIG, in any case, and numbers", () => {
  assertEquals(parseSignal("KILL"), 9);
  assertEquals(parseSignal("SIGKILL"), 9);
  assertEquals(parseSignal("sigusr1"), 10);
  assertEquals(parseSignal("15"), 15);
  assertEquals(parseSignal("0"), 0); // existence check, as runc
  assertEquals(parseSignal("RTMIN+2"), 36);
  assertThrows(() => parseSignal("NOPE"), 'unknown signal "NOPE"');
  assertThrows(() => parseSignal("99"), "invalid signal number 99");
});

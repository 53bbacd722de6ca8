import { filterPsOutput } from "../../../cli/ps.ts";
import { assertEquals, assertThrows } from "../_assert.ts";

const EF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init
root        7537       1  0 12:12 ?        00:00:00 sleep 200
root        7543    7537  0 12:12 ?        00:00:00 sleep 100
root        7600       1  0 12:12 ?        00:00:00 runc init
`;

Deno.test("filterPsOutput() keeps the header and the lines of the given pids", () => {
  assertEquals(
    filterPsOutput(EF, [7537, 7543]),
    `UID          PID    PPID  C STIME TTY          TIME CMD
root        7537       1  0 12:12 ?        00:00:00 sleep 200
root        7543    7537  0 12:12 ?        00:00:00 sleep 100
`,
  );
});

Deno.test("filterPsOutput() does not match a pid in another column", () => {
  // 7537 is the PPID of 7543: only the line whose PID is 7537 is kept.
  assertEquals(
    filterPsOutput(EF, [7537]),
    `UID          PID    PPID  C STIME TTY          TIME CMD
root        7537       1  0 12:12 ?        00:00:00 sleep 200
`,
  );
});

Deno.test("filterPsOutput() finds the PID column when it is not the first", () => {
  const output = `USER       PID COMMAND
root         1 init
root        42 sleep
nobody      43 sh
`;
  assertEquals(
    filterPsOutput(output, [42, 43]),
    "USER       PID COMMAND\nroot        42 sleep\nnobody      43 sh\n",
  );
});

Deno.test("filterPsOutput() reads a header that starts with spaces", () => {
  assertEquals(
    filterPsOutput("  PID COMMAND\n    1 init\n   42 sleep\n", [42]),
    "  PID COMMAND\n   42 sleep\n",
  );
});

Deno.test("filterPsOutput() prints only the header when no pid matches", () => {
  assertEquals(filterPsOutput(EF, []), EF.split("\n")[0] + "\n");
});

Deno.test("filterPsOutput() skips blank lines", () => {
  assertEquals(
    filterPsOutput("  PID CMD\n\n   42 sleep\n   \n\n   43 sh", [42, 43]),
    "  PID CMD\n   42 sleep\n   43 sh\n",
  );
});

Deno.test("filterPsOutput() fails when the header has no PID column", () => {
  assertThrows(
    () => filterPsOutput("COMMAND\ninit\nsleep\n", [1]),
    "couldn't find PID field in ps output",
  );
  assertThrows(() => filterPsOutput("", [1]), "couldn't find PID field in ps output");
  // PPID is not PID.
  assertThrows(() => filterPsOutput(" PPID CMD\n  1 x\n", [1]), /couldn't find PID field/);
});

Deno.test("filterPsOutput() fails on a line whose PID field is not a number", () => {
  // comm with a space before the PID column shifts the fields, as with runc.
  assertThrows(
    () => filterPsOutput("COMMAND           PID\nrunc init        42\n", [42]),
    'unable to parse pid: "init"',
  );
});

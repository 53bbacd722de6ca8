/** tsrunc ps on real containers, as runc ps behaves. */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { type Bundle, ok, type Result, sleep, uniqueId, withBundle } from "./_helpers.ts";

/** Two processes: the init (sleep 200) and its child (sleep 100). */
const TWO = ["sh", "-c", "exec >/dev/null 2>&1 </dev/null; sleep 100 & exec sleep 200"];

function failsWithOneLine(result: Result, pattern: RegExp): void {
  assertEquals(result.code, 1, `expected exit 1, got ${result.code}: ${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, `expected one stderr line, got: ${result.stderr}`);
  assertMatch(lines[0], pattern);
  assertEquals(result.stdout, "", "nothing on stdout");
}

/** Host pids in the pid namespace of pid, from /proc, sorted. */
function pidsInNamespaceOf(pid: number): number[] {
  const ns = Deno.readLinkSync(`/proc/${pid}/ns/pid`);
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${entry.name}/ns/pid`) === ns) pids.push(Number(entry.name));
    } catch {
      // exited meanwhile
    }
  }
  return pids.sort((a, b) => a - b);
}

/** Run TWO detached; returns the init's pid once both processes are there. */
async function startTwo(b: Bundle, id: string): Promise<number> {
  b.config.process.args = TWO;
  b.save();
  ok(await b.run(["run", "-d", id]), "run -d");
  const pid = JSON.parse(ok(await b.run(["state", id]), "state").stdout).pid;
  for (let i = 0; i < 100 && pidsInNamespaceOf(pid).length < 2; i++) {
    await sleep(20);
  }
  assertEquals(pidsInNamespaceOf(pid).length, 2, "the container runs two processes");
  return pid;
}

/** The PID column of ps output (header first). */
function pidColumn(output: string): number[] {
  const [header, ...lines] = output.trimEnd().split("\n");
  const index = header.trim().split(/\s+/).indexOf("PID");
  assert(index >= 0, `no PID column in ${header}`);
  return lines.map((l) => Number(l.trim().split(/\s+/)[index])).sort((a, b) => a - b);
}

Deno.test("ps shows the container's processes with ps -ef, and no host process", async () => {
  await withBundle(["true"], async (b) => {
    const id = uniqueId("ps");
    const init = await startTwo(b, id);
    const result = ok(await b.run(["ps", id]), "ps");
    const [header, ...lines] = result.stdout.trimEnd().split("\n");
    assertMatch(header, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    assertEquals(lines.length, 2, result.stdout);
    assertEquals(pidColumn(result.stdout), pidsInNamespaceOf(init));
    assert(!pidColumn(result.stdout).includes(Deno.pid), "the test itself is not listed");
    assert(lines.some((l) => / sleep 200$/.test(l)), result.stdout);
    assert(lines.some((l) => / sleep 100$/.test(l)), result.stdout);
    assertEquals(result.stderr, "");
  });
});

Deno.test("ps --format json prints the host pids found through /proc", async () => {
  await withBundle(["true"], async (b) => {
    const id = uniqueId("psjson");
    const init = await startTwo(b, id);
    const expected = pidsInNamespaceOf(init);
    assert(expected.includes(init));
    for (const args of [["ps", "--format", "json", id], ["ps", "-f", "json", id]]) {
      const result = ok(await b.run(args), args.join(" "));
      assertEquals(result.stdout, JSON.stringify(expected) + "\n");
    }
  });
});

Deno.test("ps passes the options after the id to ps, with or without --", async () => {
  await withBundle(["true"], async (b) => {
    const id = uniqueId("psopts");
    const init = await startTwo(b, id);
    for (const opts of [["--", "-o", "pid,comm"], ["-o", "pid,comm"]]) {
      const result = ok(await b.run(["ps", id, ...opts]), `ps ${opts.join(" ")}`);
      const [header, ...lines] = result.stdout.trimEnd().split("\n");
      assertMatch(header, /^\s*PID\s+COMMAND$/);
      assertEquals(lines.map((l) => l.trim().split(/\s+/)[1]), ["sleep", "sleep"]);
      assertEquals(pidColumn(result.stdout), pidsInNamespaceOf(init));
    }
    // PID need not be the first column.
    const user = ok(await b.run(["ps", id, "-o", "user,pid,comm"]), "ps -o user,pid,comm");
    assertEquals(pidColumn(user.stdout), pidsInNamespaceOf(init));
    assert(user.stdout.split("\n")[1].startsWith("root "), user.stdout);
  });
});

Deno.test("ps of a created container shows its waiting init", async () => {
  await withBundle(["sleep", "30"], async (b) => {
    const id = uniqueId("pscreated");
    ok(await b.run(["create", id]), "create");
    const init = JSON.parse(ok(await b.run(["state", id]), "state").stdout).pid;
    const json = ok(await b.run(["ps", "-f", "json", id]), "ps -f json");
    assertEquals(JSON.parse(json.stdout), [init]);
    const table = ok(await b.run(["ps", id]), "ps");
    assertEquals(pidColumn(table.stdout), [init]);
  });
});

Deno.test("ps of a stopped container prints no process (as runc); an unknown id fails with one line", async () => {
  await withBundle(["true"], async (b) => {
    const id = uniqueId("psstopped");
    ok(await b.run(["create", id]), "create");
    ok(await b.run(["start", id]), "start");
    for (let i = 0; i < 100; i++) {
      if (JSON.parse(ok(await b.run(["state", id]), "state").stdout).status === "stopped") break;
      await sleep(20);
    }
    const table = ok(await b.run(["ps", id]), "ps");
    assertEquals(
      table.stdout.split("\n").filter(Boolean).length,
      1,
      `not the header only: ${table.stdout}`,
    );
    assertMatch(table.stdout, /^\s*UID\s+PID\s/);
    assertEquals(ok(await b.run(["ps", "-f", "json", id]), "ps json").stdout, "[]\n");
    const unknown = uniqueId("nosuch");
    failsWithOneLine(await b.run(["ps", unknown]), new RegExp(`${unknown} does not exist`));
  });
});

Deno.test("ps rejects an unknown format, a PID-less table and a failing ps", async () => {
  await withBundle(["true"], async (b) => {
    const id = uniqueId("psbad");
    await startTwo(b, id);
    failsWithOneLine(await b.run(["ps", "--format", "yaml", id]), /invalid format option "yaml"/);
    failsWithOneLine(
      await b.run(["ps", id, "-o", "comm"]),
      /couldn't find PID field in ps output/,
    );
    failsWithOneLine(await b.run(["ps", id, "-Q"]), /^tsrunc: ps -Q: exit status 1: error: /);
    failsWithOneLine(await b.run(["ps"]), /requires at least 1 argument/);
  });
});

/**
 * The container lifecycle through the CLI: run, create, start, state, list, kill and
 * delete, what each prints and exits with, what it leaves in the state root, and what
 * the host sees of the container's processes. runc 1.1 is the reference.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import {
  alive,
  type Bundle,
  exists,
  IS_ROOT,
  ok,
  sleep,
  uniqueId,
  waitFor,
  withBundle,
} from "./_helpers.ts";

const ignore = !IS_ROOT;

/** Insist stderr is exactly one non-empty line. */
function assertOneLine(stderr: string, what: string): void {
  assert(
    stderr.endsWith("\n"),
    `${what}: stderr does not end with a newline: ${JSON.stringify(stderr)}`,
  );
  assertEquals(
    stderr.trimEnd().split("\n").length,
    1,
    `${what}: stderr is not one line: ${JSON.stringify(stderr)}`,
  );
  assert(stderr.trim().length > 0, `${what}: stderr is empty`);
}

// deno-lint-ignore no-explicit-any
type State = any;

/** `tsrunc state id`, parsed. */
async function stateOf(b: Bundle, id: string): Promise<State> {
  const r = ok(await b.run(["state", id]), `state ${id}`);
  return JSON.parse(r.stdout);
}

async function statusOf(b: Bundle, id: string): Promise<string> {
  return (await stateOf(b, id)).status;
}

/** Bind-mount a fresh host directory at /host in the container; returns its host path. */
function hostDir(b: Bundle): string {
  const dir = `${b.dir}/host`;
  Deno.mkdirSync(dir);
  Deno.mkdirSync(`${b.rootfs}/host`);
  b.config.mounts.push({
    destination: "/host",
    type: "bind",
    source: dir,
    options: ["rbind", "rw"],
  });
  return dir;
}

/** Set args, save, create id and return its state. */
async function create(b: Bundle, id: string, args?: string[]): Promise<State> {
  if (args) b.config.process.args = args;
  b.save();
  ok(await b.run(["create", id]), `create ${id}`);
  return await stateOf(b, id);
}

/** create + start; returns the running state. */
async function startRunning(b: Bundle, id: string, args?: string[]): Promise<State> {
  await create(b, id, args);
  ok(await b.run(["start", id]), `start ${id}`);
  await waitFor(`${id} running`, async () => (await statusOf(b, id)) === "running");
  return await stateOf(b, id);
}

/** Host pids of the processes in the pid namespace of `pid` (including it). */
function pidsInNamespaceOf(pid: number): number[] {
  const ns = Deno.readLinkSync(`/proc/${pid}/ns/pid`);
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    const n = Number(e.name);
    if (!Number.isInteger(n)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${n}/ns/pid`) === ns && alive(n)) out.push(n);
    } catch { /* gone */ }
  }
  return out;
}

Deno.test({
  name: "run prints the container's output and exits with its status",
  ignore,
  fn: () =>
    withBundle(["sh", "-c", "echo hello from inside; echo on stderr >&2; exit 3"], async (b) => {
      const r = await b.run(["run", uniqueId("life")]);
      assertEquals(r.code, 3, `stderr: ${r.stderr}`);
      assertEquals(r.stdout, "hello from inside\n");
      assertEquals(r.stderr, "on stderr\n");
      // Without --keep the stopped container is deleted.
      assertEquals(exists(b.root) ? [...Deno.readDirSync(b.root)].length : 0, 0);
    }),
});

Deno.test({
  name: "run exits 0 when the container's process succeeds",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const r = await b.run(["run", uniqueId("life")]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
    }),
});

Deno.test({
  name: "run exits 128+9 when the container's init is killed with SIGKILL through tsrunc kill",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("life");
      const running = b.run(["run", id]);
      await waitFor("the container to run", async () => {
        const r = await b.run(["state", id]);
        return r.code === 0 && JSON.parse(r.stdout).status === "running";
      }, 10000);
      ok(await b.run(["kill", id, "KILL"]), "kill");
      const r = await running;
      assertEquals(r.code, 137, `stderr: ${r.stderr}`);
    }),
});

Deno.test({
  name: "run passes on the init's exit status 143 for a child it saw killed by SIGTERM",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      // A child of sh killed by SIGTERM makes sh exit 143: run must not confuse that
      // with its own signal reporting.
      b.config.process.args = ["sh", "-c", "sleep 100 & kill -TERM $!; wait $!; exit $?"];
      b.save();
      const r = await b.run(["run", uniqueId("life")]);
      assertEquals(r.code, 143, `stderr: ${r.stderr}`);
    }),
});

Deno.test({
  name: "create leaves a created container with a live init whose user process has not run",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const host = hostDir(b);
      const id = uniqueId("life");
      const pidFile = `${b.dir}/container.pid`;
      b.config.process.args = ["sh", "-c", "echo ran > /host/marker; sleep 100"];
      b.save();
      const r = await b.run(["create", "--pid-file", pidFile, id]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
      const state = await stateOf(b, id);
      assertEquals(state.status, "created");
      assertEquals(state.id, id);
      assertEquals(state.bundle, b.dir);
      assert(Number.isInteger(state.pid) && state.pid > 0, `pid ${state.pid}`);
      assertEquals(Deno.readTextFileSync(pidFile).trim(), String(state.pid));
      assert(alive(state.pid), `/proc/${state.pid} is not a live process`);
      assert(exists(`${b.root}/${id}`), "no state directory");
      await sleep(200);
      assert(!exists(`${host}/marker`), "the user process ran before start");
      ok(await b.run(["start", id]), "start");
      await waitFor("the marker written by the user process", () => exists(`${host}/marker`));
      assertEquals(Deno.readTextFileSync(`${host}/marker`), "ran\n");
    }),
});

Deno.test({
  name: "start makes a created container running and a second start fails with one line",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("life");
      const created = await create(b, id);
      const r = await b.run(["start", id]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
      const running = await stateOf(b, id);
      assertEquals(running.status, "running");
      assertEquals(running.pid, created.pid);
      const again = await b.run(["start", id]);
      assertEquals(again.code, 1, `second start: ${again.stderr}`);
      assertOneLine(again.stderr, "second start");
      assertEquals(await statusOf(b, id), "running");
    }),
});

Deno.test({
  name: "kill without a signal sends SIGTERM and the container is then stopped with pid 0",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = uniqueId("life");
      // pid 1 ignores SIGTERM unless it has a handler: the trap is the handler. `wait`
      // is interrupted by the trapped signal where a foreground sleep would not be.
      const running = await startRunning(b, id, [
        "sh",
        "-c",
        "trap 'exit 0' TERM; sleep 100 & wait",
      ]);
      const r = await b.run(["kill", id]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
      await waitFor("the init to exit", () => !alive(running.pid));
      const stopped = await stateOf(b, id);
      assertEquals(stopped.status, "stopped");
      assertEquals(stopped.pid, 0);
    }),
});

Deno.test({
  name: "delete removes the state directory of a stopped container",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = uniqueId("life");
      const running = await startRunning(b, id, ["sh", "-c", "sleep 0.3"]);
      await waitFor("the init to exit", () => !alive(running.pid));
      assertEquals(await statusOf(b, id), "stopped");
      assert(exists(`${b.root}/${id}`), "no state directory before delete");
      const r = await b.run(["delete", id]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
      assert(!exists(`${b.root}/${id}`), "the state directory is still there");
      const st = await b.run(["state", id]);
      assertEquals(st.code, 1);
      assertStringIncludes(st.stderr, "does not exist");
    }),
});

/** Split a tabwriter line into [start column, text] cells. */
function cells(line: string): [number, string][] {
  const out: [number, string][] = [];
  for (const m of line.matchAll(/\S+/g)) out.push([m.index!, m[0]]);
  return out;
}

Deno.test({
  name: "list prints runc's aligned table, JSON with --format json and bare ids with -q",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const a = uniqueId("list-a");
      const c = uniqueId("list-long-name");
      const sa = await create(b, a);
      const sc = await startRunning(b, c);
      const table = ok(await b.run(["list"]), "list").stdout;
      const lines = table.trimEnd().split("\n");
      assertEquals(lines.length, 3, table);
      const header = cells(lines[0]);
      assertEquals(header.map((h) => h[1]), ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]);
      const rows = lines.slice(1).map(cells);
      const byId = new Map(rows.map((r) => [r[0][1], r]));
      const rowA = byId.get(a)!;
      const rowC = byId.get(c)!;
      assert(rowA && rowC, table);
      assertEquals(rowA.map((x) => x[1]).slice(0, 4), [a, String(sa.pid), "created", b.dir]);
      assertEquals(rowC.map((x) => x[1]).slice(0, 4), [c, String(sc.pid), "running", b.dir]);
      assertEquals(rowA[5][1], "root");
      assertMatch(rowA[4][1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      // Every column starts where its header does (runc: tabwriter minwidth 12, padding 3).
      for (const row of [rowA, rowC]) {
        assertEquals(row.map((x) => x[0]), header.map((h) => h[0]), `misaligned:\n${table}`);
      }
      const widths = [0, 1, 2, 3, 4].map((i) =>
        Math.max(12, ...[lines[0], ...lines.slice(1)].map((l) => cells(l)[i][1].length + 3))
      );
      let at = 0;
      for (let i = 0; i < 6; i++) {
        assertEquals(header[i][0], at, `column ${i} start:\n${table}`);
        at += widths[i] ?? 0;
      }

      const json = JSON.parse(ok(await b.run(["list", "--format", "json"]), "list json").stdout);
      assert(Array.isArray(json), "list --format json is not an array");
      assertEquals(json.length, 2);
      // deno-lint-ignore no-explicit-any
      const ja = json.find((x: any) => x.id === a);
      // deno-lint-ignore no-explicit-any
      const jc = json.find((x: any) => x.id === c);
      assertEquals([ja.pid, ja.status, ja.bundle], [sa.pid, "created", b.dir]);
      assertEquals([jc.pid, jc.status, jc.bundle], [sc.pid, "running", b.dir]);
      assertEquals(typeof ja.created, "string");
      assertEquals(ja.owner, "root");

      const quiet = ok(await b.run(["list", "-q"]), "list -q").stdout;
      assertEquals(quiet.trimEnd().split("\n").sort(), [a, c].sort());
    }),
});

Deno.test({
  name: "list of an empty root prints only the header and [] for JSON",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const table = ok(await b.run(["list"]), "list").stdout;
      assertMatch(table, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER\n$/);
      const json = ok(await b.run(["list", "--format", "json"]), "list json").stdout;
      assertEquals(JSON.parse(json), []);
      assertEquals(ok(await b.run(["list", "-q"]), "list -q").stdout, "");
    }),
});

Deno.test({
  name: "run -d returns while the container keeps running",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("life");
      const t0 = Date.now();
      const r = await b.run(["run", "-d", id]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
      assert(Date.now() - t0 < 10000, "run -d did not return promptly");
      const state = await stateOf(b, id);
      assertEquals(state.status, "running");
      assert(alive(state.pid), "the init is not alive");
      ok(await b.run(["kill", id, "KILL"]), "kill");
      await waitFor("the init to exit", () => !alive(state.pid));
      assertEquals(await statusOf(b, id), "stopped");
    }),
});

Deno.test({
  name: "run --keep leaves a stopped container that state shows and delete removes",
  ignore,
  fn: () =>
    withBundle(["sh", "-c", "exit 4"], async (b) => {
      const id = uniqueId("life");
      const r = await b.run(["run", "--keep", id]);
      assertEquals(r.code, 4, r.stderr);
      const state = await stateOf(b, id);
      assertEquals(state.status, "stopped");
      assertEquals(state.id, id);
      const listed = ok(await b.run(["list", "-q"]), "list").stdout;
      assertEquals(listed, `${id}\n`);
      ok(await b.run(["delete", id]), "delete");
      assert(!exists(`${b.root}/${id}`), "state directory left after delete");
      assertEquals(ok(await b.run(["list", "-q"]), "list").stdout, "");
    }),
});

Deno.test({
  name: "state and list report stopped when the init was killed from the host behind tsrunc",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("life");
      const running = await startRunning(b, id);
      Deno.kill(running.pid, "SIGKILL");
      await waitFor("the init to die", () => !alive(running.pid));
      const state = await stateOf(b, id);
      assertEquals(state.status, "stopped");
      assertEquals(state.pid, 0);
      const json = JSON.parse(ok(await b.run(["list", "--format", "json"]), "list").stdout);
      assertEquals(json.map((x: State) => [x.id, x.status]), [[id, "stopped"]]);
      const r = await b.run(["delete", id]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
    }),
});

Deno.test({
  name: "state and list report stopped when a created container's init was killed from the host",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("life");
      const created = await create(b, id);
      Deno.kill(created.pid, "SIGKILL");
      await waitFor("the init to die", () => !alive(created.pid));
      assertEquals(await statusOf(b, id), "stopped");
      const start = await b.run(["start", id]);
      assertEquals(start.code, 1, "start of a dead container succeeded");
      assertOneLine(start.stderr, "start of a dead container");
    }),
});

Deno.test({
  name: "delete refuses a running container without --force and kills it with --force",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("life");
      const running = await startRunning(b, id);
      const r = await b.run(["delete", id]);
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, "not stopped");
      assertOneLine(r.stderr, "delete of a running container");
      assert(alive(running.pid), "delete without --force killed the container");
      assertEquals(await statusOf(b, id), "running");
      const f = await b.run(["delete", "--force", id]);
      assertEquals(f, { code: 0, stdout: "", stderr: "" });
      assert(!alive(running.pid), "delete --force returned before the init died");
      assert(!exists(`${b.root}/${id}`), "state directory left");
    }),
});

Deno.test({
  name: "delete removes a created container without --force and its init is gone",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("life");
      const created = await create(b, id);
      const r = await b.run(["delete", id]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
      assert(!exists(`${b.root}/${id}`), "state directory left");
      await waitFor("the init to be gone", () => !alive(created.pid), 3000);
    }),
});

Deno.test({
  name: "delete of a nonexistent id fails with does not exist, and succeeds with --force",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = uniqueId("nothere");
      const r = await b.run(["delete", id]);
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, "does not exist");
      assertOneLine(r.stderr, "delete of a nonexistent id");
      const f = await b.run(["delete", "--force", id]);
      assertEquals(f, { code: 0, stdout: "", stderr: "" });
    }),
});

Deno.test({
  name: "kill accepts KILL, SIGKILL and 9 and each stops the container",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      for (const form of ["KILL", "SIGKILL", "9"]) {
        const id = uniqueId(`kill-${form}`);
        const running = await startRunning(b, id);
        const r = await b.run(["kill", id, form]);
        assertEquals(r, { code: 0, stdout: "", stderr: "" }, `kill ${form}`);
        await waitFor(`the init to die from ${form}`, () => !alive(running.pid));
        assertEquals(await statusOf(b, id), "stopped", form);
      }
    }),
});

Deno.test({
  name: "kill accepts a lowercase signal name (sigusr1) and delivers it",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const host = hostDir(b);
      const id = uniqueId("kill-usr1");
      await startRunning(b, id, [
        "sh",
        "-c",
        "trap 'echo usr1 > /host/got' USR1; while true; do sleep 100 & wait; done",
      ]);
      const r = await b.run(["kill", id, "sigusr1"]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
      await waitFor("the trap to record SIGUSR1", () => exists(`${host}/got`));
      assertEquals(Deno.readTextFileSync(`${host}/got`), "usr1\n");
      assertEquals(await statusOf(b, id), "running");
    }),
});

Deno.test({
  name: "kill rejects an unknown signal with exit 1 and one line, leaving the container running",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("life");
      const running = await startRunning(b, id);
      for (const bad of ["NOPE", "SIGNOPE", "0x9", "-9", "99"]) {
        const r = await b.run(["kill", id, bad]);
        assertEquals(r.code, 1, `kill ${bad}: ${r.stderr}`);
        assertOneLine(r.stderr, `kill ${bad}`);
      }
      assert(alive(running.pid), "a rejected kill killed the container");
      assertEquals(await statusOf(b, id), "running");
    }),
});

Deno.test({
  name: "kill of a stopped or nonexistent container fails with exit 1",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = uniqueId("life");
      ok(await b.run(["run", "--keep", id]), "run --keep");
      const r = await b.run(["kill", id, "KILL"]);
      assertEquals(r.code, 1);
      assertOneLine(r.stderr, "kill of a stopped container");
      const n = await b.run(["kill", uniqueId("nothere"), "KILL"]);
      assertEquals(n.code, 1);
      assertStringIncludes(n.stderr, "does not exist");
    }),
});

Deno.test({
  name: "kill --all signals every process of the container, not only its init",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = uniqueId("kill-all");
      // sh as pid 1 has no TERM handler so TERM to it alone does nothing; it exits only
      // when both sleeps are killed and `wait` returns.
      const running = await startRunning(b, id, ["sh", "-c", "sleep 100 & sleep 100 & wait"]);
      await waitFor("three processes", () => pidsInNamespaceOf(running.pid).length === 3);
      const pids = pidsInNamespaceOf(running.pid);
      // Control: TERM to the init alone leaves everything running.
      ok(await b.run(["kill", id, "TERM"]), "kill TERM");
      await sleep(300);
      assertEquals(pids.filter(alive), pids, "TERM to the init alone changed something");
      const r = await b.run(["kill", "--all", id, "TERM"]);
      assertEquals(r, { code: 0, stdout: "", stderr: "" });
      await waitFor("every process to be gone", () => pids.every((p) => !alive(p)));
      assertEquals(await statusOf(b, id), "stopped");
    }),
});

Deno.test({
  name: "state calls racing a delete --force never print half-written JSON",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      for (let round = 0; round < 3; round++) {
        const id = uniqueId("race");
        await startRunning(b, id);
        const states = Array.from({ length: 5 }, () => b.run(["state", id]));
        const del = b.run(["delete", "--force", id]);
        const more = Array.from({ length: 5 }, () => b.run(["state", id]));
        const results = await Promise.all([...states, ...more]);
        assertEquals((await del).code, 0, "delete --force failed");
        for (const r of results) {
          if (r.code === 0) {
            let parsed: State;
            try {
              parsed = JSON.parse(r.stdout);
            } catch {
              throw new Error(`state printed invalid JSON: ${JSON.stringify(r.stdout)}`);
            }
            assertEquals(parsed.id, id);
          } else {
            assertEquals(r.code, 1, r.stderr);
            assertOneLine(r.stderr, "state during delete");
          }
        }
        assert(!exists(`${b.root}/${id}`), "state directory left after delete --force");
      }
    }),
});

Deno.test({
  name: "a second create with the same id fails with already exists and leaves the first intact",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = uniqueId("dup");
      const first = await create(b, id);
      const before = Deno.readTextFileSync(`${b.root}/${id}/state.json`);
      const r = await b.run(["create", id]);
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, "already exists");
      assertOneLine(r.stderr, "duplicate create");
      assertEquals(Deno.readTextFileSync(`${b.root}/${id}/state.json`), before);
      const after = await stateOf(b, id);
      assertEquals([after.status, after.pid], ["created", first.pid]);
      assert(alive(first.pid), "the first container's init died");
      const run = await b.run(["run", id]);
      assertEquals(run.code, 1);
      assertStringIncludes(run.stderr, "already exists");
      ok(await b.run(["start", id]), "start of the first container");
      assertEquals(await statusOf(b, id), "running");
    }),
});

Deno.test({
  name: "invalid container ids are rejected with one line and create nothing",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const base = b.root.replace(/\/[^/]+$/, "");
      // A directory the id "../x" would name if it were joined to the root unchecked.
      Deno.mkdirSync(`${base}/x`);
      Deno.writeTextFileSync(`${base}/x/keep`, "");
      const before = [...Deno.readDirSync(base)].map((e) => e.name).sort();
      for (const bad of ["../x", "a/b", "", ".", "..", "a b"]) {
        for (const cmd of [["create"], ["run"], ["run", "-d"]]) {
          const r = await b.run([...cmd, bad]);
          assertEquals(r.code, 1, `${cmd.join(" ")} ${JSON.stringify(bad)}: ${r.stderr}`);
          assertOneLine(r.stderr, `${cmd.join(" ")} ${JSON.stringify(bad)}`);
          const entries = exists(b.root) ? [...Deno.readDirSync(b.root)].map((e) => e.name) : [];
          assertEquals(entries, [], `${cmd.join(" ")} ${JSON.stringify(bad)} left entries`);
        }
        for (const cmd of [["delete", "--force"], ["delete"], ["state"], ["kill"], ["start"]]) {
          const r = await b.run([...cmd, bad]);
          assertEquals(r.code, 1, `${cmd.join(" ")} ${JSON.stringify(bad)}: ${r.stderr}`);
          assertOneLine(r.stderr, `${cmd.join(" ")} ${JSON.stringify(bad)}`);
        }
      }
      assertEquals([...Deno.readDirSync(base)].map((e) => e.name).sort(), before);
      assert(
        exists(`${base}/x/keep`),
        "a command with id ../x touched a directory outside the root",
      );
    }),
});

Deno.test({
  name: "an id containing a newline is rejected on one line of stderr",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      // The id must be quoted in the message, not echoed raw: log readers take the last
      // line as the error, and a raw newline splits it.
      for (const cmd of ["create", "state", "delete"]) {
        const r = await b.run([cmd, "x\ny"]);
        assertEquals(r.code, 1, `${cmd}: ${r.stderr}`);
        assertOneLine(r.stderr, `${cmd} "x\\ny"`);
      }
      assertEquals(exists(b.root) ? [...Deno.readDirSync(b.root)].length : 0, 0);
    }),
});

Deno.test({
  name: "a valid id with every allowed character works through create, state and delete",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const id = `A.z_0+9-${uniqueId("ok")}`;
      const created = await create(b, id);
      assertEquals(created.id, id);
      ok(await b.run(["delete", "--force", id]), "delete");
      assert(!exists(`${b.root}/${id}`));
    }),
});

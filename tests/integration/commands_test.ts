/**
 * The lifecycle commands on real containers: create, start, state, list, kill, delete,
 * run (foreground, -d, --keep), as runc behaves.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import {
  alive,
  type Bundle,
  ok,
  type Result,
  sleep,
  tsruncCommand,
  uniqueId,
  waitFor,
  withBundle,
} from "./_helpers.ts";

function failsWithOneLine(result: Result, pattern: RegExp): void {
  assertEquals(result.code, 1, `expected exit 1, got ${result.code}: ${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, `expected one stderr line, got: ${result.stderr}`);
  assertMatch(lines[0], pattern);
}

async function state(b: Bundle, id: string): Promise<Record<string, unknown>> {
  return JSON.parse(ok(await b.run(["state", id]), "state").stdout);
}

/** A host directory bind-mounted at /shared, writable by the container. */
function shareDir(b: Bundle): string {
  const dir = `${b.dir}/shared`;
  Deno.mkdirSync(dir);
  b.config.mounts.push({ destination: "/shared", type: "bind", source: dir, options: ["rbind"] });
  b.save();
  return dir;
}

Deno.test("run prints the container's output and exits with its status", async () => {
  await withBundle(["sh", "-c", "echo hello from inside; exit 3"], async (b) => {
    const result = await b.run(["run", uniqueId("run")]);
    assertEquals(result.code, 3);
    assertEquals(result.stdout, "hello from inside\n");
    assertEquals([...Deno.readDirSync(b.root)].length, 0, "run leaves no container behind");
  });
});

Deno.test("run exits 128+9 when the container is killed with SIGKILL", async () => {
  await withBundle(["sleep", "30"], async (b) => {
    const id = uniqueId("killed");
    const running = b.run(["run", id]);
    for (let i = 0; i < 100; i++) {
      const s = await b.run(["state", id]);
      if (s.code === 0 && JSON.parse(s.stdout).status === "running") break;
      await sleep(50);
    }
    ok(await b.run(["kill", id, "KILL"]), "kill");
    assertEquals((await running).code, 137);
  });
});

Deno.test("a foreground run forwards SIGTERM and keeps waiting while the process ignores it", async () => {
  // sleep as pid 1 has no handler: the forwarded SIGTERM is dropped by the kernel. tsrunc
  // must go on waiting (runc does), not die of the signal it forwarded.
  await withBundle(["sleep", "30"], async (b) => {
    const id = uniqueId("fwd");
    const [cmd, ...pre] = tsruncCommand();
    const child = new Deno.Command(cmd, {
      args: [...pre, "--root", b.root, "run", id],
      cwd: b.dir,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    let pid = 0;
    await waitFor("the container to run", async () => {
      const s = await b.run(["state", id]);
      if (s.code === 0 && JSON.parse(s.stdout).status === "running") pid = JSON.parse(s.stdout).pid;
      return pid > 0;
    });
    await sleep(1000); // well into the wait, as a user's or engine's signal would come
    child.kill("SIGTERM");
    await sleep(500);
    assert(alive(pid), "the container ignores SIGTERM");
    assertEquals((await state(b, id)).status, "running", "tsrunc still holds the container");
    ok(await b.run(["kill", id, "KILL"]), "kill");
    assertEquals((await child.status).code, 137, "tsrunc exits with the container's status");
  });
});

Deno.test("create leaves the process waiting; start runs it; state follows", async () => {
  await withBundle(
    ["sh", "-c", "touch /shared/started; trap 'exit 0' TERM; sleep 30 & wait"],
    async (b) => {
      const shared = shareDir(b);
      const id = uniqueId("life");
      const pidFile = `${b.dir}/pid`;
      ok(await b.run(["create", "--pid-file", pidFile, id]), "create");
      const created = await state(b, id);
      assertEquals(created.status, "created");
      assertEquals(created.id, id);
      assertEquals(created.bundle, b.dir);
      const pid = Number(Deno.readTextFileSync(pidFile));
      assertEquals(created.pid, pid);
      assert(alive(pid), "the init is alive after create");
      await sleep(200);
      assertEquals([...Deno.readDirSync(shared)].length, 0, "the user process has not run yet");

      ok(await b.run(["start", id]), "start");
      for (let i = 0; i < 50 && [...Deno.readDirSync(shared)].length === 0; i++) {
        await sleep(50);
      }
      assertEquals([...Deno.readDirSync(shared)].map((e) => e.name), ["started"]);
      assertEquals((await state(b, id)).status, "running");
      failsWithOneLine(await b.run(["start", id]), /cannot start an already running container/);

      ok(await b.run(["kill", id]), "kill (SIGTERM)");
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
      const stopped = await state(b, id);
      assertEquals(stopped.status, "stopped");
      assertEquals(stopped.pid, 0);
      failsWithOneLine(await b.run(["start", id]), /cannot start a container that has stopped/);
      ok(await b.run(["delete", id]), "delete");
      assert(!(await b.run(["state", id])).code === false);
      assertEquals([...Deno.readDirSync(b.root)].length, 0, "delete removes the state directory");
    },
  );
});

Deno.test("list shows runc's table, JSON and ids", async () => {
  await withBundle(["sleep", "30"], async (b) => {
    const id = uniqueId("list");
    ok(await b.run(["create", id]), "create");
    const table = ok(await b.run(["list"]), "list").stdout.split("\n");
    assertMatch(table[0], /^ID {2,}PID {2,}STATUS {2,}BUNDLE {2,}CREATED {2,}OWNER$/);
    assertMatch(table[1], new RegExp(`^${id} +\\d+ +created +${b.dir} +\\S+ +root$`));
    const json = JSON.parse(ok(await b.run(["list", "--format", "json"]), "list json").stdout);
    assertEquals(json.length, 1);
    assertEquals(json[0].id, id);
    assertEquals(json[0].status, "created");
    assertEquals(ok(await b.run(["list", "-q"]), "list -q").stdout, `${id}\n`);
    ok(await b.run(["delete", id]), "delete of a created container needs no --force");
    assertEquals(ok(await b.run(["list", "-q"]), "list -q").stdout, "");
  });
});

Deno.test("run -d returns while the container runs; --keep keeps a stopped container", async () => {
  await withBundle(["sleep", "30"], async (b) => {
    const id = uniqueId("detach");
    ok(await b.run(["run", "-d", id]), "run -d");
    const s = await state(b, id);
    assertEquals(s.status, "running");
    assert(alive(s.pid as number));
    ok(await b.run(["delete", "--force", id]), "delete --force");
    assert(!alive(s.pid as number), "delete --force kills the process");

    b.config.process.args = ["true"];
    b.save();
    const kept = uniqueId("keep");
    ok(await b.run(["run", "--keep", kept]), "run --keep");
    assertEquals((await state(b, kept)).status, "stopped");
    ok(await b.run(["delete", kept]), "delete");
  });
});

Deno.test("state notices an init killed behind tsrunc's back", async () => {
  await withBundle(["sleep", "30"], async (b) => {
    const id = uniqueId("dead");
    ok(await b.run(["run", "-d", id]), "run -d");
    const pid = (await state(b, id)).pid as number;
    Deno.kill(pid, "SIGKILL");
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(20);
    assertEquals((await state(b, id)).status, "stopped");
  });
});

Deno.test("delete refuses a running container without --force", async () => {
  await withBundle(["sleep", "30"], async (b) => {
    const id = uniqueId("del");
    ok(await b.run(["run", "-d", id]), "run -d");
    failsWithOneLine(
      await b.run(["delete", id]),
      new RegExp(`cannot delete container ${id} that is not stopped: running`),
    );
    ok(await b.run(["delete", "-f", id]), "delete -f");
    ok(await b.run(["delete", "--force", "no-such-container"]), "delete --force of nothing");
    failsWithOneLine(
      await b.run(["delete", "no-such-container"]),
      /container no-such-container does not exist/,
    );
  });
});

Deno.test("kill takes signal names with or without SIG, any case, numbers; --all reaches every process", async () => {
  await withBundle(["sh", "-c", "trap '' USR1; sleep 30 & sleep 30 & wait"], async (b) => {
    const id = uniqueId("sig");
    ok(await b.run(["run", "-d", id]), "run -d");
    for (const signal of ["USR1", "SIGUSR1", "sigusr1", "10"]) {
      ok(await b.run(["kill", id, signal]), `kill ${signal}`);
    }
    failsWithOneLine(await b.run(["kill", id, "NOPE"]), /unknown signal "NOPE"/);
    const pid = (await state(b, id)).pid as number;
    const children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(" ")
      .map(Number);
    assertEquals(children.length, 2);
    ok(await b.run(["kill", "--all", id, "KILL"]), "kill --all");
    for (let i = 0; i < 100 && [pid, ...children].some(alive); i++) {
      await sleep(20);
    }
    assert(![pid, ...children].some(alive), "every process of the container is gone");
    failsWithOneLine(await b.run(["kill", id]), /container not running/);
  });
});

Deno.test("a second create with the same id fails and leaves the first intact", async () => {
  await withBundle(["sleep", "30"], async (b) => {
    const id = uniqueId("dup");
    ok(await b.run(["create", id]), "create");
    failsWithOneLine(await b.run(["create", id]), /already exists/);
    assertEquals((await state(b, id)).status, "created");
  });
});

Deno.test("invalid container ids fail with one line and create nothing", async () => {
  await withBundle(["true"], async (b) => {
    for (const id of ["../x", "a/b", "", ".", ".."]) {
      failsWithOneLine(await b.run(["create", id]), /container id|invalid container id/);
    }
    let entries: string[] = [];
    try {
      entries = [...Deno.readDirSync(b.root)].map((e) => e.name);
    } catch { /* no root at all: fine */ }
    assertEquals(entries, []);
  });
});

Deno.test("concurrent state calls during a delete never see a half-written state", async () => {
  await withBundle(["sleep", "30"], async (b) => {
    const id = uniqueId("race");
    ok(await b.run(["run", "-d", id]), "run -d");
    const calls = [
      ...Array.from({ length: 5 }, () => b.run(["state", id])),
      b.run(["delete", "--force", id]),
      ...Array.from({ length: 5 }, () => b.run(["state", id])),
    ];
    for (const result of await Promise.all(calls)) {
      if (result.code === 0 && result.stdout) JSON.parse(result.stdout);
      else if (result.code !== 0) assertStringIncludes(result.stderr, "does not exist");
    }
  });
});

Deno.test("--log with --log-format json records the error as a JSON line", async () => {
  await withBundle(["true"], async (b) => {
    const log = `${b.dir}/log.json`;
    const result = await b.run(["--log", log, "--log-format", "json", "start", "nope"]);
    assertEquals(result.code, 1);
    const line = JSON.parse(Deno.readTextFileSync(log).trim().split("\n").pop()!);
    assertEquals(line.level, "error");
    assertStringIncludes(line.msg, "container nope does not exist");
    assert(typeof line.time === "string");
  });
});

Deno.test("--version and help answer like runc", async () => {
  await withBundle(["true"], async (b) => {
    const version = ok(await b.run(["--version"]), "--version").stdout;
    assertMatch(version, /^tsrunc version \S+\ncommit: \S+\nspec: 1\.3\.0\n/);
    assertMatch(version, /libseccomp: \d+\.\d+\.\d+/);
    assertEquals(ok(await b.run(["-v"]), "-v").stdout, version);
    assertStringIncludes(ok(await b.run(["--help"]), "--help").stdout, "COMMANDS:");
    const help = ok(await b.run(["create", "--help"]), "create --help").stdout;
    assertStringIncludes(help, "--pid-file value");
    assertStringIncludes(ok(await b.run(["help", "kill"]), "help kill").stdout, "--all, -a");
  });
});

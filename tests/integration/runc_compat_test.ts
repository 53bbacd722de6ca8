/**
 * Behaviours where runc's suite, the OCI validation suite or an engine found tsrunc
 * different from runc: each is what a runc user relies on, checked by what happens (exit
 * status, files, what the container sees), not by runc's strings alone.
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import {
  alive,
  exists,
  IS_ROOT,
  ok,
  sh,
  startSleeper,
  tsrunc,
  tsruncCommand,
  uniqueId,
  waitFor,
  withBundle,
} from "./_helpers.ts";
import { removeCgroupTree } from "./_cgroups.ts";

const ignore = !IS_ROOT;

Deno.test("an unknown command fails with runc's words, with or without -h", async () => {
  for (const args of [["foo"], ["foo", "-h"], ["help", "foo"]]) {
    const r = await tsrunc(args);
    assertEquals(r.code, 1, args.join(" "));
    assertEquals(r.stdout, "");
    assertMatch(r.stderr, /^tsrunc: No help topic for 'foo': .*\n$/, args.join(" "));
  }
});

Deno.test("a --log file that cannot be opened fails the command, as with runc", async () => {
  const r = await tsrunc(["--log", "/proc/nonexistent/log", "list"]);
  assertEquals(r.code, 1);
  assertEquals(r.stdout, "");
  assertEquals(
    r.stderr,
    "tsrunc: --log /proc/nonexistent/log: cannot open it: no such file or directory\n",
  );
});

Deno.test("--log is opened at start (created 0644) and gets the command's error", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "tsrunc-log-" });
  try {
    const log = `${dir}/log.json`;
    ok(await tsrunc(["--log", log, "--log-format", "json", "list"]), "list");
    assertEquals(Deno.statSync(log).mode! & 0o777, 0o644);
    const r = await tsrunc(["--log", log, "--log-format", "json", "state", "nosuch-x"]);
    assertEquals(r.code, 1);
    const last = JSON.parse(Deno.readTextFileSync(log).trim().split("\n").at(-1)!);
    assertEquals(last.level, "error");
    assertMatch(last.msg, /nosuch-x/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "hostname with a uts namespace joined by path is set in that namespace, as runc",
  ignore,
  fn: () =>
    withBundle(["sleep", "600"], async (b) => {
      const first = uniqueId("uts");
      const pid = await startSleeper(b, first);
      b.config.hostname = "joined-by-path";
      b.config.linux.namespaces = b.config.linux.namespaces.map((n: { type: string }) =>
        n.type === "uts" ? { type: "uts", path: `/proc/${pid}/ns/uts` } : n
      );
      b.config.process.args = ["hostname"];
      b.save();
      const r = ok(await b.run(["run", uniqueId("uts")]), "run joining the uts namespace");
      assertEquals(r.stdout, "joined-by-path\n");
      // The first container shares that namespace: it sees the name too.
      const seen = ok(await b.run(["exec", first, "hostname"]), "exec hostname");
      assertEquals(seen.stdout, "joined-by-path\n");
    }),
});

Deno.test({
  name: "hostname without any uts namespace of the container's own is still refused",
  ignore,
  fn: () =>
    withBundle(sh("hostname"), async (b) => {
      b.config.linux.namespaces = b.config.linux.namespaces.filter((n: { type: string }) =>
        n.type !== "uts"
      );
      b.save();
      const r = await b.run(["run", uniqueId("uts")]);
      assert(r.code !== 0);
      assertMatch(r.stderr, /^tsrunc: config\.json: hostname: requires a uts namespace/);
    }),
});

Deno.test({
  name: "delete --force removes a container whose freezer cgroup was removed behind its back",
  ignore: ignore || !exists("/sys/fs/cgroup/freezer/tasks"),
  fn: () =>
    withBundle(["sleep", "600"], async (b) => {
      const id = uniqueId("gone");
      const path = `/tsrunc-test/${id}`;
      b.config.linux.cgroupsPath = path;
      b.save();
      ok(await b.run(["create", id]), "create");
      const pid = JSON.parse(ok(await b.run(["state", id]), "state").stdout).pid;
      try {
        // An administrator moves the init out and removes the container's freezer cgroup.
        Deno.writeTextFileSync("/sys/fs/cgroup/freezer/tsrunc-test/cgroup.procs", String(pid));
        Deno.removeSync(`/sys/fs/cgroup/freezer${path}`);
        const r = await b.run(["delete", "--force", id]);
        assertEquals([r.code, r.stderr], [0, ""]);
        assert(!exists(`${b.root}/${id}`), "the state directory is left");
        await waitFor("the init to be gone", () => !alive(pid), 5000);
      } finally {
        // Also when delete failed: the init and the rest of its cgroups.
        if (alive(pid)) Deno.kill(pid, "SIGKILL");
        await removeCgroupTree(path);
      }
    }),
});

/** Host cgroup directories named `name` below the tests' parent, in any hierarchy. */
function cgroupDirsNamed(name: string): string[] {
  const found: string[] = [];
  for (const hierarchy of Deno.readDirSync("/sys/fs/cgroup")) {
    const dir = `/sys/fs/cgroup/${hierarchy.name}/tsrunc-test/${name}`;
    if (exists(dir)) found.push(dir);
  }
  return found;
}

Deno.test({
  name: "a create killed at any moment leaves what delete --force removes; the id is free again",
  ignore,
  fn: () =>
    withBundle(["sleep", "600"], async (b) => {
      const id = uniqueId("killed");
      const path = `/tsrunc-test/${id}`;
      b.config.linux.cgroupsPath = path;
      b.save();
      try {
        for (let delay = 0; delay <= 60; delay += 4) {
          const child = new Deno.Command(tsruncCommand()[0], {
            args: [...tsruncCommand().slice(1), "--root", b.root, "create", id],
            cwd: b.dir,
            stdin: "null",
            stdout: "null",
            stderr: "null",
          }).spawn();
          await new Promise((resolve) => setTimeout(resolve, delay));
          try {
            child.kill("SIGKILL");
          } catch { /* finished already */ }
          await child.status;
          const r = await b.run(["delete", "--force", id]);
          assertEquals([r.code, r.stderr], [0, ""], `delete after a kill at ${delay} ms`);
          assert(!exists(`${b.root}/${id}`), `state left after a kill at ${delay} ms`);
          assertEquals(cgroupDirsNamed(id), [], `cgroups left after a kill at ${delay} ms`);
        }
        ok(await b.run(["create", id]), "create after the killed ones");
        ok(await b.run(["delete", "--force", id]), "delete");
      } finally {
        await removeCgroupTree(path);
      }
    }),
});

Deno.test({
  name: "a container with a 255-character id runs, is listed and is deleted",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const id = `long-${"x".repeat(250)}`;
      assertEquals(id.length, 255);
      ok(await b.run(["run", "--keep", id]), "run --keep");
      assertEquals((await b.run(["list", "-q"])).stdout, `${id}\n`);
      ok(await b.run(["delete", id]), "delete");
      assertEquals((await b.run(["list", "-q"])).stdout, "");
      assert(!exists(`${b.root}/${id}`));
    }),
});

Deno.test({
  name: "an 8 MB annotation: the container runs and its container-side hooks read the whole state",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const big = "a".repeat(8 * 1024 * 1024);
      b.config.annotations = { "org.example.big": big };
      b.config.root.readonly = false;
      // createContainer runs before pivot_root (host paths); startContainer in the rootfs.
      b.config.hooks = {
        createContainer: [{ path: "/bin/sh", args: ["sh", "-c", `wc -c > ${b.dir}/create-n`] }],
        startContainer: [{ path: "/bin/sh", args: ["sh", "-c", "wc -c > /tmp/start-n"] }],
      };
      b.save();
      const r = await b.run(["run", uniqueId("big")]);
      assertEquals([r.code, r.stderr], [0, ""]);
      for (const file of [`${b.dir}/create-n`, `${b.rootfs}/tmp/start-n`]) {
        const bytes = Number(Deno.readTextFileSync(file).trim());
        assert(bytes > big.length, `${file}: the hook read ${bytes} bytes of state`);
      }
    }),
});

Deno.test({
  name: "--debug: runc's log format on stderr, or in --log as text or JSON lines; the steps of " +
    "create, start and exec are told",
  ignore,
  fn: () =>
    withBundle(["sh", "-c", "echo Hello World"], async (b) => {
      const text = /^time="[^"]+" level=debug msg=".*"$/;
      const run = await b.run(["--debug", "run", uniqueId("debug")]);
      assertEquals([run.code, run.stdout], [0, "Hello World\n"], run.stderr);
      const lines = run.stderr.trim().split("\n");
      assert(lines.length >= 4, run.stderr);
      for (const line of lines) assertMatch(line, text);
      for (const step of ["cloned the container's init", "init ready", "created", "exec'd"]) {
        assert(run.stderr.includes(step), `no debug line about "${step}":\n${run.stderr}`);
      }
      for (const format of ["text", "json"]) {
        const log = `${b.dir}/log.${format}`;
        const r = await b.run([
          "--log",
          log,
          "--log-format",
          format,
          "--debug",
          "run",
          uniqueId("debug"),
        ]);
        assertEquals([r.code, r.stderr], [0, ""], format);
        const logged = Deno.readTextFileSync(log).trim().split("\n");
        for (const line of logged) {
          if (format === "text") assertMatch(line, text);
          else assertEquals(JSON.parse(line).level, "debug", line);
        }
      }
      // exec too
      const id = uniqueId("debug");
      b.config.process.args = sh("exec >/dev/null 2>&1 </dev/null; exec sleep 600");
      b.save();
      ok(await b.run(["run", "-d", id]), "run -d");
      const exec = await b.run(["--debug", "exec", id, "true"]);
      assertEquals(exec.code, 0, exec.stderr);
      assertMatch(exec.stderr, /level=debug msg="exec in .*cloned pid \d+/);
    }),
});

Deno.test({
  name: "a soft RLIMIT_NOFILE of 0 fails run with one line saying why",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.process.rlimits = [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 0 }];
      b.save();
      const r = await b.run(["run", uniqueId("nofile")]);
      assert(r.code !== 0, "run succeeded");
      assertEquals(r.stderr.trimEnd().split("\n").length, 1, `not one line:\n${r.stderr}`);
      assertMatch(r.stderr, /too many open files/i);
      assertEquals((await b.run(["list", "-q"])).stdout, "");
    }),
});

Deno.test({
  name: "a full --root fails with one line naming the errno in words, not an internal error",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const root = `${b.dir}/full-root`;
      Deno.mkdirSync(root);
      const mount = new Deno.Command("mount", {
        args: ["-t", "tmpfs", "-o", "size=4k", "tmpfs", root],
      });
      assert((await mount.output()).success, "mount tmpfs");
      try {
        // fill it
        await new Deno.Command("sh", {
          args: ["-c", `cat /dev/zero > ${root}/fill`],
          stderr: "null",
        }).output();
        const r = await tsrunc(["--root", root, "create", uniqueId("full")], { cwd: b.dir });
        assertEquals(r.code, 1);
        assertEquals(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
        assertMatch(r.stderr, /^tsrunc: .*no space left on device/);
        assert(!/internal error|os error/.test(r.stderr), r.stderr);
      } finally {
        await new Deno.Command("umount", { args: ["-l", root] }).output();
      }
    }),
});

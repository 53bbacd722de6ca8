/**
 * tsrunc as a drop-in runtime under Podman 4.3 (podman -> conmon -> tsrunc), as root with
 * the cgroupfs manager, in private storage (see _podman.ts). Every scenario asserts real
 * effects (output, exit codes, cgroup files, freezer state, markers written by traps) and
 * that tsrunc did the work: the runtime is a wrapper that logs each call, so the exact
 * commands and flags Podman and conmon use are checked and printed at the end.
 *
 * What Podman 4.3.1 / conmon 2.1.6 call (no --root: tsrunc's default /run/tsrunc):
 *
 *   --version                                          (podman info)
 *   --log-format=json --log U/oci-log create --bundle B --pid-file U/pidfile ID
 *   ... create ... --console-socket /tmp/conmon-term.XXXXXX ID        (-t)
 *   start ID
 *   --log-format=json --log B/E/oci-log exec --pid-file B/E/exec_pid
 *       --process B/E/exec-process-N --detach [--tty --console-socket S] ID
 *   kill ID SIGNUM          (stop: 15, then 9 after -t; kill -s USR1: 10)
 *   pause ID / resume ID
 *   delete --force ID
 *
 * B = <root>/vfs-containers/ID/userdata (the bundle), U = the same under <runroot>,
 * E = an exec session id. --log-format=json --log come only with runtimes listed in
 * containers.conf `runtime_supports_json`; without it Podman reads errors from stderr.
 *
 * The suite also runs with TSRUNC=/usr/sbin/runc (runc 1.1.5 behind the same wrapper):
 * Podman makes the same calls, and every step passes except those that look for
 * tsrunc's own words (`tsrunc version`, `program "nosuchcmd" not found in PATH`,
 * `mount SRC on /bin`, `setrlimit resource 7`). Where tsrunc differs from runc, the step
 * says so and fails until tsrunc behaves as runc does.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../integration/_assert.ts";
import { runInPty } from "../integration/_pty.ts";
import {
  type Call,
  cgroupOf,
  type Engine,
  hasTsruncState,
  hierarchyOf,
  IMAGE,
  missingPrerequisite,
  normalize,
  type Result,
  startEngine,
  waitFor,
} from "./_podman.ts";

const skip = missingPrerequisite();
if (skip) console.warn(`tests/engines/podman_test.ts: skipped: ${skip}`);

/** The subcommand of a runtime call (after the global flags). */
function sub(call: Call): string {
  for (let i = 0; i < call.length; i++) {
    const a = call[i];
    if (a === "--log" || a === "--root" || a === "--log-format" || a === "--criu") {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    return a;
  }
  return "";
}

function show(r: Result): string {
  return `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}

Deno.test({
  name: skip ? `podman drives tsrunc (skipped: ${skip})` : "podman drives tsrunc",
  ignore: skip !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const engine: Engine = await startEngine();
    const { base, cgroupParent } = engine;
    const name = (s: string) => `tsrp${Deno.pid}-${s}`;
    const podman = (args: string[], options?: Parameters<Engine["podman"]>[1]) =>
      engine.podman(args, options);
    const run = (args: string[]) => podman(["run", ...engine.createFlags, ...args]);
    const inspect = async (ctr: string, format: string): Promise<string> => {
      const r = await podman(["inspect", "--format", format, ctr]);
      if (r.code !== 0) throw new Error(`podman inspect ${ctr}: ${show(r)}`);
      return r.stdout.trim();
    };
    const callsFor = (id: string): Call[] => engine.calls().filter((c) => c.includes(id));
    const subs = (id: string): string[] => callsFor(id).map(sub);
    const userdata = (id: string) => `${base}/root/vfs-containers/${id}/userdata`;
    const rundata = (id: string) => `${base}/runroot/vfs-containers/${id}/userdata`;
    /** The container's cgroup dir in a v1 hierarchy, as Podman asked for it. */
    const cgroupDir = (controller: string, id: string) =>
      `${hierarchyOf(controller)}${cgroupParent}/libpod-${id}`;
    const exists = (path: string) => {
      try {
        Deno.statSync(path);
        return true;
      } catch {
        return false;
      }
    };
    /** After `podman rm` (or run --rm): no tsrunc state, no cgroup, no container. */
    const assertGone = async (id: string) => {
      assert(await waitFor(() => !hasTsruncState(id), 10), `/run/tsrunc/${id} remains`);
      for (const c of ["memory", "pids", "freezer"]) {
        assert(!exists(cgroupDir(c, id)), `${cgroupDir(c, id)} remains`);
      }
      const ps = await podman(["ps", "--all", "--quiet", "--no-trunc", "--filter", `id=${id}`]);
      assertEquals(ps.stdout.trim(), "", "podman still lists the container");
      assert(subs(id).includes("delete"), `no delete for ${id}: ${JSON.stringify(subs(id))}`);
    };

    let leftovers: string[] = [];
    try {
      await t.step("podman info runs `tsrunc --version`", async () => {
        const r = await podman([
          "info",
          "--format",
          "{{.Host.OCIRuntime.Name}}|{{.Host.OCIRuntime.Path}}|{{.Host.OCIRuntime.Version}}",
        ]);
        assertEquals(r.code, 0, show(r));
        assertStringIncludes(r.stdout, `|${engine.wrapper}|tsrunc version `);
        assert(engine.calls().some((c) => c.join(" ") === "--version"), "no --version call");
      });

      await t.step("run: output, exit 0, create/start/delete with runc's flags", async () => {
        const n = name("run");
        const r = await run(["--name", n, IMAGE, "sh", "-c", "echo hello; echo pid=$$; id -u"]);
        assertEquals(r.code, 0, show(r));
        assertEquals(r.stdout, "hello\npid=1\n0\n");
        const id = await inspect(n, "{{.Id}}");
        assertEquals(await inspect(n, "{{.OCIRuntime}}"), engine.wrapper);
        assertEquals(await inspect(n, "{{.State.Status}} {{.State.ExitCode}}"), "exited 0");
        const create = callsFor(id).find((c) => sub(c) === "create");
        assertEquals(create, [
          "--log-format=json",
          "--log",
          `${rundata(id)}/oci-log`,
          "create",
          "--bundle",
          userdata(id),
          "--pid-file",
          `${rundata(id)}/pidfile`,
          id,
        ]);
        assert(callsFor(id).some((c) => c.join(" ") === `start ${id}`), "no start call");
        // The container was cleaned up (by podman run, or conmon's exit command).
        assert(
          await waitFor(() => callsFor(id).some((c) => c.join(" ") === `delete --force ${id}`)),
          `no delete --force: ${JSON.stringify(callsFor(id))}`,
        );
        const rm = await podman(["rm", n]);
        assertEquals(rm.code, 0, show(rm));
        await assertGone(id);
      });

      await t.step("exit status of the container is podman's", async () => {
        const r = await run(["--rm", IMAGE, "sh", "-c", "echo before; exit 3"]);
        assertEquals(r.code, 3, show(r));
        assertEquals(r.stdout, "before\n");
        const status = await run(["--rm", IMAGE, "sh", "-c", "exit 42"]);
        assertEquals(status.code, 42, show(status));
      });

      await t.step("run --rm removes the container, its state and cgroups", async () => {
        const cid = `${base}/rm.cid`;
        const r = await run(["--rm", "--cidfile", cid, IMAGE, "echo", "rm-ok"]);
        assertEquals(r.code, 0, show(r));
        assertEquals(r.stdout, "rm-ok\n");
        const id = Deno.readTextFileSync(cid).trim();
        assertEquals(subs(id).filter((s) => s !== "delete"), ["create", "start"]);
        await assertGone(id);
      });

      await t.step("the containers.conf runtime name `tsrunc` selects it too", async () => {
        const n = name("conf");
        const r = await podman(["run", ...engine.createFlags, "--name", n, IMAGE, "echo", "conf"], {
          runtime: "conf",
        });
        assertEquals(r.code, 0, show(r));
        assertEquals(r.stdout, "conf\n");
        assertEquals(await inspect(n, "{{.OCIRuntime}}"), "tsrunc");
        const id = await inspect(n, "{{.Id}}");
        assert(subs(id).includes("create") && subs(id).includes("start"), "not run by tsrunc");
        const rm = await podman(["rm", n], { runtime: "conf" });
        assertEquals(rm.code, 0, show(rm));
        await assertGone(id);
      });

      // One detached container for exec, top, stats, limits, pause, kill, stop, start.
      // It ignores SIGTERM and writes a marker on SIGUSR1.
      const d = name("detached");
      let did = "";
      let dpid = 0;
      await t.step("run -d with limits: running, in the cgroups Podman asked for", async () => {
        const r = await run([
          "-d",
          "--name",
          d,
          "--memory",
          "64m",
          "--pids-limit",
          "64",
          "--cpus",
          "0.5",
          IMAGE,
          "sh",
          "-c",
          'trap "" TERM; trap "echo usr1 >/tmp/usr1" USR1; while :; do sleep 0.2; done',
        ]);
        assertEquals(r.code, 0, show(r));
        did = r.stdout.trim();
        assertMatch(did, /^[0-9a-f]{64}$/);
        assertEquals(await inspect(d, "{{.State.Status}}"), "running");
        dpid = Number(await inspect(d, "{{.State.Pid}}"));
        assert(dpid > 0, "no pid");
        assertEquals(cgroupOf(dpid, "memory"), `${cgroupParent}/libpod-${did}`);
        const read = (c: string, f: string) =>
          Deno.readTextFileSync(`${cgroupDir(c, did)}/${f}`).trim();
        assertEquals(read("memory", "memory.limit_in_bytes"), String(64 * 1024 * 1024));
        assertEquals(read("pids", "pids.max"), "64");
        assertEquals(read("cpu", "cpu.cfs_quota_us"), "50000");
        assertEquals(read("cpu", "cpu.cfs_period_us"), "100000");
        // The container sees its own memory cgroup at /sys/fs/cgroup/memory.
        const inside = await podman([
          "exec",
          d,
          "cat",
          "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        ]);
        assertEquals(inside.stdout.trim(), String(64 * 1024 * 1024), show(inside));
      });

      await t.step("exec: output, status, user/env/cwd, stdin, runc's exec flags", async () => {
        const r = await podman(["exec", d, "sh", "-c", 'echo "$$"; cat /proc/1/cmdline']);
        assertEquals(r.code, 0, show(r));
        const [pid, cmdline] = r.stdout.split("\n");
        assert(Number(pid) > 1, `exec'd shell has pid ${pid}`);
        assertStringIncludes(cmdline, "while :; do sleep 0.2; done");
        const ids = await podman([
          "exec",
          "-u",
          "1000:1000",
          "-e",
          "A=1",
          "-w",
          "/tmp",
          d,
          "sh",
          "-c",
          'echo "$(id -u):$(id -g):$A:$(pwd)"',
        ]);
        assertEquals(ids.stdout, "1000:1000:1:/tmp\n", show(ids));
        const seven = await podman(["exec", d, "sh", "-c", "exit 7"]);
        assertEquals(seven.code, 7, show(seven));
        const cat = await podman(["exec", "-i", d, "cat"], { stdin: "piped in\n" });
        assertEquals(cat.stdout, "piped in\n", show(cat));
        const execs = callsFor(did).filter((c) => sub(c) === "exec");
        assert(execs.length >= 4, `exec calls: ${execs.length}`);
        for (const c of execs) {
          assertMatch(
            normalize(c, base, [did]),
            new RegExp(
              "^--log-format=json --log \\$TMP/root/vfs-containers/<id>/userdata/<exec>/oci-log " +
                "exec --pid-file \\$TMP/root/vfs-containers/<id>/userdata/<exec>/exec_pid " +
                "--process \\$TMP/root/vfs-containers/<id>/userdata/<exec>/exec-process-N " +
                "--detach <id>$",
            ),
          );
        }
      });

      await t.step("podman top lists the container's processes", async () => {
        const r = await podman(["top", d, "pid", "args"]);
        assertEquals(r.code, 0, show(r));
        assertMatch(r.stdout, /^\s*1\s+sh -c trap .*while :; do sleep 0\.2; done/m);
      });

      await t.step("podman stats --no-stream reads the container's cgroups", async () => {
        const r = await podman(["stats", "--no-stream", "--format", "json", d]);
        assertEquals(r.code, 0, show(r));
        const [s] = JSON.parse(r.stdout);
        assertEquals(s.name, d);
        assert(Number(s.pids) >= 1, `pids ${s.pids}`);
        assertMatch(s.mem_usage, /\/ 67\.11MB$/);
        assert(s.cpu_time && s.cpu_time !== "0s", `cpu_time ${s.cpu_time}`);
      });

      await t.step("pause/unpause freeze and thaw the container", async () => {
        const freezer = `${hierarchyOf("freezer")}${cgroupOf(dpid, "freezer")}/freezer.state`;
        const p = await podman(["pause", d]);
        assertEquals(p.code, 0, show(p));
        assertEquals(Deno.readTextFileSync(freezer).trim(), "FROZEN");
        assertEquals(await inspect(d, "{{.State.Status}}"), "paused");
        const u = await podman(["unpause", d]);
        assertEquals(u.code, 0, show(u));
        assertEquals(Deno.readTextFileSync(freezer).trim(), "THAWED");
        assertEquals(await inspect(d, "{{.State.Status}}"), "running");
        const calls = callsFor(did).map((c) => c.join(" "));
        assert(calls.includes(`pause ${did}`), "no pause call");
        assert(calls.includes(`resume ${did}`), "no resume call");
      });

      await t.step("kill -s USR1 reaches the container's trap", async () => {
        const r = await podman(["kill", "--signal", "USR1", d]);
        assertEquals(r.code, 0, show(r));
        assert(callsFor(did).some((c) => c.join(" ") === `kill ${did} 10`), "no kill ID 10");
        const marker = async () =>
          (await podman(["exec", d, "cat", "/tmp/usr1"])).stdout === "usr1\n";
        assert(await waitFor(marker, 10), "the USR1 trap did not run");
        assertEquals(await inspect(d, "{{.State.Status}}"), "running");
      });

      await t.step("stop -t 1: SIGTERM is ignored, SIGKILL after 1 s, status 137", async () => {
        const r = await podman(["stop", "--time", "1", d]);
        assertEquals(r.code, 0, show(r));
        assert(r.ms >= 1000 && r.ms < 9000, `stop took ${Math.round(r.ms)} ms`);
        assertEquals(await inspect(d, "{{.State.Status}} {{.State.ExitCode}}"), "exited 137");
        const calls = callsFor(did).map((c) => c.join(" "));
        const term = calls.indexOf(`kill ${did} 15`);
        const kill = calls.lastIndexOf(`kill ${did} 9`);
        assert(term >= 0 && kill > term, `kill calls: ${JSON.stringify(calls)}`);
        assert(!exists(`/proc/${dpid}/cmdline`) || dpid === 0, "the init still runs");
      });

      await t.step("start of the stopped container runs it again", async () => {
        const creates = subs(did).filter((s) => s === "create").length;
        const r = await podman(["start", d]);
        assertEquals(r.code, 0, show(r));
        assertEquals(await inspect(d, "{{.State.Status}}"), "running");
        const pid = Number(await inspect(d, "{{.State.Pid}}"));
        assert(pid > 0 && pid !== dpid, `pid ${pid} (before: ${dpid})`);
        assertEquals(subs(did).filter((s) => s === "create").length, creates + 1);
        const e = await podman(["exec", d, "echo", "again"]);
        assertEquals(e.stdout, "again\n", show(e));
        dpid = pid;
      });

      await t.step("rm -f removes the running container everywhere", async () => {
        const r = await podman(["rm", "--force", "--time", "0", d]);
        assertEquals(r.code, 0, show(r));
        assert(!exists(`/proc/${dpid}/cmdline`), "the init still runs");
        await assertGone(did);
      });

      await t.step("stop of a container that exits on SIGTERM sends only SIGTERM", async () => {
        const n = name("term");
        const r = await run([
          "-d",
          "--name",
          n,
          IMAGE,
          "sh",
          "-c",
          'trap "exit 0" TERM; while :; do sleep 0.1; done',
        ]);
        assertEquals(r.code, 0, show(r));
        const id = r.stdout.trim();
        const s = await podman(["stop", "--time", "10", n]);
        assertEquals(s.code, 0, show(s));
        assert(s.ms < 8000, `stop took ${Math.round(s.ms)} ms`);
        assertEquals(await inspect(n, "{{.State.Status}} {{.State.ExitCode}}"), "exited 0");
        const calls = callsFor(id).map((c) => c.join(" "));
        assert(calls.includes(`kill ${id} 15`), "no SIGTERM");
        assert(!calls.includes(`kill ${id} 9`), "SIGKILL was needed");
        const rm = await podman(["rm", n]);
        assertEquals(rm.code, 0, show(rm));
        await assertGone(id);
      });

      await t.step("run -it: a real pty, its size, exit status", async () => {
        const cid = `${base}/tty.cid`;
        const res = await runInPty(
          engine.argv(["run", "-it", "--rm", "--cidfile", cid, ...engine.createFlags, IMAGE, "sh"]),
          {
            rows: 30,
            cols: 100,
            timeout: 40,
            env: engine.env,
            steps: [
              { expect: "/ # " },
              { send: "tty; stty size; echo $((6*7))\r" },
              { expect: "42\r?\n" },
              { send: "exit 5\r" },
            ],
          },
        );
        assertEquals(res.error, null, res.output);
        assertEquals(res.status, 5, res.output);
        assertStringIncludes(res.output, "/dev/pts/0");
        assertStringIncludes(res.output, "30 100");
        const id = Deno.readTextFileSync(cid).trim();
        const create = callsFor(id).find((c) => sub(c) === "create") ?? [];
        assertMatch(
          normalize(create, base, [id]),
          /^--log-format=json --log \S+ create --bundle \S+ --pid-file \S+ --console-socket \/tmp\/conmon-term\.XXXXXX <id>$/,
        );
        await assertGone(id);
      });

      await t.step("exec -it: a real pty in a running container", async () => {
        const n = name("ttyexec");
        const r = await run(["-d", "--name", n, IMAGE, "sleep", "600"]);
        assertEquals(r.code, 0, show(r));
        const id = r.stdout.trim();
        try {
          const res = await runInPty(engine.argv(["exec", "-it", n, "sh"]), {
            rows: 24,
            cols: 70,
            timeout: 40,
            env: engine.env,
            steps: [
              { expect: "/ # " },
              { send: "tty; stty size; echo $((6*7))\r" },
              { expect: "42\r?\n" },
              { send: "exit 4\r" },
            ],
          });
          assertEquals(res.error, null, res.output);
          assertEquals(res.status, 4, res.output);
          assertMatch(res.output, /\/dev\/pts\/\d+/);
          assertStringIncludes(res.output, "24 70");
          const exec = callsFor(id).find((c) => sub(c) === "exec") ?? [];
          assertMatch(
            normalize(exec, base, [id]),
            / exec --pid-file \S+ --process \S+ --detach --tty --console-socket \/tmp\/conmon-term\.XXXXXX <id>$/,
          );
        } finally {
          await podman(["rm", "--force", "--time", "0", n]);
        }
        await assertGone(id);
      });

      await t.step("failed create: a missing command, tsrunc's message, exit 127", async () => {
        const cid = `${base}/missing.cid`;
        const r = await run(["--rm", "--cidfile", cid, IMAGE, "nosuchcmd"]);
        assertEquals(r.code, 127, show(r));
        assertStringIncludes(r.stderr, 'program "nosuchcmd" not found in PATH');
        const id = Deno.readTextFileSync(cid).trim();
        assertEquals(subs(id).filter((s) => s !== "delete"), ["create"]);
        await assertGone(id);
      });

      await t.step("failed create: a bind mount of a file on a directory", async () => {
        const file = `${base}/a-file`;
        Deno.writeTextFileSync(file, "x\n");
        const cid = `${base}/bind.cid`;
        const r = await run([
          "--rm",
          "--cidfile",
          cid,
          "--mount",
          `type=bind,src=${file},dst=/bin`,
          IMAGE,
          "true",
        ]);
        assertEquals(r.code, 126, show(r)); // runc: 126 too
        assertStringIncludes(r.stderr, `mount ${file} on /bin`);
        assertStringIncludes(r.stderr, "not a directory");
        const id = Deno.readTextFileSync(cid).trim();
        await assertGone(id);
      });

      await t.step("failed create: an rlimit above the hard limit", async () => {
        const hard = new TextDecoder().decode(
          (await new Deno.Command("/bin/sh", { args: ["-c", "ulimit -Hn"], stdout: "piped" })
            .output()).stdout,
        ).trim();
        if (!/^\d+$/.test(hard)) return; // unlimited: nothing to exceed
        const over = Number(hard) + 1;
        const cid = `${base}/rlimit.cid`;
        const r = await run([
          "--rm",
          "--cidfile",
          cid,
          "--ulimit",
          `nofile=${over}:${over}`,
          IMAGE,
          "true",
        ]);
        assertEquals(r.code, 126, show(r)); // runc: 126 too ("OCI permission denied")
        assertStringIncludes(r.stderr, `setrlimit resource 7 to ${over}/${over}`);
        assertStringIncludes(r.stderr, "operation not permitted");
        await assertGone(Deno.readTextFileSync(cid).trim());
      });

      // Podman classifies runtime errors by their text (libpod/oci_util.go
      // getOCIRuntimeError: "executable file not found in" or "no such file or directory"
      // -> 127; "permission denied" or "operation not permitted" -> 126; anything else is
      // a generic OCI error: `podman exec` exits 255, `podman run` 126). runc's messages
      // carry those words; tsrunc's must too (before d0ec6a4 they did not: "program /x
      // cannot be found" made `podman exec` exit 255 and `podman run` 126).
      await t.step("errors of a program to run map to 127/126 as with runc", async (t) => {
        const n = name("execerr");
        const r = await run(["-d", "--name", n, IMAGE, "sleep", "600"]);
        assertEquals(r.code, 0, show(r));
        const id = r.stdout.trim();
        try {
          await t.step("exec of a missing program exits 127", async () => {
            const e = await podman(["exec", n, "nosuchcmd"]);
            assertStringIncludes(e.stderr, "nosuchcmd");
            assertEquals(e.code, 127, show(e));
          });
          await t.step("exec of a file that is not executable exits 126", async () => {
            const e = await podman(["exec", n, "/etc/passwd"]);
            assertStringIncludes(e.stderr, "/etc/passwd");
            assertEquals(e.code, 126, show(e));
          });
          await t.step("run of a missing absolute path exits 127", async () => {
            const e = await run(["--rm", IMAGE, "/nonexistent"]);
            assertStringIncludes(e.stderr, "/nonexistent");
            assertEquals(e.code, 127, show(e));
          });
        } finally {
          await podman(["rm", "--force", "--time", "0", n]);
        }
        await assertGone(id);
      });

      await t.step("without runtime_supports_json: no --log, errors from stderr", async () => {
        const cid = `${base}/plain.cid`;
        const r = await podman(
          ["run", ...engine.createFlags, "--rm", "--cidfile", cid, IMAGE, "echo", "plain"],
          { conf: "plain" },
        );
        assertEquals(r.code, 0, show(r));
        assertEquals(r.stdout, "plain\n");
        const id = Deno.readTextFileSync(cid).trim();
        const create = callsFor(id).find((c) => sub(c) === "create") ?? [];
        assertEquals(create[0], "create", create.join(" "));
        await assertGone(id);
        const failed = `${base}/plain-failed.cid`;
        const f = await podman(
          ["run", ...engine.createFlags, "--rm", "--cidfile", failed, IMAGE, "nosuchcmd"],
          { conf: "plain" },
        );
        assertEquals(f.code, 127, show(f));
        assertStringIncludes(f.stderr, 'program "nosuchcmd" not found in PATH');
        await assertGone(Deno.readTextFileSync(failed).trim());
      });

      await t.step("the runtime calls: runc's commands and flags, no --root", () => {
        const calls = engine.calls();
        const ids = engine.createdIds();
        const shapes = new Map<string, number>();
        for (const c of calls) {
          const s = normalize(c, base, ids);
          shapes.set(s, (shapes.get(s) ?? 0) + 1);
        }
        console.log(
          `\nruntime calls by podman/conmon (${calls.length}):\n` +
            [...shapes].map(([s, n]) => `  ${String(n).padStart(3)}x ${s}`).join("\n"),
        );
        for (const c of calls) {
          assert(!c.includes("--root"), `--root passed: ${c.join(" ")}`);
          // Only create and exec get a log (and then first, before the command).
          const log = c.findIndex((a) => a.startsWith("--log"));
          if (log >= 0) {
            assert(["create", "exec"].includes(sub(c)), `--log passed: ${c.join(" ")}`);
            assertEquals(c.slice(0, 2), ["--log-format=json", "--log"], c.join(" "));
          }
        }
        const used = new Set(calls.map(sub));
        for (const s of ["create", "start", "exec", "kill", "pause", "resume", "delete"]) {
          assert(used.has(s), `${s} never called`);
        }
        for (const s of used) {
          assert(
            ["", "create", "start", "exec", "kill", "pause", "resume", "delete", "state"].includes(
              s,
            ),
            `unexpected runtime command ${s}`,
          );
        }
      });
    } finally {
      // `podman rm --all --force` first: anything left after it (tsrunc state, mounts,
      // cgroups, processes) is a leak, and fails the test (below).
      leftovers = await engine.close();
    }
    assertEquals(leftovers, [], "left after podman rm --all --force");
  },
});

/**
 * OCI hooks: each of prestart, createRuntime, createContainer, startContainer,
 * poststart and poststop runs at its point of the lifecycle, in the right namespaces,
 * with the container's state on stdin, its args and env; failures and time-outs fail
 * create where the spec says so and are only warnings where it says so.
 *
 * Hooks append `<name> <stdin>` to a log on the host; the in-container ones write to
 * the same log through a bind mount at /hostlog.
 */
import { assert, assertEquals, assertStringIncludes } from "./_assert.ts";
import {
  alive,
  type Bundle,
  exists,
  IS_ROOT,
  ok,
  type Result,
  tsruncCommand,
  uniqueId,
  waitFor,
  withBundle,
} from "./_helpers.ts";

const ignore = !IS_ROOT;
const HOOK_NAMES = [
  "prestart",
  "createRuntime",
  "createContainer",
  "startContainer",
  "poststart",
  "poststop",
] as const;
const NAMESPACES = ["mnt", "net", "uts", "ipc", "pid"];

function assertOneLine(stderr: string, what: string): void {
  assert(
    stderr.endsWith("\n") && stderr.trim().length > 0,
    `${what}: stderr is not a line: ${JSON.stringify(stderr)}`,
  );
  assertEquals(
    stderr.trimEnd().split("\n").length,
    1,
    `${what}: stderr is not one line: ${JSON.stringify(stderr)}`,
  );
}

/** Where the hooks of a bundle log, on the host and in the container. */
interface HookSetup {
  /** Host directory bind-mounted at /hostlog. */
  logDir: string;
  /** The host hook script (logs its name, stdin and namespaces). */
  hostScript: string;
  /** The in-container hook script's path inside the rootfs. */
  containerScript: string;
}

// $1 is the hook's name. Besides the log line it records the hook's namespaces.
const LOGGING_HOOK = (log: string) =>
  `#!/bin/sh
input=$(cat | tr -d '\\n')
for ns in ${NAMESPACES.join(" ")}; do
  printf '%s %s\\n' "$ns" "$(readlink /proc/self/ns/$ns)" >> "${log}.$1.ns"
done
printf '%s %s\\n' "$1" "$input" >> "${log}"
`;

/** Write the logging hooks and the /hostlog bind mount into the bundle. */
function setUpHooks(b: Bundle): HookSetup {
  const logDir = `${b.dir}/hooklog`;
  Deno.mkdirSync(logDir);
  Deno.mkdirSync(`${b.rootfs}/hostlog`);
  b.config.mounts.push({
    destination: "/hostlog",
    type: "bind",
    source: logDir,
    options: ["rbind", "rw"],
  });
  const hostScript = `${b.dir}/hook.sh`;
  Deno.writeTextFileSync(hostScript, LOGGING_HOOK(`${logDir}/log`));
  Deno.chmodSync(hostScript, 0o755);
  // Only in the rootfs: a startContainer hook resolves its path in the container.
  const containerScript = "/bin/container-hook.sh";
  Deno.writeTextFileSync(`${b.rootfs}${containerScript}`, LOGGING_HOOK("/hostlog/log"));
  Deno.chmodSync(`${b.rootfs}${containerScript}`, 0o755);
  return { logDir, hostScript, containerScript };
}

/** A hook entry that runs script with the hook's name as $1. */
function hook(script: string, name: string, extra: Record<string, unknown> = {}) {
  return {
    path: script,
    args: [script.replace(/.*\//, ""), name],
    env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
    ...extra,
  };
}

/** Configure all six hooks with the logging scripts. */
function allHooks(b: Bundle, h: HookSetup): void {
  b.config.hooks = Object.fromEntries(
    HOOK_NAMES.map((
      name,
    ) => [name, [hook(name === "startContainer" ? h.containerScript : h.hostScript, name)]]),
  );
}

/** One logged hook call. */
interface Call {
  name: string;
  // deno-lint-ignore no-explicit-any
  state: any;
}

/** The hook calls logged so far, in order. */
function calls(h: HookSetup): Call[] {
  let text = "";
  try {
    text = Deno.readTextFileSync(`${h.logDir}/log`);
  } catch {
    return [];
  }
  return text.trimEnd().split("\n").filter(Boolean).map((line) => {
    const at = line.indexOf(" ");
    const name = line.slice(0, at);
    const input = line.slice(at + 1);
    try {
      return { name, state: JSON.parse(input) };
    } catch {
      throw new Error(`hook ${name} did not get JSON on stdin: ${JSON.stringify(input)}`);
    }
  });
}

/** The namespaces a hook recorded. */
function hookNamespaces(h: HookSetup, name: string): Record<string, string> {
  const text = Deno.readTextFileSync(`${h.logDir}/log.${name}.ns`);
  return Object.fromEntries(text.trimEnd().split("\n").map((l) => l.split(" ")));
}

/** The namespaces of a host pid (or "self"). */
function namespacesOf(pid: number | "self"): Record<string, string> {
  return Object.fromEntries(
    NAMESPACES.map((ns) => [ns, Deno.readLinkSync(`/proc/${pid}/ns/${ns}`)]),
  );
}

async function statePid(b: Bundle, id: string): Promise<number> {
  return JSON.parse(ok(await b.run(["state", id]), "state").stdout).pid;
}

/** Go through create, start, kill and delete, returning the init's pid. */
async function fullLifecycle(b: Bundle, h: HookSetup, id: string): Promise<number> {
  b.save();
  ok(await b.run(["create", id]), "create");
  const pid = await statePid(b, id);
  assertEquals(calls(h).map((c) => c.name), ["prestart", "createRuntime", "createContainer"]);
  ok(await b.run(["start", id]), "start");
  await waitFor("poststart", () => calls(h).some((c) => c.name === "poststart"));
  ok(await b.run(["kill", id, "KILL"]), "kill");
  await waitFor("the init to die", () => !alive(pid));
  assert(!calls(h).some((c) => c.name === "poststop"), "poststop ran before delete");
  ok(await b.run(["delete", id]), "delete");
  return pid;
}

Deno.test({
  name: "the six hooks run in lifecycle order with the container's state on stdin",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const h = setUpHooks(b);
      allHooks(b, h);
      const id = uniqueId("hooks");
      const pid = await fullLifecycle(b, h, id);
      const log = calls(h);
      assertEquals(log.map((c) => c.name), [...HOOK_NAMES]);
      for (const c of log) {
        assertEquals(c.state.id, id, `${c.name}: id`);
        assertEquals(c.state.bundle, b.dir, `${c.name}: bundle`);
        assertEquals(typeof c.state.ociVersion, "string", `${c.name}: ociVersion`);
        assertEquals(typeof c.state.status, "string", `${c.name}: status`);
        // The spec: pid is the container process as seen by the host.
        if (c.name !== "poststop") assertEquals(c.state.pid, pid, `${c.name}: pid`);
      }
    }),
});

Deno.test({
  name: "each hook sees the status of its point: creating, created, running, stopped",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const h = setUpHooks(b);
      allHooks(b, h);
      await fullLifecycle(b, h, uniqueId("hooks"));
      // As runc 1.1: startContainer runs once start was asked of a created container.
      assertEquals(
        Object.fromEntries(calls(h).map((c) => [c.name, c.state.status])),
        {
          prestart: "creating",
          createRuntime: "creating",
          createContainer: "creating",
          startContainer: "created",
          poststart: "running",
          poststop: "stopped",
        },
      );
    }),
});

Deno.test({
  name: "run also calls every hook, poststop included, in order",
  ignore,
  fn: () =>
    withBundle(["sh", "-c", "sleep 0.2"], async (b) => {
      const h = setUpHooks(b);
      allHooks(b, h);
      b.save();
      ok(await b.run(["run", uniqueId("hooks")]), "run");
      assertEquals(calls(h).map((c) => c.name), [...HOOK_NAMES]);
    }),
});

Deno.test({
  name: "prestart and createRuntime run on the host, createContainer in the container's namespaces",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const h = setUpHooks(b);
      allHooks(b, h);
      b.save();
      const id = uniqueId("hooks");
      ok(await b.run(["create", id]), "create");
      const container = namespacesOf(await statePid(b, id));
      const host = namespacesOf("self");
      for (const ns of NAMESPACES) assert(container[ns] !== host[ns], `container shares ${ns}`);
      assertEquals(hookNamespaces(h, "prestart"), host, "prestart");
      assertEquals(hookNamespaces(h, "createRuntime"), host, "createRuntime");
      assertEquals(hookNamespaces(h, "createContainer"), container, "createContainer");
    }),
});

Deno.test({
  name: "a startContainer hook's path resolves inside the container and it runs there",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const h = setUpHooks(b);
      assert(!exists(h.containerScript), `${h.containerScript} exists on the host`);
      b.config.hooks = { startContainer: [hook(h.containerScript, "startContainer")] };
      b.save();
      const id = uniqueId("hooks");
      ok(await b.run(["create", id]), "create");
      assertEquals(calls(h), [], "startContainer ran at create");
      const container = namespacesOf(await statePid(b, id));
      ok(await b.run(["start", id]), "start");
      await waitFor("startContainer", () => calls(h).length === 1);
      assertEquals(calls(h)[0].name, "startContainer");
      assertEquals(hookNamespaces(h, "startContainer"), container);
    }),
});

Deno.test({
  name: "hook args and env reach the hook, and tsrunc's own environment does not",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const out = `${b.dir}/args-env`;
      const script = `${b.dir}/args.sh`;
      Deno.writeTextFileSync(
        script,
        `#!/bin/sh\n{ echo "argc=$#"; for a in "$@"; do echo "arg=$a"; done; env | sort; } > ${out}\n`,
      );
      Deno.chmodSync(script, 0o755);
      b.config.hooks = {
        prestart: [{
          path: script,
          args: ["ignored-argv0", "one", "two words", "--three"],
          env: ["PATH=/usr/bin:/bin", "HOOK_VAR=hook value", "EMPTY="],
        }],
      };
      b.save();
      ok(
        await b.run(["run", uniqueId("hooks")], { env: { LEAKED_FROM_TSRUNC: "1" } }),
        "run",
      );
      const lines = Deno.readTextFileSync(out).trimEnd().split("\n");
      assertEquals(lines.slice(0, 4), ["argc=3", "arg=one", "arg=two words", "arg=--three"]);
      const env = lines.slice(4);
      assert(env.includes("HOOK_VAR=hook value"), `env: ${env.join(" | ")}`);
      assert(env.includes("EMPTY="), `env: ${env.join(" | ")}`);
      assert(env.includes("PATH=/usr/bin:/bin"), `env: ${env.join(" | ")}`);
      assert(
        !env.some((l) => l.startsWith("LEAKED_FROM_TSRUNC=")),
        `tsrunc's environment leaked into the hook: ${env.join(" | ")}`,
      );
    }),
});

/** A hook script that records its stdin (the state) to `${file}` and then runs body. */
function failingScript(b: Bundle, name: string, body: string): string {
  const script = `${b.dir}/${name}.sh`;
  Deno.writeTextFileSync(
    script,
    `#!/bin/sh\ncat > ${b.dir}/${name}.state\necho $$ > ${b.dir}/${name}.pid\n${body}\n`,
  );
  Deno.chmodSync(script, 0o755);
  return script;
}

/** The state a hook written by failingScript received. */
// deno-lint-ignore no-explicit-any
function recordedState(b: Bundle, name: string): any {
  return JSON.parse(Deno.readTextFileSync(`${b.dir}/${name}.state`));
}

/** Insist create failed with one line naming the hook and left no state or init. */
function assertCreateFailedCleanly(b: Bundle, r: Result, script: string, name: string): void {
  assertEquals(r.code, 1, `create with a failing ${name} hook: ${r.stderr}`);
  assertOneLine(r.stderr, `failing ${name} hook`);
  assertStringIncludes(r.stderr, script, `the message names the ${name} hook`);
  const entries = exists(b.root) ? [...Deno.readDirSync(b.root)].map((e) => e.name) : [];
  assertEquals(entries, [], `state left after a failing ${name} hook`);
}

for (const name of ["prestart", "createRuntime", "createContainer"] as const) {
  Deno.test({
    name: `a failing ${name} hook fails create, naming the hook, and leaves no state or process`,
    ignore,
    fn: () =>
      withBundle(["sleep", "100"], async (b) => {
        const script = failingScript(b, name, "exit 3");
        b.config.hooks = { [name]: [{ path: script, args: [script] }] };
        b.save();
        const r = await b.run(["create", uniqueId("hooks")]);
        assertCreateFailedCleanly(b, r, script, name);
        const pid = recordedState(b, name).pid;
        assert(Number.isInteger(pid) && pid > 0, `state pid ${pid}`);
        await waitFor(`the init ${pid} to be gone`, () => !alive(pid), 2000);
      }),
  });
}

Deno.test({
  name: "a prestart hook over its timeout of 1 s fails create within 3 s and is killed",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const script = failingScript(b, "slow", "exec sleep 10");
      b.config.hooks = { prestart: [{ path: script, args: [script], timeout: 1 }] };
      b.save();
      const t0 = Date.now();
      const r = await b.run(["create", uniqueId("hooks")]);
      const elapsed = Date.now() - t0;
      assertCreateFailedCleanly(b, r, script, "prestart");
      assert(elapsed < 3000, `create took ${elapsed} ms`);
      const hookPid = Number(Deno.readTextFileSync(`${b.dir}/slow.pid`));
      await waitFor(`the timed-out hook ${hookPid} to be killed`, () => !alive(hookPid), 1000);
      const init = recordedState(b, "slow").pid;
      await waitFor(`the init ${init} to be gone`, () => !alive(init), 2000);
    }),
});

Deno.test({
  name: "a timeout of 0 or less is rejected as invalid config",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.hooks = { prestart: [{ path: "/bin/true", timeout: 0 }] };
      b.save();
      const r = await b.run(["create", uniqueId("hooks")]);
      assertEquals(r.code, 1, r.stderr);
      assertOneLine(r.stderr, "timeout 0");
      assertStringIncludes(r.stderr, "timeout");
    }),
});

Deno.test({
  name: "a failing startContainer hook stops the container before its process runs and is reported",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const h = setUpHooks(b);
      Deno.writeTextFileSync(`${b.rootfs}/bin/fail-hook.sh`, "#!/bin/sh\nexit 5\n");
      Deno.chmodSync(`${b.rootfs}/bin/fail-hook.sh`, 0o755);
      b.config.process.args = ["sh", "-c", "echo ran > /hostlog/ran; sleep 100"];
      b.config.hooks = { startContainer: [{ path: "/bin/fail-hook.sh" }] };
      b.save();
      const id = uniqueId("hooks");
      // The hook runs in the container's init, whose stderr is create's: as with runc
      // 1.1 the error may land there while start itself exits 0.
      const createErr = `${b.dir}/create.err`;
      const [cmd, ...pre] = tsruncCommand();
      const created = await new Deno.Command("/bin/sh", {
        args: [
          "-c",
          'exec "$@" >/dev/null 2>"$ERR"',
          "sh",
          cmd,
          ...pre,
          "--root",
          b.root,
          "create",
          id,
        ],
        cwd: b.dir,
        env: { ERR: createErr },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn().status;
      assertEquals(created.code, 0, Deno.readTextFileSync(createErr));
      const pid = await statePid(b, id);
      const r = await b.run(["start", id]);
      await waitFor("the init to be gone", () => !alive(pid), 3000);
      assert(!exists(`${h.logDir}/ran`), "the user process ran despite the failed hook");
      const state = JSON.parse(ok(await b.run(["state", id]), "state").stdout);
      assertEquals(state.status, "stopped");
      if (r.code !== 0) {
        assertEquals(r.code, 1, r.stderr);
        assertOneLine(r.stderr, "failing startContainer hook");
      }
      assertStringIncludes(
        r.stderr + Deno.readTextFileSync(createErr),
        "/bin/fail-hook.sh",
        "no error names the failed startContainer hook",
      );
    }),
});

Deno.test({
  name: "a failing poststart hook is only a warning: start exits 0 and the container runs",
  ignore,
  fn: () =>
    withBundle(["sleep", "100"], async (b) => {
      const script = failingScript(b, "poststart", "exit 7");
      b.config.hooks = { poststart: [{ path: script, args: [script] }] };
      b.save();
      const id = uniqueId("hooks");
      ok(await b.run(["create", id]), "create");
      const r = await b.run(["start", id]);
      assertEquals(r.code, 0, `start: ${r.stderr}`);
      assert(exists(`${b.dir}/poststart.state`), "the poststart hook did not run");
      assertStringIncludes(r.stderr, script, "the warning names the hook");
      const state = JSON.parse(ok(await b.run(["state", id]), "state").stdout);
      assertEquals(state.status, "running");
    }),
});

Deno.test({
  name: "a failing poststop hook is only a warning: delete exits 0 and removes the container",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const script = failingScript(b, "poststop", "exit 7");
      b.config.hooks = { poststop: [{ path: script, args: [script] }] };
      b.save();
      const id = uniqueId("hooks");
      ok(await b.run(["run", "--keep", id]), "run --keep");
      const r = await b.run(["delete", id]);
      assertEquals(r.code, 0, `delete: ${r.stderr}`);
      assert(exists(`${b.dir}/poststop.state`), "the poststop hook did not run");
      assertStringIncludes(r.stderr, script, "the warning names the hook");
      assert(!exists(`${b.root}/${id}`), "the state directory is left");
    }),
});

Deno.test({
  name: "hooks of one kind run in the order given and a failure stops the rest",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      const log = `${b.dir}/order`;
      const step = (n: string, code: number) => ({
        path: "/bin/sh",
        args: ["sh", "-c", `echo ${n} >> ${log}; exit ${code}`],
      });
      b.config.hooks = { prestart: [step("a", 0), step("b", 0), step("c", 1), step("d", 0)] };
      b.save();
      const r = await b.run(["create", uniqueId("hooks")]);
      assertEquals(r.code, 1, r.stderr);
      assertEquals(Deno.readTextFileSync(log), "a\nb\nc\n");
    }),
});

Deno.test({
  name: "a createContainer hook runs in the rootfs directory, a startContainer hook in the " +
    "process's cwd, as with runc: relative paths work",
  ignore,
  fn: () =>
    withBundle(["true"], async (b) => {
      b.config.root.readonly = false;
      b.config.process.cwd = "/tmp";
      b.config.hooks = {
        createContainer: [{ path: "/bin/sh", args: ["sh", "-c", "pwd > ./create-cwd"] }],
        startContainer: [{ path: "/bin/sh", args: ["sh", "-c", "pwd > ./start-cwd"] }],
      };
      b.save();
      ok(await b.run(["run", uniqueId("hooks")]), "run");
      assertEquals(Deno.readTextFileSync(`${b.rootfs}/create-cwd`), `${b.rootfs}\n`);
      assertEquals(Deno.readTextFileSync(`${b.rootfs}/tmp/start-cwd`), "/tmp\n");
    }),
});

/**
 * Hooks run at the runtime-spec's points, with the state on stdin, in the right
 * namespaces; create-time failures fail create and leave nothing; poststart and poststop
 * failures are warnings.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import { type Bundle, uniqueId, withBundle } from "./_helpers.ts";

/** A hook script in the bundle that appends "<name> <mnt ns> <stdin>" to log. */
function hookScript(b: Bundle, log: string): string {
  const path = `${b.dir}/hook.sh`;
  Deno.writeTextFileSync(
    path,
    `#!/bin/sh\necho "$1 $(readlink /proc/self/ns/mnt) $HOOK_ENV $(cat)" >> ${log}\n`,
  );
  Deno.chmodSync(path, 0o755);
  return path;
}

function hook(path: string, name: string) {
  return { path, args: ["hook.sh", name], env: ["HOOK_ENV=env-ok"] };
}

Deno.test("every hook runs at its point with the state on stdin, args and env", async () => {
  await withBundle(["sh", "-c", "readlink /proc/self/ns/mnt > /ns"], async (b) => {
    b.config.root.readonly = false;
    const log = `${b.dir}/hooks.log`;
    const path = hookScript(b, log);
    // startContainer resolves in the container: give the rootfs the same script.
    Deno.copyFileSync(path, `${b.rootfs}/hook.sh`);
    Deno.chmodSync(`${b.rootfs}/hook.sh`, 0o755);
    b.config.mounts.push({ destination: "/log", type: "bind", source: b.dir, options: ["rbind"] });
    const inContainer = {
      path: "/hook.sh",
      args: ["hook.sh", "startContainer"],
      env: ["HOOK_ENV=env-ok"],
    };
    Deno.writeTextFileSync(
      `${b.rootfs}/hook.sh`,
      `#!/bin/sh\necho "$1 $(readlink /proc/self/ns/mnt) $HOOK_ENV $(cat)" >> /log/hooks.log\n`,
    );
    b.config.hooks = {
      prestart: [hook(path, "prestart")],
      createRuntime: [hook(path, "createRuntime")],
      createContainer: [hook(path, "createContainer")],
      startContainer: [inContainer],
      poststart: [hook(path, "poststart")],
      poststop: [hook(path, "poststop")],
    };
    b.save();
    const id = uniqueId("hooks");
    const result = await b.run(["run", id]);
    assertEquals(result.code, 0, result.stderr);
    const lines = Deno.readTextFileSync(log).trim().split("\n");
    assertEquals(lines.map((l) => l.split(" ")[0]), [
      "prestart",
      "createRuntime",
      "createContainer",
      "startContainer",
      "poststart",
      "poststop",
    ]);
    const hostNs = Deno.readLinkSync("/proc/self/ns/mnt");
    const containerNs = Deno.readTextFileSync(`${b.rootfs}/ns`).trim();
    for (const line of lines) {
      const [name, ns, env, ...rest] = line.split(" ");
      assertEquals(env, "env-ok", `${name} gets its env`);
      const state = JSON.parse(rest.join(" "));
      assertEquals(state.id, id);
      assertEquals(state.bundle, b.dir);
      assert(state.pid > 0, `${name} gets the pid`);
      const inside = name === "createContainer" || name === "startContainer";
      assertEquals(ns, inside ? containerNs : hostNs, `${name} runs in the right mount namespace`);
      const status = {
        prestart: "creating",
        createRuntime: "creating",
        createContainer: "creating",
        poststart: "running",
        poststop: "stopped",
      }[name];
      if (status) assertEquals(state.status, status, `${name} sees status ${status}`);
    }
  });
});

Deno.test("a failing prestart hook fails create, names the hook and leaves nothing", async () => {
  await withBundle(["sleep", "30"], async (b) => {
    b.config.hooks = {
      prestart: [{ path: "/bin/sh", args: ["sh", "-c", "echo broken >&2; exit 7"] }],
    };
    b.save();
    const result = await b.run(["create", uniqueId("prestart")]);
    assertEquals(result.code, 1);
    assertMatch(
      result.stderr.trim(),
      /^tsrunc: prestart hook \/bin\/sh exited with status 7: broken$/,
    );
    assertEquals([...Deno.readDirSync(b.root)].length, 0);
  });
});

Deno.test("a hook past its timeout fails create quickly", async () => {
  await withBundle(["true"], async (b) => {
    b.config.hooks = { createRuntime: [{ path: "/bin/sleep", args: ["sleep", "10"], timeout: 1 }] };
    b.save();
    const started = Date.now();
    const result = await b.run(["create", uniqueId("timeout")]);
    assertEquals(result.code, 1);
    assertStringIncludes(result.stderr, "did not finish within 1 s");
    assert(Date.now() - started < 5000, "the timeout is honoured");
    assertEquals([...Deno.readDirSync(b.root)].length, 0);
  });
});

Deno.test("failing poststart and poststop hooks are only warnings", async () => {
  await withBundle(["true"], async (b) => {
    b.config.hooks = {
      poststart: [{ path: "/bin/false" }],
      poststop: [{ path: "/bin/false" }],
    };
    b.save();
    const result = await b.run(["run", uniqueId("warn")]);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stderr, "poststart hook /bin/false exited with status 1");
    assertStringIncludes(result.stderr, "poststop hook /bin/false exited with status 1");
  });
});

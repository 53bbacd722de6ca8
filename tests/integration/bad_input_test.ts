/**
 * Bad input: one line on stderr naming what is wrong, exit status 1, and nothing left
 * behind (no state directory, no process, no mount).
 */
import { assertEquals, assertMatch } from "./_assert.ts";
import { type Bundle, exists, uniqueId, withBundle } from "./_helpers.ts";

function mountsMentioning(text: string): number {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter((l) => l.includes(text))
    .length;
}

/** Create must fail with one line matching pattern and leave nothing behind. */
async function createFails(b: Bundle, pattern: RegExp, args: string[] = []): Promise<void> {
  const id = uniqueId("bad");
  const result = await b.run(["create", ...args, id]);
  assertEquals(result.code, 1, `expected exit 1: ${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, `expected one line: ${result.stderr}`);
  assertMatch(lines[0], pattern);
  let entries: string[] = [];
  try {
    entries = [...Deno.readDirSync(b.root)].map((e) => e.name);
  } catch { /* no root: nothing left */ }
  assertEquals(entries, [], "no state directory is left");
  assertEquals(mountsMentioning(b.dir), 0, "no mount of the bundle is left on the host");
}

Deno.test("a missing bundle or config.json is named", async () => {
  await withBundle(["true"], async (b) => {
    await createFails(b, /bundle \/no-such-bundle: no such file or directory/, [
      "--bundle",
      "/no-such-bundle",
    ]);
    Deno.removeSync(`${b.dir}/config.json`);
    await createFails(b, /config\.json: cannot read .*config\.json: no such file or directory/);
  });
});

Deno.test("malformed JSON and mistyped fields are named with their JSON path", async () => {
  await withBundle(["true"], async (b) => {
    Deno.writeTextFileSync(`${b.dir}/config.json`, "{ not json");
    await createFails(b, /^tsrunc: config\.json: invalid JSON: /);
    b.config.process.args = "true";
    b.save();
    await createFails(b, /config\.json: process\.args: expected array, got string/);
    b.config.process.args = ["true"];
    b.config.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: "1" }];
    b.config.linux.namespaces.push({ type: "user" });
    b.config.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    b.save();
    await createFails(b, /config\.json: linux\.uidMappings\[0\]\.size: expected .*, got string/);
  });
});

Deno.test("an unsupported ociVersion is refused", async () => {
  await withBundle(["true"], async (b) => {
    b.config.ociVersion = "2.0.0";
    b.save();
    await createFails(b, /config\.json: ociVersion: unsupported version "2\.0\.0"/);
  });
});

Deno.test("a program that cannot run is explained: PATH, interpreter, mode, loader", async () => {
  await withBundle(["nosuch"], async (b) => {
    await createFails(b, /program "nosuch" not found in PATH \(\/usr\/local\/sbin:.*:\/bin\)/);

    Deno.writeTextFileSync(`${b.rootfs}/script`, "#!/usr/bin/python3\nprint(1)\n", { mode: 0o755 });
    Deno.chmodSync(`${b.rootfs}/script`, 0o755);
    b.config.process.args = ["/script"];
    b.save();
    await createFails(b, /interpreter \/usr\/bin\/python3 of script \/script cannot be found/);

    Deno.chmodSync(`${b.rootfs}/script`, 0o644);
    await createFails(b, /program \/script is not executable \(mode 0644\)/);

    Deno.copyFileSync("/bin/ls", `${b.rootfs}/dynls`);
    b.config.process.args = ["/dynls"];
    b.save();
    await createFails(b, /dynamic loader \/lib\S*ld-linux\S* of program \/dynls cannot be found/);
  });
});

Deno.test("a cwd that cannot be made, a missing mount source and a bad namespace path are named", async () => {
  await withBundle(["true"], async (b) => {
    b.config.process.cwd = "/etc/passwd/sub";
    b.save();
    await createFails(b, /process.cwd \/etc\/passwd\/sub.*not a directory/);
    b.config.process.cwd = "/";
    b.config.mounts.push({
      destination: "/data",
      type: "bind",
      source: "/nonexistent-src",
      options: ["bind"],
    });
    b.save();
    await createFails(b, /mount \/nonexistent-src on \/data.*no such file or directory/);
    b.config.mounts.pop();
    b.config.linux.namespaces = b.config.linux.namespaces.map((n: { type: string }) =>
      n.type === "network" ? { type: "network", path: "/nonexistent/ns" } : n
    );
    b.save();
    await createFails(b, /\/nonexistent\/ns: no such file or directory/);
  });
});

Deno.test("a hostname without a uts namespace is a config error", async () => {
  await withBundle(["true"], async (b) => {
    b.config.linux.namespaces = b.config.linux.namespaces.filter((n: { type: string }) =>
      n.type !== "uts"
    );
    b.save();
    await createFails(b, /config\.json: hostname: requires a uts namespace/);
  });
});

Deno.test("a NUL byte in an env entry, a device path or a mount source is refused by its path", async () => {
  await withBundle(["env"], async (b) => {
    b.config.process.env.push("FOO=bar\0BAZ=evil");
    b.save();
    await createFails(b, /^tsrunc: config\.json: process\.env\[\d+\]: contains a NUL byte$/);
    b.config.process.env.pop();
    b.config.linux.devices = [{ path: "/dev/a\0b", type: "c", major: 1, minor: 3 }];
    b.save();
    await createFails(b, /^tsrunc: config\.json: linux\.devices\[0\]\.path: contains a NUL byte$/);
    assertEquals(exists(`${b.rootfs}/dev/a`), false, "a device was made at the cut path");
  });
});

Deno.test("null members are read as absent, as runc (Go) reads them: the container runs", async () => {
  await withBundle(["sh", "-c", "echo ran; cat /proc/self/status | grep NoNewPrivs"], async (b) => {
    b.config.hostname = null;
    b.config.hooks = { prestart: null };
    b.config.process.terminal = null;
    b.config.process.rlimits = null;
    b.config.linux.maskedPaths = null;
    b.config.linux.sysctl = null;
    b.config.linux.seccomp = null;
    b.config.linux.resources = { devices: null, memory: null };
    b.config.mounts[0].options = null;
    b.save();
    const r = await b.run(["run", uniqueId("null")]);
    assertEquals([r.code, r.stderr], [0, ""]);
    assertMatch(r.stdout, /^ran\n/);
  });
});

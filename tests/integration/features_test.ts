/**
 * `tsrunc features` against runtime-spec's features schema (../shared/oci-runtime-spec),
 * validated by python3-jsonschema, and against what tsrunc really does.
 */
import { assert, assertEquals } from "./_assert.ts";
import { tsrunc } from "./_helpers.ts";

const SCHEMA_DIR = new URL("../../../shared/oci-runtime-spec/schema/", import.meta.url).pathname;
const PYTHON = "/usr/bin/python3";

const VALIDATE = `
import json, sys, jsonschema, pathlib
schema_dir = pathlib.Path(sys.argv[1])
schema = json.loads((schema_dir / "features-schema.json").read_text())
resolver = jsonschema.RefResolver(base_uri=schema_dir.as_uri() + "/", referrer=schema)
jsonschema.Draft4Validator(schema, resolver=resolver).validate(json.load(sys.stdin))
print("valid")
`;

function hasJsonschema(): boolean {
  try {
    return new Deno.Command(PYTHON, { args: ["-c", "import jsonschema"], stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "features prints a document valid against runtime-spec's features schema",
  ignore: !hasJsonschema(),
  fn: async () => {
    const out = await tsrunc(["features"]);
    assertEquals(out.code, 0, out.stderr);
    const child = new Deno.Command(PYTHON, {
      args: ["-W", "ignore", "-c", VALIDATE, SCHEMA_DIR],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(out.stdout));
    await w.close();
    const result = await child.output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    assertEquals(text(result.stdout).trim(), "valid", text(result.stderr));
  },
});

Deno.test("features lists what tsrunc implements", async () => {
  const out = await tsrunc(["features"]);
  const f = JSON.parse(out.stdout);
  assertEquals(f.ociVersionMin, "1.0.0");
  assertEquals(f.ociVersionMax, "1.3.0");
  assertEquals(f.hooks.length, 6);
  for (const option of ["ro", "rbind", "rro", "tmpcopyup", "nosymfollow", "rslave"]) {
    assert(f.mountOptions.includes(option), `mountOptions has ${option}`);
  }
  assertEquals([...f.linux.namespaces].sort(), [
    "cgroup",
    "ipc",
    "mount",
    "network",
    "pid",
    "time",
    "user",
    "uts",
  ]);
  assert(f.linux.capabilities.includes("CAP_SYS_ADMIN"));
  assertEquals(f.linux.cgroup.v1, true);
  assertEquals(f.linux.cgroup.systemd, true);
  assertEquals(f.linux.seccomp.enabled, true);
  assert(f.linux.seccomp.actions.includes("SCMP_ACT_NOTIFY"));
  assert(f.linux.seccomp.operators.includes("SCMP_CMP_MASKED_EQ"));
  assert(!f.linux.seccomp.supportedFlags.includes("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
  assertEquals(f.linux.mountExtensions.idmap.enabled, false);
  assertEquals(f.annotations["org.opencontainers.runc.checkpoint.enabled"], "false");
});

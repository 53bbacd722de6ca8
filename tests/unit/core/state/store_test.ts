import { checkId, ContainerDir, listIds, type StoredState } from "../../../../core/state/store.ts";
import { containerStatus, procStat } from "../../../../core/state/status.ts";
import { stateOutput } from "../../../../core/state/oci_state.ts";
import { assert, assertEquals, assertThrows } from "../../_assert.ts";

function sampleState(id: string, pid: number, startTime: number): StoredState {
  return {
    ociVersion: "1.3.0",
    id,
    pid,
    initStartTime: startTime,
    bundle: "/b",
    rootfs: "/b/rootfs",
    created: "2026-01-01T00:00:00.000Z",
    owner: "",
    createdDone: true,
  };
}

Deno.test("checkId() accepts runc's id characters and refuses paths, dots and empty ids", () => {
  for (const id of ["a", "A-b_c.d+e", "x".repeat(200)]) assertEquals(checkId(id), id);
  for (const id of ["", ".", "..", "../x", "a/b", "a b", "a\nb"]) assertThrows(() => checkId(id));
});

Deno.test("ContainerDir writes state atomically and refuses a second container with the same id", () => {
  const root = Deno.makeTempDirSync();
  try {
    const dir = new ContainerDir(root, "c1");
    dir.create();
    assertEquals(Deno.statSync(dir.path).mode! & 0o777, 0o700);
    assertEquals(dir.read(), undefined);
    dir.write(sampleState("c1", 1, 1));
    assertEquals(dir.read()?.id, "c1");
    assertEquals([...Deno.readDirSync(dir.path)].map((e) => e.name), ["state.json"]);
    assertThrows(
      () => new ContainerDir(root, "c1").create(),
      "container with id c1 already exists",
    );
    assertEquals(listIds(root), ["c1"]);
    dir.remove();
    assertThrows(() => dir.read(), "container c1 does not exist");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("containerStatus() tells created, running and stopped apart, and catches pid reuse", () => {
  const root = Deno.makeTempDirSync();
  try {
    const dir = new ContainerDir(root, "c2");
    dir.create();
    const self = procStat(Deno.pid)!;
    const alive = sampleState("c2", Deno.pid, self.startTime);
    assertEquals(containerStatus(dir, alive), "running");
    Deno.writeTextFileSync(dir.fifoPath, "");
    assertEquals(containerStatus(dir, alive), "created");
    assertEquals(containerStatus(dir, { ...alive, initStartTime: self.startTime + 1 }), "stopped");
    assertEquals(containerStatus(dir, { ...alive, pid: 0 }), "stopped");
    assertEquals(containerStatus(dir, { ...alive, createdDone: false }), "creating");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("stateOutput() has runc's keys in runc's order and pid 0 once stopped", () => {
  const state = { ...sampleState("c3", 42, 1), annotations: { a: "b" } };
  assertEquals(Object.keys(stateOutput(state, "running")), [
    "ociVersion",
    "id",
    "pid",
    "status",
    "bundle",
    "rootfs",
    "created",
    "annotations",
    "owner",
  ]);
  assertEquals(stateOutput(state, "stopped").pid, 0);
  assert(!("annotations" in stateOutput(sampleState("c4", 1, 1), "running")));
});

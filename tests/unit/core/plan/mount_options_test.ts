/** parseMountOptions(): fstab-style option strings sorted into what the kernel takes. */
import { assert, assertEquals } from "../../_assert.ts";
import {
  knownMountOptions,
  MOUNT_ATTR,
  MS,
  parseMountOptions,
} from "../../../../core/plan/mount_options.ts";

Deno.test("parseMountOptions() of nothing is all empty", () => {
  assertEquals(parseMountOptions([]), {
    flags: 0,
    propagation: [],
    attrSet: 0,
    attrClr: 0,
    data: [],
    tmpcopyup: false,
    bind: false,
    recursiveBind: false,
    idmap: false,
  });
});

Deno.test("parseMountOptions() turns flag options into mount(2) flags", () => {
  const parsed = parseMountOptions(["nosuid", "nodev", "noexec", "ro", "strictatime", "relatime"]);
  assertEquals(
    parsed.flags,
    MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.RDONLY | MS.STRICTATIME | MS.RELATIME,
  );
  assertEquals(parsed.data, []);
});

Deno.test("parseMountOptions() lets a later option undo an earlier one", () => {
  assertEquals(parseMountOptions(["ro", "rw"]).flags, 0);
  assertEquals(parseMountOptions(["rw", "ro"]).flags, MS.RDONLY);
  assertEquals(parseMountOptions(["nosuid", "suid"]).flags, 0);
  assertEquals(parseMountOptions(["noexec", "exec", "nodev", "dev"]).flags, 0);
  assertEquals(parseMountOptions(["noatime", "atime"]).flags, 0);
});

Deno.test("parseMountOptions() recognises bind and rbind", () => {
  const bind = parseMountOptions(["bind"]);
  assert(bind.bind);
  assert(!bind.recursiveBind);
  assertEquals(bind.flags, MS.BIND);
  const rbind = parseMountOptions(["rbind", "ro"]);
  assert(rbind.bind);
  assert(rbind.recursiveBind);
  assertEquals(rbind.flags, MS.BIND | MS.REC | MS.RDONLY);
  assert(!parseMountOptions(["ro"]).bind);
});

Deno.test("parseMountOptions() keeps propagation options apart, in order", () => {
  const parsed = parseMountOptions(["rprivate", "shared", "slave", "runbindable"]);
  assertEquals(parsed.propagation, [
    MS.PRIVATE | MS.REC,
    MS.SHARED,
    MS.SLAVE,
    MS.UNBINDABLE | MS.REC,
  ]);
  assertEquals(parsed.flags, 0);
});

Deno.test("parseMountOptions() maps recursive options to mount_setattr attributes", () => {
  const parsed = parseMountOptions(["rro", "rnosuid", "rnodev", "rnoexec", "rnosymfollow"]);
  assertEquals(
    parsed.attrSet,
    MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV | MOUNT_ATTR.NOEXEC |
      MOUNT_ATTR.NOSYMFOLLOW,
  );
  assertEquals(parsed.attrClr, 0);
  assertEquals(parsed.flags, 0);
  assertEquals(parsed.data, []);
});

Deno.test("parseMountOptions() lets rrw clear what rro set", () => {
  assertEquals(parseMountOptions(["rro", "rrw"]), {
    ...parseMountOptions([]),
    attrSet: 0,
    attrClr: MOUNT_ATTR.RDONLY,
  });
  const parsed = parseMountOptions(["rrw", "rro"]);
  assertEquals([parsed.attrSet, parsed.attrClr], [MOUNT_ATTR.RDONLY, 0]);
});

Deno.test("parseMountOptions() sets the whole atime mask for recursive atime options", () => {
  const noatime = parseMountOptions(["rnoatime"]);
  assertEquals([noatime.attrSet, noatime.attrClr], [MOUNT_ATTR.NOATIME, MOUNT_ATTR.ATIME_MASK]);
  const strict = parseMountOptions(["rnoatime", "rstrictatime"]);
  assertEquals([strict.attrSet, strict.attrClr], [MOUNT_ATTR.STRICTATIME, MOUNT_ATTR.ATIME_MASK]);
  const relatime = parseMountOptions(["rro", "rrelatime"]);
  assertEquals(
    [relatime.attrSet, relatime.attrClr],
    [MOUNT_ATTR.RDONLY | MOUNT_ATTR.RELATIME, MOUNT_ATTR.ATIME_MASK],
  );
});

Deno.test("parseMountOptions() passes unknown options on as filesystem data", () => {
  const parsed = parseMountOptions(["nosuid", "mode=755", "size=65536k", "newinstance", "gid=5"]);
  assertEquals(parsed.flags, MS.NOSUID);
  assertEquals(parsed.data, ["mode=755", "size=65536k", "newinstance", "gid=5"]);
});

Deno.test("parseMountOptions() recognises tmpcopyup and idmap without passing them on", () => {
  const parsed = parseMountOptions(["tmpcopyup", "idmap"]);
  assert(parsed.tmpcopyup);
  assert(parsed.idmap);
  assertEquals(parsed.data, []);
  assert(parseMountOptions(["ridmap"]).idmap);
});

Deno.test("parseMountOptions() ignores defaults", () => {
  assertEquals(parseMountOptions(["defaults"]), parseMountOptions([]));
});

Deno.test("knownMountOptions() is sorted and lists flags, propagation and recursive options", () => {
  const known = knownMountOptions();
  assertEquals(known, [...known].sort());
  for (const o of ["ro", "rw", "bind", "rbind", "rprivate", "rro", "rnoatime", "tmpcopyup"]) {
    assert(known.includes(o), o);
  }
  assert(!known.includes("mode=755"));
});

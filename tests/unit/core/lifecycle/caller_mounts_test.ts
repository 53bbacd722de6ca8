import { assertEquals } from "../../_assert.ts";
import { topMountOn } from "../../../../core/lifecycle/caller_mounts.ts";

const MOUNTINFO = [
  "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
  "40 22 254:0 /b/root\\040fs /b/root\\040fs rw,relatime - ext4 /dev/vda rw",
  "41 40 0:50 / /b/root\\040fs/proc rw - proc proc rw",
  "42 22 254:0 /b/root\\040fs /b/root\\040fs rw,relatime - ext4 /dev/vda rw",
  "",
].join("\n");

Deno.test("topMountOn() takes the last mount on a path, its octal escapes decoded", () => {
  assertEquals(topMountOn("/b/root fs", MOUNTINFO), 42);
  assertEquals(topMountOn("/b/root fs/proc", MOUNTINFO), 41);
  assertEquals(topMountOn("/", MOUNTINFO), 22);
  assertEquals(topMountOn("/b", MOUNTINFO), undefined);
});

/** host_facts.ts: the parts that read text the host gives (no root needed). */
import { assertEquals } from "../../_assert.ts";
import { wholePseudoFsMounts } from "../../../../core/lifecycle/host_facts.ts";

const MOUNTINFO = [
  "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw",
  "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw",
  "24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw",
  "25 24 0:23 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755",
  "26 22 0:21 /sys /mnt/proc\\040sys ro - proc proc rw",
  "27 22 0:24 / /run/b/rootfs/proc rw - proc proc rw",
  "28 22 0:25 / /srv/other\\040proc rw - proc proc rw",
].join("\n");

Deno.test("wholePseudoFsMounts() lists whole procfs and sysfs mounts outside the rootfs", () => {
  assertEquals(wholePseudoFsMounts("/run/b/rootfs", MOUNTINFO), [
    "/proc",
    "/sys",
    "/srv/other proc",
  ]);
});

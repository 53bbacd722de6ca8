/**
 * A config without linux.namespaces: the container runs in the caller's namespaces, as
 * the runtime-spec says and runc does, and its mounts are made in the caller's mount
 * namespace. Unlike runc, tsrunc leaves the caller's / as it was (runc makes it rslave)
 * and takes the container's mounts away again when create fails and on delete (runc
 * leaves them). Each test runs tsrunc in a private mount namespace of its own, so that
 * whatever happens, nothing reaches the host's mount table.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./_assert.ts";
import {
  type Bundle,
  exists,
  IS_ROOT,
  type Result,
  runToFiles,
  sh,
  tsruncCommand,
  uniqueId,
  withBundle,
} from "./_helpers.ts";

/** The default config without namespaces, and without what needs one of them. */
function inCallerNamespaces(b: Bundle, args: string[]): void {
  b.config.process.args = args;
  b.config.linux.namespaces = [];
  delete b.config.hostname;
  delete b.config.linux.maskedPaths;
  delete b.config.linux.readonlyPaths;
  b.save();
}

/**
 * Run a shell script in a new private mount namespace, with "$@" the tsrunc command
 * bound to the bundle's state root. The script's last words are the mount points of that
 * namespace under the bundle's directory, after a line "MOUNTS".
 */
function inOwnMountNs(b: Bundle, script: string): Promise<Result> {
  const base = b.dir.replace(/\/bundle$/, "");
  const report = `echo MOUNTS; awk '{print $5}' /proc/self/mountinfo | grep '^${base}' || true`;
  return runToFiles(
    [
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      `${script}\n${report}`,
      "sh",
      ...tsruncCommand(),
      "--root",
      b.root,
    ],
    { cwd: b.dir },
  );
}

function mountsAfter(r: Result): string[] {
  const [, after = ""] = r.stdout.split("MOUNTS\n");
  return after.split("\n").filter(Boolean);
}

Deno.test({
  name: "without namespaces the container runs in the caller's, and its mounts go with it",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle([], async (b) => {
      inCallerNamespaces(
        b,
        sh("cat /marker; readlink /proc/self/ns/mnt; readlink /proc/self/ns/pid; echo pid $$"),
      );
      Deno.writeTextFileSync(`${b.rootfs}/marker`, "in the rootfs\n");
      const id = uniqueId("callerns");
      // A shared / of the caller stays shared (runc would make it a slave).
      const r = await inOwnMountNs(
        b,
        `mount --make-shared /
        echo caller $(readlink /proc/self/ns/mnt /proc/self/ns/pid)
        "$@" run ${id}; echo "run $?"
        grep -q ' / / [^-]* shared:' /proc/self/mountinfo && echo "/ shared"`,
      );
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "run 0\n", r.stderr);
      const [callerMnt, callerPid] = r.stdout.match(/^caller (\S+) (\S+)$/m)!.slice(1);
      const lines = r.stdout.split("\n");
      assertEquals(lines.slice(1, 4), ["in the rootfs", callerMnt, callerPid]);
      // The container's own pid is a pid of the caller's namespace, not 1.
      assertMatch(r.stdout, /^pid (?!1\n)\d+$/m);
      assertStringIncludes(r.stdout, "/ shared\n");
      assertEquals(mountsAfter(r), [], "the container's mounts stayed in the caller's namespace");
    }),
});

Deno.test({
  name: "without namespaces a failed create and a delete leave no mount, and keep others'",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle([], async (b) => {
      inCallerNamespaces(b, ["true"]);
      // A createContainer hook runs after the mounts: failing, it fails the create there.
      b.config.hooks = { createContainer: [{ path: "/bin/false" }] };
      b.save();
      const failed = await inOwnMountNs(b, `"$@" create ${uniqueId("callerns")}; echo "create $?"`);
      assertStringIncludes(failed.stdout, "create 1\n", failed.stderr);
      assertEquals(mountsAfter(failed), []);

      delete b.config.hooks;
      b.save();
      // A bind that was on the rootfs before create is not the container's: it stays.
      const id = uniqueId("callerns");
      const r = await inOwnMountNs(
        b,
        `mount --bind "${b.rootfs}" "${b.rootfs}"
        "$@" create ${id}; echo "create $?"
        grep -c " ${b.rootfs}/proc " /proc/self/mountinfo
        "$@" delete ${id}; echo "delete $?"`,
      );
      assertStringIncludes(r.stdout, "create 0\n1\ndelete 0\n", r.stderr);
      assertEquals(mountsAfter(r), [b.rootfs]);
    }),
});

Deno.test({
  name: "without a mount namespace masked and read-only paths are refused, as runc",
  ignore: !IS_ROOT,
  fn: () =>
    withBundle([], async (b) => {
      inCallerNamespaces(b, ["true"]);
      b.config.linux.maskedPaths = ["/proc/kcore"];
      b.save();
      const id = uniqueId("callerns");
      const r = await inOwnMountNs(b, `"$@" run ${id}; echo "run $?"`);
      assertStringIncludes(r.stdout, "run 1\n");
      assertEquals(
        r.stderr.trim(),
        "tsrunc: config.json: linux.maskedPaths: requires a mount namespace of the container's own",
      );
      assertEquals(mountsAfter(r), []);
      assert(!exists(`${b.root}/${id}`), "a state directory was left behind");
    }),
});

/**
 * Escapes: six attacks that once broke out of a tsrunc container, each tried as an attacker
 * would (an image and a volume the attacker wrote, default capabilities, runc's default
 * config) and judged from the host side: a host sysctl, a file in the rootfs the host
 * reads, how long tsrunc took. A failing test here is a security bug, not a flaky test.
 *
 *   1. /proc resolved through a volume (CVE-2019-19921 class): procfs must land on the real
 *      /proc directory, never through a symlink, or the container gets an unmasked,
 *      writable procfs somewhere else;
 *   2. the exec helper attachable with ptrace between dropping capabilities and execve
 *      (CVE-2016-9962 class): its sync socket and fds taken with pidfd_getfd;
 *   3. seccomp bypassed by running a denied syscall through a runtime process that is not
 *      yet filtered: the next exec's helper, or a created container's waiting init;
 *   4. a stolen sync socket holding `tsrunc exec` and handing it fds;
 *   5. /dev/null replaced by a symlink (CVE-2025-31133): masks made of host files;
 *   6. host sysctls written from linux.sysctl.
 *
 * The attacker is tests/integration/_attack.ts (inject, helpers, steal).
 */
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { attackLines, installAttacker, parseAttack } from "./_attack.ts";
import {
  addCaps,
  type Bundle,
  createWaiting,
  exists,
  IS_ROOT,
  ok,
  runToFiles,
  sh,
  tsruncCommand,
  uniqueId,
  waitFor,
  withBundle,
} from "./_helpers.ts";

const ignore = !IS_ROOT;

/** The host sysctl the attacks aim at: harmless to change, restored afterwards. */
const LEASE_BREAK_TIME = "/proc/sys/fs/lease-break-time";

/**
 * Run fn with a value for fs.lease-break-time that differs from the host's; the host's
 * must be unchanged afterwards (and is put back if an attack changed it).
 */
async function withHostSysctl(fn: (evil: string) => Promise<void>): Promise<void> {
  const before = Deno.readTextFileSync(LEASE_BREAK_TIME).trim();
  try {
    await fn(String(Number(before) + 1));
    assertEquals(
      Deno.readTextFileSync(LEASE_BREAK_TIME).trim(),
      before,
      "the container changed the host's fs.lease-break-time",
    );
  } finally {
    if (Deno.readTextFileSync(LEASE_BREAK_TIME).trim() !== before) {
      Deno.writeTextFileSync(LEASE_BREAK_TIME, `${before}\n`);
    }
  }
}

/** A seccomp profile that allows everything but mkdir and mkdirat (EPERM). */
const DENY_MKDIR = {
  defaultAction: "SCMP_ACT_ALLOW",
  architectures: ["SCMP_ARCH_X86_64"],
  syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1 }],
};

/** Attacker lines whose result (last word) is OK. */
function successes(lines: string[]): string[] {
  return lines.filter((l) => / OK$/.test(l));
}

const SLEEPER = sh("exec >/dev/null 2>&1 </dev/null; exec sleep 600");

/**
 * `exec -d` the attacker's watch (helpers or steal) in a running container and wait until
 * it looks; returns the host path of its work directory.
 */
async function startWatch(b: Bundle, id: string, args: string[]): Promise<string> {
  const work = `${b.rootfs}/tmp/watch`;
  Deno.mkdirSync(work);
  ok(await b.run(["exec", "-d", id, "attack", ...args]), "exec -d attack");
  await waitFor("the attacker to watch", () => exists(`${work}/ready`), 10_000);
  return work;
}

/** Stop the attacker's watch and return what it wrote. */
async function stopWatch(work: string): Promise<string> {
  Deno.writeTextFileSync(`${work}/stop`, "");
  await waitFor("the attacker to stop", () => exists(`${work}/done`), 30_000);
  return Deno.readTextFileSync(`${work}/result`);
}

// --- 1. /proc through a symlink ---------------------------------------------------------

Deno.test({
  name: "escape 1: an image whose /proc leads through a volume (CVE-2019-19921 class) gets no " +
    "procfs elsewhere: the host's sysctls stay as they were",
  ignore,
  fn: () =>
    withHostSysctl((evil) =>
      withBundle(
        sh(
          `echo ${evil} > /realproc/sys/fs/lease-break-time; cat /realproc/sys/fs/lease-break-time`,
        ),
        async (b) => {
          // The image: /proc -> /v/link -> /realproc. The volume at /v then makes /proc
          // resolve to a fake directory, where every mask and read-only path is missing.
          Deno.removeSync(`${b.rootfs}/proc`);
          Deno.mkdirSync(`${b.rootfs}/v`);
          Deno.symlinkSync("/realproc", `${b.rootfs}/v/link`);
          Deno.symlinkSync("/v/link", `${b.rootfs}/proc`);
          const volume = `${b.dir}/volume`;
          Deno.mkdirSync(`${volume}/fakep`, { recursive: true });
          Deno.symlinkSync("/v/fakep", `${volume}/link`);
          Deno.symlinkSync("/realproc/self", `${volume}/fakep/self`);
          b.config.mounts.push({
            destination: "/v",
            type: "bind",
            source: volume,
            options: ["rbind"],
          });
          b.save();
          const r = await b.run(["run", uniqueId("eproc")]);
          assert(r.code !== 0, `the container ran with procfs at /realproc:\n${r.stdout}`);
          assertMatch(
            r.stderr,
            /\/proc.*symlink/,
            "the error does not say that /proc is a symlink",
          );
          assert(!exists(`${b.rootfs}/realproc/sys`), "procfs was mounted at /realproc");
        },
      )
    ),
});

for (const dir of ["proc", "sys"]) {
  Deno.test({
    name: `escape 1: a rootfs whose /${dir} is a symlink is refused (runc's mask.bats)`,
    ignore,
    fn: () =>
      withBundle(["true"], async (b) => {
        Deno.removeSync(`${b.rootfs}/${dir}`);
        Deno.mkdirSync(`${b.rootfs}/elsewhere`);
        Deno.symlinkSync("/elsewhere", `${b.rootfs}/${dir}`);
        const r = await b.run(["run", uniqueId(`e${dir}`)]);
        assert(r.code !== 0, `ran with /${dir} a symlink`);
        assertMatch(r.stderr, new RegExp(`/${dir}.*symlink`));
        assertEquals(r.stderr.trim().split("\n").length, 1, `not one line:\n${r.stderr}`);
        assertEquals([...Deno.readDirSync(`${b.rootfs}/elsewhere`)], [], "mounted through it");
      }),
  });
}

// --- 2 and 3. ptrace of the runtime's processes in the container ---------------------------

Deno.test({
  name: "escape 2+3: a filtered container process cannot attach to exec helpers (ptrace, " +
    "pidfd_getfd) nor run a denied mkdir through one",
  ignore,
  fn: () =>
    withBundle(SLEEPER, async (b) => {
      installAttacker(b.rootfs);
      b.config.root.readonly = false;
      b.config.linux.seccomp = DENY_MKDIR;
      b.save();
      const id = uniqueId("ehelper");
      ok(await b.run(["run", "-d", id]), "run -d");
      const work = await startWatch(b, id, ["helpers", "120", "/tmp/watch", "/tmp/exec-injected"]);
      for (let i = 0; i < 15; i++) await b.run(["exec", id, "true"]);
      const text = await stopWatch(work);
      const seen = attackLines(text, "seen");
      assert(seen.length >= 5, `the attacker saw ${seen.length} of 15 exec helpers:\n${text}`);
      const attempts = [...attackLines(text, "getfd"), ...attackLines(text, "inject")];
      assertEquals(successes(attempts), [], `attached to an exec helper:\n${text}`);
      // Refused while it was a helper. (An inject that got through found the user's
      // program, exec'd in between: filtered, or already gone.)
      assert(
        attackLines(text, "getfd").some((l) => / 3 EPERM$/.test(l)),
        `no attempt was refused by a helper: nothing to judge:\n${text}`,
      );
      assert(!exists(`${b.rootfs}/tmp/exec-injected`), "a denied mkdir ran through an exec helper");
    }),
});

for (const variant of ["default capabilities", "CAP_SYS_PTRACE"] as const) {
  Deno.test({
    name: `escape 3: a filtered exec process cannot run a denied mkdir through a created ` +
      `container's waiting init (${variant})`,
    ignore,
    fn: () =>
      withBundle(["sleep", "600"], async (b) => {
        installAttacker(b.rootfs);
        b.config.root.readonly = false;
        b.config.linux.seccomp = DENY_MKDIR;
        if (variant === "CAP_SYS_PTRACE") addCaps(b, "CAP_SYS_PTRACE");
        b.save();
        const id = await createWaiting(b, "einit");
        const r = ok(
          await b.run(["exec", id, "attack", "inject", "1", "/tmp/init-injected"]),
          "inject",
        );
        const result = parseAttack(r.stdout).get("inject") ?? "";
        assert(!exists(`${b.rootfs}/tmp/init-injected`), `a denied mkdir ran in the waiting init`);
        // Without CAP_SYS_PTRACE the init cannot even be attached to; with it, the init's
        // filter is already loaded and refuses the mkdir.
        assertMatch(result, variant === "CAP_SYS_PTRACE" ? /^EPERM$/ : /^seize-EPERM$/, r.stdout);
        // And the attack did not break the container: it starts.
        ok(await b.run(["start", id]), "start");
      }),
  });
}

// --- 4. a stolen sync socket --------------------------------------------------------------

Deno.test({
  name: "escape 4: a container process holding an exec helper's stolen sync socket neither " +
    "holds tsrunc exec nor hands it an fd",
  ignore,
  fn: () =>
    withBundle(SLEEPER, async (b) => {
      installAttacker(b.rootfs);
      // CAP_SYS_PTRACE: the theft itself is what 2 prevents; this is what tsrunc does if
      // the socket is taken anyway.
      addCaps(b, "CAP_SYS_PTRACE");
      b.config.root.readonly = false;
      b.save();
      const id = uniqueId("esteal");
      ok(await b.run(["run", "-d", id]), "run -d");
      const work = await startWatch(b, id, ["steal", "120", "/tmp/watch", "10"]);
      let stolen = false;
      for (let i = 0; i < 10 && !stolen; i++) {
        const started = Date.now();
        const r = await runToFiles([...tsruncCommand(), "--root", b.root, "exec", id, "true"], {
          timeoutMs: 60_000,
        });
        const took = Date.now() - started;
        stolen = /^send \d+ OK$/m.test(Deno.readTextFileSync(`${work}/result`));
        assert(took < 5_000, `tsrunc exec took ${took} ms (stolen: ${stolen})`);
        if (stolen) {
          // The hand-off was not asked for (no terminal): refused, the process killed.
          assert(r.code !== 0, "tsrunc exec took a console hand-off for a process without one");
          assertMatch(r.stderr, /^tsrunc: .*console.*\n$/, "not one line naming the console");
        }
      }
      const text = await stopWatch(work);
      assert(stolen, `the attacker never got a sync socket: nothing to judge:\n${text}`);
    }),
});

// --- 5. /dev/null replaced ------------------------------------------------------------------

Deno.test({
  name: "escape 5: with /dev/null a symlink to /proc/timer_list (CVE-2025-31133) no mask shows " +
    "host data",
  ignore,
  fn: () =>
    withBundle(sh("head -c 300 /proc/keys; head -c 300 /proc/timer_list"), async (b) => {
      const dev = `${b.dir}/dev`;
      Deno.mkdirSync(dev);
      Deno.symlinkSync("/proc/timer_list", `${dev}/null`);
      b.config.mounts = b.config.mounts.map((m: { destination: string }) =>
        m.destination === "/dev"
          ? { destination: "/dev", type: "bind", source: dev, options: ["rbind"] }
          : m
      );
      b.save();
      const r = await b.run(["run", uniqueId("enull")]);
      assert(!r.stdout.includes("Timer List"), `host timer data through a mask:\n${r.stdout}`);
      assert(r.code !== 0, "masks were made of something that is not /dev/null");
      assertMatch(r.stderr, /\/dev\/null/, "the error does not name /dev/null");
    }),
});

// --- 6. sysctls --------------------------------------------------------------------------------

Deno.test({
  name: "escape 6: a linux.sysctl that no namespace of the container isolates is refused, the " +
    "host's value untouched",
  ignore,
  fn: () =>
    withHostSysctl((evil) =>
      withBundle(["true"], async (b) => {
        b.config.linux.sysctl = { "fs.lease-break-time": evil };
        b.save();
        const r = await b.run(["run", uniqueId("esysctl")]);
        assert(r.code !== 0, "ran with a host sysctl");
        assertMatch(
          r.stderr,
          /linux\.sysctl.*fs\.lease-break-time.*not in a separate kernel namespace/,
        );
      })
    ),
});

Deno.test({
  name: "escape 6: namespaced sysctls (net.* with a network namespace, kernel.shm* with an ipc " +
    "one) are set in the container only",
  ignore,
  fn: () =>
    withBundle(sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"), async (b) => {
      const hostForward = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward");
      const hostShmmni = Deno.readTextFileSync("/proc/sys/kernel/shmmni");
      const forward = hostForward.trim() === "1" ? "0" : "1";
      const shmmni = String(Number(hostShmmni) - 1);
      b.config.linux.sysctl = { "net.ipv4.ip_forward": forward, "kernel.shmmni": shmmni };
      b.save();
      const r = ok(await b.run(["run", uniqueId("esysctl")]), "run");
      assertEquals(r.stdout, `${forward}\n${shmmni}\n`);
      assertEquals(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_forward"), hostForward);
      assertEquals(Deno.readTextFileSync("/proc/sys/kernel/shmmni"), hostShmmni);
    }),
});

// --- --no-pivot: the host's procfs in the mount namespace -----------------------------------

Deno.test({
  name: "with --no-pivot a container cannot mount a fresh procfs (no_pivot.bats): the host's " +
    "whole procfs is gone from its mount namespace",
  ignore,
  fn: () =>
    withBundle(
      [
        "unshare",
        "-mrpf",
        "sh",
        "-c",
        "mount -t proc none /proc && echo mounted; cat /proc/1/status",
      ],
      async (b) => {
        addCaps(b, "CAP_SETFCAP");
        b.save();
        const r = await b.run(["run", "--no-pivot", uniqueId("enopivot")]);
        assert(!r.stdout.includes("mounted"), `a fresh procfs was mounted:\n${r.stdout}`);
        assertMatch(r.stderr + r.stdout, /mount: permission denied/);
      },
    ),
});

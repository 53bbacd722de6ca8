/**
 * sd_notify through a container, as runc does: when tsrunc runs with NOTIFY_SOCKET set,
 * the container sees a socket of tsrunc's at /run/notify/notify.sock (its directory in
 * the state directory, bind-mounted read-only) and tsrunc passes the container's
 * READY=1 on to the host's socket, followed by MAINPID=<init's host pid>. `run -d` and
 * `start` return only after that (or once the init has exited), so a supervisor with
 * Type=notify sees the service ready when it is.
 */
import * as libcore from "../../ffi/libcore.ts";
import type { OciSpec } from "../spec/types.ts";
import type { ContainerDir } from "../state/store.ts";
import { debug } from "../log.ts";
import { procStat } from "../state/status.ts";

const IN_CONTAINER_DIR = "/run/notify";
const SOCKET_NAME = "notify.sock";

/** The host's notify socket tsrunc was given, if any. */
export function hostNotifySocket(): string | undefined {
  return Deno.env.get("NOTIFY_SOCKET") || undefined;
}

function notifyDir(dir: ContainerDir): string {
  return `${dir.path}/notify`;
}

/** create, before the plan: show the socket's directory in the container, and say so in its env. */
export function addNotifyMount(spec: OciSpec, dir: ContainerDir): void {
  spec.mounts = [...(spec.mounts ?? []), {
    destination: IN_CONTAINER_DIR,
    source: notifyDir(dir),
    type: "bind",
    options: ["bind", "nosuid", "noexec", "nodev", "ro"],
  }];
  if (spec.process) {
    spec.process.env = [
      ...(spec.process.env ?? []),
      `NOTIFY_SOCKET=${IN_CONTAINER_DIR}/${SOCKET_NAME}`,
    ];
  }
}

/** create, once the state directory exists: the socket's directory. */
export function makeNotifyDir(dir: ContainerDir): void {
  Deno.mkdirSync(notifyDir(dir), { mode: 0o755 });
  Deno.chmodSync(notifyDir(dir), 0o755);
}

/** start/run: listen on the container's notify socket (before the program runs). */
export function listenNotify(dir: ContainerDir): number | undefined {
  try {
    Deno.statSync(notifyDir(dir));
  } catch {
    return undefined; // created without NOTIFY_SOCKET
  }
  const path = `${notifyDir(dir)}/${SOCKET_NAME}`;
  const fd = libcore.dgramBind(path);
  Deno.chmodSync(path, 0o777);
  return fd;
}

/**
 * Pass the container's READY=… on to the host socket, then MAINPID; returns after that,
 * or when the init (pid) has exited, or when `stopped` resolves.
 */
export async function forwardReady(
  fd: number,
  host: string,
  pid: number,
  stopped?: Promise<unknown>,
): Promise<void> {
  let done = false;
  stopped?.then(() => done = true, () => done = true);
  try {
    while (!done) {
      const datagram = await libcore.dgramRecv(fd, 100);
      if (!datagram) {
        const stat = procStat(pid);
        if (!stat || stat.state === "Z" || stat.state === "X") return;
        continue;
      }
      const text = new TextDecoder().decode(datagram);
      const ready = text.split("\n").find((line) => line.startsWith("READY="));
      if (!ready) continue;
      debug(`notify: ${ready} from the container`);
      const encode = (s: string) => new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;
      libcore.dgramSend(host, encode(`${ready}\n`));
      libcore.dgramSend(host, encode(`MAINPID=${pid}\n`));
      return;
    }
  } finally {
    libcore.close(fd);
  }
}

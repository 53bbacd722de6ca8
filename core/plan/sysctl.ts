/**
 * linux.sysctl: which keys a container may set, and the writes that set them. A sysctl is
 * written through the container's /proc/sys, but most of them are global: written there
 * they change the host. Only those a namespace of the container's own isolates are
 * allowed, by runc's rules (libcontainer/configs/validate): the IPC ones with an ipc
 * namespace, net.* with a network namespace that is not the runtime's own,
 * kernel.domainname with a uts namespace (kernel.hostname has the `hostname` field).
 */
import { TsruncError } from "../../base/errors.ts";
import type { OciSpec } from "../spec/types.ts";
import type { WriteFileOp } from "./ops.ts";
import { PROC_SUPER_MAGIC } from "./tables.ts";

/** The IPC namespace's sysctls besides fs.mqueue.*. */
const IPC_SYSCTLS: ReadonlySet<string> = new Set([
  "kernel.msgmax",
  "kernel.msgmnb",
  "kernel.msgmni",
  "kernel.sem",
  "kernel.shmall",
  "kernel.shmmax",
  "kernel.shmmni",
  "kernel.shm_rmid_forced",
]);

/**
 * The writes for linux.sysctl, after checking each key. `netnsIsHost`: the network
 * namespace the config joins by path is the runtime's own.
 */
export function sysctlOps(spec: OciSpec, netnsIsHost: boolean): WriteFileOp[] {
  const namespaces = spec.linux?.namespaces ?? [];
  const has = (type: string) => namespaces.some((n) => n.type === type);
  const ops: WriteFileOp[] = [];
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    const where = `config.json: linux.sysctl["${key}"]`;
    // runc accepts "/" as the separator too (net/ipv4/ip_forward)
    const name = key.replaceAll("/", ".");
    if (IPC_SYSCTLS.has(name) || name.startsWith("fs.mqueue.")) {
      if (!has("ipc")) {
        throw new TsruncError(
          `${where}: not allowed in the host's ipc namespace (no ipc namespace)`,
        );
      }
    } else if (name.startsWith("net.")) {
      if (!has("network") || netnsIsHost) {
        throw new TsruncError(
          `${where}: not allowed in the host's network namespace (no network namespace of its own)`,
        );
      }
    } else if (name === "kernel.hostname") {
      throw new TsruncError(`${where}: conflicts with the OCI "hostname" field: set that instead`);
    } else if (!(name === "kernel.domainname" && has("uts"))) {
      throw new TsruncError(
        `${where}: not in a separate kernel namespace: writing it would change the host`,
      );
    }
    ops.push({
      op: "writeFile",
      path: `/proc/sys/${name.replaceAll(".", "/")}`,
      content: value,
      fsMagic: PROC_SUPER_MAGIC,
    });
  }
  return ops;
}

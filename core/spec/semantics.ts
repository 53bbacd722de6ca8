/**
 * The checks of a config that its schema cannot express: one field given what another
 * says (a hostname needs a uts namespace, id maps a user namespace, time offsets a new
 * time namespace), as runc's validator makes them (libcontainer/configs/validate,
 * specconv, utils_linux.go validateProcessSpec). Host facts are not checked here: what
 * depends on the host (an LSM enabled, the cgroup version) is checked where the host is
 * known. Pure, no I/O.
 */
import { TsruncError } from "../../base/errors.ts";
import type { LinuxNamespaceType, OciSpec, Process } from "./types.ts";
import type { ParseConfigOptions } from "./validate.ts";

/** Called after the schema has passed: the document has the schema's shape. */
export function checkSemantics(spec: OciSpec, source: string, options: ParseConfigOptions): void {
  const reject = (path: string, message: string): never => {
    throw new TsruncError(`${source}: ${path}: ${message}`);
  };
  // The schema leaves root optional (VM-based runtimes may not need one); runc, and any
  // Linux container runtime, cannot do without it.
  if (spec.root === undefined) reject("root", "missing");
  if (spec.process !== undefined) checkProcess(spec.process, "process.", source);

  (spec.mounts ?? []).forEach((mount, i) => {
    const path = `mounts[${i}].destination`;
    if (mount.destination === "") reject(path, "must not be empty");
    // runtime-spec 1.1 deprecated relative destinations ("MUST be interpreted as relative
    // to /"); runc 1.1 accepts them with this warning, so tsrunc does too.
    if (!mount.destination.startsWith("/")) {
      const dest = JSON.stringify(mount.destination);
      const taken = JSON.stringify(`/${mount.destination}`);
      options.warn?.(
        `${source}: ${path}: ${dest} is not absolute: taken as ${taken} (relative mount destinations are deprecated)`,
      );
    }
  });

  const linux = spec.linux;
  if (linux === undefined) return;
  const namespaces = new Map<LinuxNamespaceType, { index: number; path?: string }>();
  (linux.namespaces ?? []).forEach((ns, i) => {
    if (namespaces.has(ns.type)) {
      reject(`linux.namespaces[${i}].type`, `duplicate namespace ${JSON.stringify(ns.type)}`);
    }
    namespaces.set(ns.type, { index: i, path: ns.path });
  });

  // A new user namespace is useless without maps (the kernel maps nobody, and runc
  // refuses it); maps without a user namespace would be silently ignored.
  const userNs = namespaces.get("user");
  const hasUidMappings = (linux.uidMappings?.length ?? 0) > 0;
  const hasGidMappings = (linux.gidMappings?.length ?? 0) > 0;
  if (userNs !== undefined && !userNs.path) {
    if (!hasUidMappings) {
      reject("linux.uidMappings", "user namespace enabled, but no uid mappings found");
    }
    if (!hasGidMappings) {
      reject("linux.gidMappings", "user namespace enabled, but no gid mappings found");
    }
  }
  if (userNs === undefined) {
    if (hasUidMappings) {
      reject(
        "linux.uidMappings",
        "uid mappings specified, but no user namespace in linux.namespaces",
      );
    }
    if (hasGidMappings) {
      reject(
        "linux.gidMappings",
        "gid mappings specified, but no user namespace in linux.namespaces",
      );
    }
  }

  // Offsets can only be written into a time namespace nobody has entered yet.
  if (linux.timeOffsets !== undefined) {
    const timeNs = namespaces.get("time");
    if (timeNs === undefined) {
      reject(
        "linux.timeOffsets",
        "time offsets specified, but no time namespace in linux.namespaces",
      );
    }
    if (timeNs?.path) {
      reject(
        "linux.timeOffsets",
        `time offsets cannot be set when joining an existing time namespace (linux.namespaces[${timeNs.index}].path)`,
      );
    }
  }
}

/** process (of config.json, or exec's process.json): args and cwd. */
export function checkProcess(process: Process, prefix: string, source: string): void {
  if (!process.args || process.args.length === 0) {
    throw new TsruncError(`${source}: ${prefix}args: must be a non-empty array`);
  }
  if (!process.cwd.startsWith("/")) {
    throw new TsruncError(
      `${source}: ${prefix}cwd: must be an absolute path, got ${JSON.stringify(process.cwd)}`,
    );
  }
}

/**
 * What `create` needs of a valid config to make a Linux container of it, checked as it
 * builds its plan (the schema lets a config for another platform, or for `exec` only,
 * do without): a process, and the namespaces its fields need. Without a uts namespace
 * of its own a hostname would be set on the host; without a mount namespace, masks and
 * read-only paths would change the caller's own /proc and /sys (runc refuses both).
 */
export function checkCreatable(spec: OciSpec, source = "config.json"): void {
  if (!spec.process) throw new TsruncError(`${source}: process: required to create a container`);
  const namespaces = spec.linux?.namespaces ?? [];
  const has = (type: LinuxNamespaceType) => namespaces.some((n) => n.type === type);
  if (!has("mount")) {
    for (const key of ["maskedPaths", "readonlyPaths"] as const) {
      if ((spec.linux?.[key] ?? []).length > 0) {
        throw new TsruncError(
          `${source}: linux.${key}: requires a mount namespace of the container's own`,
        );
      }
    }
  }
  // new or joined by path (as runc: the name is then set in the joined one)
  if (!has("uts")) {
    for (const key of ["hostname", "domainname"] as const) {
      if (spec[key]) {
        throw new TsruncError(`${source}: ${key}: requires a uts namespace of the container's own`);
      }
    }
  }
}

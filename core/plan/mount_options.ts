/**
 * mount(8)-style option strings of a config mount, split into what the kernel takes:
 * mount(2) flags, propagation flags, mount_setattr(2) recursive attributes, runc's
 * extensions, and the rest as filesystem data ("mode=755,size=65536k").
 */

/** mount(2) flags (linux/mount.h). */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  I_VERSION: 1 << 23,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

/** mount_setattr(2) attributes. */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  ATIME_MASK: 0x70,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
} as const;

// [clear?, flag]: "rw" clears MS_RDONLY, "ro" sets it.
const FLAG_OPTIONS: Readonly<Record<string, [boolean, number]>> = {
  async: [true, MS.SYNCHRONOUS],
  atime: [true, MS.NOATIME],
  bind: [false, MS.BIND],
  defaults: [false, 0],
  dev: [true, MS.NODEV],
  diratime: [true, MS.NODIRATIME],
  dirsync: [false, MS.DIRSYNC],
  exec: [true, MS.NOEXEC],
  iversion: [false, MS.I_VERSION],
  lazytime: [false, MS.LAZYTIME],
  loud: [true, MS.SILENT],
  mand: [false, MS.MANDLOCK],
  noatime: [false, MS.NOATIME],
  nodev: [false, MS.NODEV],
  nodiratime: [false, MS.NODIRATIME],
  noexec: [false, MS.NOEXEC],
  noiversion: [true, MS.I_VERSION],
  nolazytime: [true, MS.LAZYTIME],
  nomand: [true, MS.MANDLOCK],
  norelatime: [true, MS.RELATIME],
  nostrictatime: [true, MS.STRICTATIME],
  nosuid: [false, MS.NOSUID],
  nosymfollow: [false, MS.NOSYMFOLLOW],
  rbind: [false, MS.BIND | MS.REC],
  relatime: [false, MS.RELATIME],
  remount: [false, MS.REMOUNT],
  ro: [false, MS.RDONLY],
  rw: [true, MS.RDONLY],
  silent: [false, MS.SILENT],
  strictatime: [false, MS.STRICTATIME],
  suid: [true, MS.NOSUID],
  sync: [false, MS.SYNCHRONOUS],
};

const PROPAGATION_OPTIONS: Readonly<Record<string, number>> = {
  private: MS.PRIVATE,
  shared: MS.SHARED,
  slave: MS.SLAVE,
  unbindable: MS.UNBINDABLE,
  rprivate: MS.PRIVATE | MS.REC,
  rshared: MS.SHARED | MS.REC,
  rslave: MS.SLAVE | MS.REC,
  runbindable: MS.UNBINDABLE | MS.REC,
};

// [clear?, attribute]; the atime family replaces the whole ATIME_MASK.
const RECURSIVE_OPTIONS: Readonly<Record<string, [boolean, number]>> = {
  rro: [false, MOUNT_ATTR.RDONLY],
  rrw: [true, MOUNT_ATTR.RDONLY],
  rnosuid: [false, MOUNT_ATTR.NOSUID],
  rsuid: [true, MOUNT_ATTR.NOSUID],
  rnodev: [false, MOUNT_ATTR.NODEV],
  rdev: [true, MOUNT_ATTR.NODEV],
  rnoexec: [false, MOUNT_ATTR.NOEXEC],
  rexec: [true, MOUNT_ATTR.NOEXEC],
  rnodiratime: [false, MOUNT_ATTR.NODIRATIME],
  rdiratime: [true, MOUNT_ATTR.NODIRATIME],
  rnosymfollow: [false, MOUNT_ATTR.NOSYMFOLLOW],
  rsymfollow: [true, MOUNT_ATTR.NOSYMFOLLOW],
};

const RECURSIVE_ATIME: Readonly<Record<string, number>> = {
  rrelatime: MOUNT_ATTR.RELATIME,
  rnoatime: MOUNT_ATTR.NOATIME,
  rstrictatime: MOUNT_ATTR.STRICTATIME,
};

/** A config mount's options, sorted by what takes them. */
export interface ParsedMountOptions {
  flags: number;
  propagation: number[];
  attrSet: number;
  attrClr: number;
  data: string[];
  tmpcopyup: boolean;
  bind: boolean;
  recursiveBind: boolean;
  /** idmap/ridmap: not supported yet. */
  idmap: boolean;
}

/** Split option strings; unknown ones are filesystem data, as with runc. */
export function parseMountOptions(options: readonly string[]): ParsedMountOptions {
  const parsed: ParsedMountOptions = {
    flags: 0,
    propagation: [],
    attrSet: 0,
    attrClr: 0,
    data: [],
    tmpcopyup: false,
    bind: false,
    recursiveBind: false,
    idmap: false,
  };
  for (const option of options) {
    const flag = FLAG_OPTIONS[option];
    if (flag) {
      const [clear, value] = flag;
      parsed.flags = clear ? parsed.flags & ~value : parsed.flags | value;
      if (option === "bind") parsed.bind = true;
      if (option === "rbind") parsed.bind = parsed.recursiveBind = true;
      continue;
    }
    if (option in PROPAGATION_OPTIONS) {
      parsed.propagation.push(PROPAGATION_OPTIONS[option]);
    } else if (option in RECURSIVE_OPTIONS) {
      const [clear, value] = RECURSIVE_OPTIONS[option];
      if (clear) {
        parsed.attrClr |= value;
        parsed.attrSet &= ~value;
      } else {
        parsed.attrSet |= value;
        parsed.attrClr &= ~value;
      }
    } else if (option in RECURSIVE_ATIME) {
      parsed.attrClr |= MOUNT_ATTR.ATIME_MASK;
      parsed.attrSet = (parsed.attrSet & ~MOUNT_ATTR.ATIME_MASK) | RECURSIVE_ATIME[option];
    } else if (option === "ratime" || option === "rnorelatime" || option === "rnostrictatime") {
      parsed.attrClr |= MOUNT_ATTR.ATIME_MASK;
    } else if (option === "tmpcopyup") {
      parsed.tmpcopyup = true;
    } else if (option === "idmap" || option === "ridmap") {
      parsed.idmap = true;
    } else {
      parsed.data.push(option);
    }
  }
  return parsed;
}

/** Options tsrunc understands, for `features` (data options are free-form). */
export function knownMountOptions(): string[] {
  return [
    ...Object.keys(FLAG_OPTIONS),
    ...Object.keys(PROPAGATION_OPTIONS),
    ...Object.keys(RECURSIVE_OPTIONS),
    ...Object.keys(RECURSIVE_ATIME),
    "ratime",
    "rnorelatime",
    "rnostrictatime",
    "tmpcopyup",
  ].sort();
}

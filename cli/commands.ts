/**
 * The command table: names, flags and help text, as runc's. mod.ts reads only this and
 * imports the one command module asked for.
 */
import type { FlagSpec, FlagValues } from "./flags.ts";

/** Global options every command sees. */
export interface Globals {
  root: string;
  log?: string;
  logFormat: "text" | "json";
  debug: boolean;
  systemdCgroup: boolean;
}

/** What a command's run() gets. */
export interface CommandContext {
  globals: Globals;
  flags: FlagValues;
  args: string[];
}

/** A command module: run() returns the exit status. */
export interface CommandModule {
  run(ctx: CommandContext): Promise<number>;
}

/** One command. */
export interface CommandSpec {
  name: string;
  summary: string;
  argsUsage: string;
  description?: string;
  flags: FlagSpec[];
  /** Exact number of arguments, or [min, max]. */
  args: number | [number, number];
  /** exec: flags end at the first argument. */
  stopAtArg?: boolean;
  /** Exit status when the command fails (default 1; exec: 255, as runc). */
  failureStatus?: number;
  load(): Promise<CommandModule>;
}

const BUNDLE: FlagSpec = {
  name: "bundle",
  short: "b",
  kind: "string",
  placeholder: "value",
  usage: "path to the root of the bundle directory, defaults to the current directory",
};
const CONSOLE_SOCKET: FlagSpec = {
  name: "console-socket",
  kind: "string",
  placeholder: "value",
  usage:
    "path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console's pseudoterminal",
};
const PID_FILE: FlagSpec = {
  name: "pid-file",
  kind: "string",
  placeholder: "value",
  usage: "specify the file to write the process id to",
};
const PRESERVE_FDS: FlagSpec = {
  name: "preserve-fds",
  kind: "int",
  placeholder: "value",
  default: 0,
  usage: "Pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)",
};
const CREATE_FLAGS: FlagSpec[] = [
  BUNDLE,
  CONSOLE_SOCKET,
  PID_FILE,
  {
    name: "no-pivot",
    kind: "bool",
    usage:
      "do not use pivot root to jail process inside rootfs.  This should be used whenever the rootfs is on top of a ramdisk",
  },
  {
    name: "no-new-keyring",
    kind: "bool",
    usage:
      "do not create a new session keyring for the container.  This will cause the container to inherit the calling processes session key",
  },
  PRESERVE_FDS,
];

const EXEC_FLAGS: FlagSpec[] = [
  CONSOLE_SOCKET,
  {
    name: "cwd",
    kind: "string",
    placeholder: "value",
    usage: "current working directory in the container",
  },
  {
    name: "env",
    short: "e",
    kind: "list",
    placeholder: "value",
    usage: "set environment variables",
  },
  { name: "tty", short: "t", kind: "bool", usage: "allocate a pseudo-TTY" },
  {
    name: "user",
    short: "u",
    kind: "string",
    placeholder: "value",
    usage: "UID (format: <uid>[:<gid>])",
  },
  {
    name: "additional-gids",
    short: "g",
    kind: "list",
    placeholder: "value",
    usage: "additional gids",
  },
  {
    name: "process",
    short: "p",
    kind: "string",
    placeholder: "value",
    usage: "path to the process.json",
  },
  { name: "detach", short: "d", kind: "bool", usage: "detach from the container's process" },
  PID_FILE,
  {
    name: "process-label",
    kind: "string",
    placeholder: "value",
    usage: "set the asm process label for the process commonly used with selinux",
  },
  {
    name: "apparmor",
    kind: "string",
    placeholder: "value",
    usage: "set the apparmor profile for the process",
  },
  { name: "no-new-privs", kind: "bool", usage: "set the no new privileges value for the process" },
  {
    name: "cap",
    short: "c",
    kind: "list",
    placeholder: "value",
    usage: "add a capability to the bounding set for the process",
  },
  PRESERVE_FDS,
  {
    name: "cgroup",
    kind: "list",
    placeholder: "value",
    usage: "run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.",
  },
  { name: "ignore-paused", kind: "bool", usage: "allow exec in a paused container" },
];

/** update's flags that carry a resource value (names as runc's). */
export const UPDATE_VALUE_FLAGS = [
  "blkio-weight",
  "cpu-period",
  "cpu-quota",
  "cpu-burst",
  "cpu-share",
  "cpu-rt-period",
  "cpu-rt-runtime",
  "cpuset-cpus",
  "cpuset-mems",
  "kernel-memory",
  "kernel-memory-tcp",
  "memory",
  "memory-reservation",
  "memory-swap",
  "pids-limit",
  "l3-cache-schema",
  "mem-bw-schema",
] as const;

const UPDATE_FLAGS: FlagSpec[] = [
  {
    name: "resources",
    short: "r",
    kind: "string",
    placeholder: "value",
    usage:
      "path to the file containing the resources to update or '-' to read from the standard input",
  },
  {
    name: "blkio-weight",
    kind: "string",
    placeholder: "value",
    usage: "Specifies per cgroup weight, range is from 10 to 1000",
  },
  {
    name: "cpu-period",
    kind: "string",
    placeholder: "value",
    usage: "CPU CFS period to be used for hardcapping (in usecs). 0 to use system default",
  },
  {
    name: "cpu-quota",
    kind: "string",
    placeholder: "value",
    usage: "CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period",
  },
  {
    name: "cpu-burst",
    kind: "string",
    placeholder: "value",
    usage:
      "CPU CFS hardcap burst limit (in usecs). Allowed accumulated cpu time additionally for burst a given period",
  },
  {
    name: "cpu-share",
    kind: "string",
    placeholder: "value",
    usage: "CPU shares (relative weight vs. other containers)",
  },
  {
    name: "cpu-rt-period",
    kind: "string",
    placeholder: "value",
    usage: "CPU realtime period to be used for hardcapping (in usecs). 0 to use system default",
  },
  {
    name: "cpu-rt-runtime",
    kind: "string",
    placeholder: "value",
    usage: "CPU realtime hardcap limit (in usecs). Allowed cpu time in a given period",
  },
  { name: "cpuset-cpus", kind: "string", placeholder: "value", usage: "CPU(s) to use" },
  { name: "cpuset-mems", kind: "string", placeholder: "value", usage: "Memory node(s) to use" },
  { name: "kernel-memory", kind: "string", placeholder: "value", usage: "(obsoleted; do not use)" },
  {
    name: "kernel-memory-tcp",
    kind: "string",
    placeholder: "value",
    usage: "(obsoleted; do not use)",
  },
  { name: "memory", kind: "string", placeholder: "value", usage: "Memory limit (in bytes)" },
  {
    name: "memory-reservation",
    kind: "string",
    placeholder: "value",
    usage: "Memory reservation or soft_limit (in bytes)",
  },
  {
    name: "memory-swap",
    kind: "string",
    placeholder: "value",
    usage: "Total memory usage (memory + swap); set '-1' to enable unlimited swap",
  },
  {
    name: "pids-limit",
    kind: "string",
    placeholder: "value",
    usage: "Maximum number of pids allowed in the container",
  },
  {
    name: "l3-cache-schema",
    kind: "string",
    placeholder: "value",
    usage: "The string of Intel RDT/CAT L3 cache schema",
  },
  {
    name: "mem-bw-schema",
    kind: "string",
    placeholder: "value",
    usage: "The string of Intel RDT/MBA memory bandwidth schema",
  },
];

const notYet = (name: string, issue: number) => () =>
  import("./not_yet.ts").then((m) => m.notYet(name, issue));

/** Every command, in runc's order. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "checkpoint",
    summary: "checkpoint a running container",
    argsUsage: "<container-id>",
    flags: [],
    args: 1,
    load: notYet("checkpoint", 0),
  },
  {
    name: "create",
    summary: "create a container",
    argsUsage: "<container-id>",
    description: `The create command creates an instance of a container for a bundle. The bundle
is a directory with a specification file named "config.json" and a root
filesystem.

The specification file includes an args parameter. The args parameter is used
to specify command(s) that get run when the container is started. To change the
command(s) that get executed on start, edit the args parameter of the spec. See
"tsrunc spec --help" for more explanation.`,
    flags: CREATE_FLAGS,
    args: 1,
    load: () => import("./create.ts"),
  },
  {
    name: "delete",
    summary: "delete any resources held by the container often used with detached container",
    argsUsage: "<container-id>",
    flags: [{
      name: "force",
      short: "f",
      kind: "bool",
      usage: "Forcibly deletes the container if it is still running (uses SIGKILL)",
    }],
    args: 1,
    load: () => import("./delete.ts"),
  },
  {
    name: "events",
    summary:
      "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
    argsUsage: "<container-id>",
    flags: [
      {
        name: "interval",
        kind: "string",
        placeholder: "value",
        default: "5s",
        usage: "set the stats collection interval",
      },
      { name: "stats", kind: "bool", usage: "display the container's stats then exit" },
    ],
    args: 1,
    load: () => import("./events.ts"),
  },
  {
    name: "exec",
    summary: "execute new process inside the container",
    argsUsage: "<container-id> <command> [command options]  || -p process.json <container-id>",
    description: `Where "<container-id>" is the name for the instance of the container and
"<command>" is the command to be executed in the container.
"<command>" can't be empty unless a "-p" flag provided.

EXAMPLE:
For example, if the container is configured to run the linux ps command the
following will output a list of processes running in the container:

       # tsrunc exec <container-id> ps`,
    flags: EXEC_FLAGS,
    args: [1, Infinity],
    stopAtArg: true,
    failureStatus: 255,
    load: () => import("./exec.ts"),
  },
  {
    name: "kill",
    summary: "kill sends the specified signal (default: SIGTERM) to the container's init process",
    argsUsage: "<container-id> [signal]",
    flags: [{
      name: "all",
      short: "a",
      kind: "bool",
      usage: "send the specified signal to all processes inside the container",
    }],
    args: [1, 2],
    load: () => import("./kill.ts"),
  },
  {
    name: "list",
    summary: "lists containers started by tsrunc with the given root",
    argsUsage: "",
    flags: [
      {
        name: "format",
        short: "f",
        kind: "string",
        placeholder: "value",
        default: "table",
        usage: 'select one of: table or json (default: "table")',
      },
      { name: "quiet", short: "q", kind: "bool", usage: "display only container IDs" },
    ],
    args: 0,
    load: () => import("./list.ts"),
  },
  {
    name: "pause",
    summary: "pause suspends all processes inside the container",
    argsUsage: "<container-id>",
    flags: [],
    args: 1,
    load: () => import("./pause.ts"),
  },
  {
    name: "ps",
    summary: "ps displays the processes running inside a container",
    argsUsage: "<container-id> [ps options]",
    flags: [{
      name: "format",
      short: "f",
      kind: "string",
      placeholder: "value",
      default: "table",
      usage: 'select one of: table or json (default: "table")',
    }],
    args: [1, Infinity],
    stopAtArg: true,
    load: () => import("./ps.ts"),
  },
  {
    name: "restore",
    summary: "restore a container from a previous checkpoint",
    argsUsage: "<container-id>",
    flags: [],
    args: 1,
    load: notYet("restore", 0),
  },
  {
    name: "resume",
    summary: "resumes all processes that have been previously paused",
    argsUsage: "<container-id>",
    flags: [],
    args: 1,
    load: () => import("./resume.ts"),
  },
  {
    name: "run",
    summary: "create and run a container",
    argsUsage: "<container-id>",
    description: `The run command creates an instance of a container for a bundle. The bundle
is a directory with a specification file named "config.json" and a root
filesystem.`,
    flags: [
      ...CREATE_FLAGS,
      { name: "detach", short: "d", kind: "bool", usage: "detach from the container's process" },
      { name: "keep", kind: "bool", usage: "do not delete the container after it exits" },
    ],
    args: 1,
    load: () => import("./run.ts"),
  },
  {
    name: "spec",
    summary: "create a new specification file",
    argsUsage: "",
    description: `The spec command creates the new specification file named "config.json" for
the bundle.`,
    flags: [
      BUNDLE,
      {
        name: "rootless",
        kind: "bool",
        usage: "generate a configuration for a rootless container",
      },
    ],
    args: 0,
    load: () => import("./spec_command.ts"),
  },
  {
    name: "start",
    summary: "executes the user defined process in a created container",
    argsUsage: "<container-id>",
    flags: [],
    args: 1,
    load: () => import("./start.ts"),
  },
  {
    name: "state",
    summary: "output the state of a container",
    argsUsage: "<container-id>",
    flags: [],
    args: 1,
    load: () => import("./state.ts"),
  },
  {
    name: "update",
    summary: "update container resource constraints",
    argsUsage: "<container-id>",
    flags: UPDATE_FLAGS,
    args: 1,
    load: () => import("./update.ts"),
  },
  {
    name: "explain",
    summary: "print what create would do with a bundle, and do none of it (not in runc)",
    argsUsage: "[<container-id>]",
    description: `The explain command validates the bundle's config.json as create does and
prints the plan tsrunc's executor would run for it: one numbered line per step
(namespaces, mounts, devices, masks, process attributes, execve), each with the
config.json path it comes from, then the cgroups, hooks and state create would
make. It takes create's flags. Nothing on the host is changed: no state, cgroup,
mount or process is made. A failing create names the same step number.`,
    flags: CREATE_FLAGS,
    args: [0, 1],
    load: () => import("./explain.ts"),
  },
  {
    name: "features",
    summary: "show the enabled features",
    argsUsage: "",
    flags: [],
    args: 0,
    load: () => import("./features.ts"),
  },
];

/** Global flags, as runc's. */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: "debug", kind: "bool", usage: "enable debug logging" },
  {
    name: "log",
    kind: "string",
    placeholder: "value",
    usage: "set the log file to write tsrunc logs to (default is '/dev/stderr')",
  },
  {
    name: "log-format",
    kind: "string",
    placeholder: "value",
    default: "text",
    usage: "set the log format ('text' (default), or 'json')",
  },
  {
    name: "root",
    kind: "string",
    placeholder: "value",
    default: "/run/tsrunc",
    usage: "root directory for storage of container state (this should be located in tmpfs)",
  },
  {
    name: "criu",
    kind: "string",
    placeholder: "value",
    default: "criu",
    usage: "path to the criu binary used for checkpoint and restore",
  },
  {
    name: "systemd-cgroup",
    kind: "bool",
    usage:
      'enable systemd cgroup support, expects cgroupsPath to be of form "slice:prefix:name" for e.g. "system.slice:runc:434234"',
  },
  {
    name: "rootless",
    kind: "string",
    placeholder: "value",
    default: "auto",
    usage: "ignore cgroup permission errors ('true', 'false', or 'auto')",
  },
  { name: "help", short: "h", kind: "bool", usage: "show help" },
  { name: "version", short: "v", kind: "bool", usage: "print the version" },
];

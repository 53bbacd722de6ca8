/**
 * tsrunc events [--stats] [--interval 5s] <container-id>: runc's event stream, one JSON
 * object per line: `stats` every interval, `oom` when the kernel's OOM killer acts in the
 * container. With --stats: one stats event, then exit. Ends when the container stops.
 */
import type { CommandContext } from "./commands.ts";
import { writeOut } from "./output.ts";
import { TsruncError } from "../base/errors.ts";
import { openContainer } from "../core/lifecycle/open.ts";
import { driverFor } from "../core/cgroups/driver.ts";
import type { CgroupRecord } from "../core/cgroups/record.ts";

const OOM_POLL_MS = 200;

/** Run the command. */
export async function run(ctx: CommandContext): Promise<number> {
  const id = ctx.args[0];
  const interval = parseDuration(String(ctx.flags.interval ?? "5s"));
  const cgroups = driverFor(cgroupsOf(ctx.globals.root, id));
  const emit = (type: string, data?: unknown) =>
    writeOut(toJson(data === undefined ? { type, id } : { type, id, data }) + "\n");
  if (ctx.flags.stats === true) {
    emit("stats", cgroups.stats());
    return 0;
  }
  let kills = cgroups.oomKills();
  const checkOom = () => {
    const now = cgroups.oomKills();
    if (now > kills) emit("oom");
    kills = now;
  };
  let nextStats = Date.now();
  while (running(ctx.globals.root, id)) {
    checkOom();
    if (Date.now() >= nextStats) {
      emit("stats", cgroups.stats());
      nextStats = Date.now() + interval;
    }
    await new Promise((r) => setTimeout(r, Math.min(OOM_POLL_MS, interval)));
  }
  // An OOM kill that ended the container is reported too.
  checkOom();
  return 0;
}

/** JSON with bigints written as plain numbers (as Go prints uint64). */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => typeof v === "bigint" ? `\u0000${v}` : v)
    .replace(/"\\u0000(\d+)"/g, "$1");
}

function cgroupsOf(root: string, id: string): CgroupRecord {
  const opened = openContainer(root, id);
  opened.unlock();
  if (opened.status === "stopped") throw new TsruncError(`container ${id} is not running`);
  const record = opened.state.cgroups;
  if (!record || Object.keys(record.dirs).length === 0) {
    throw new TsruncError(`container ${id} has no cgroups: no events`);
  }
  return record;
}

function running(root: string, id: string): boolean {
  try {
    const opened = openContainer(root, id);
    opened.unlock();
    return opened.status !== "stopped";
  } catch {
    return false;
  }
}

/** Go's time.ParseDuration for the usual forms: "5s", "500ms", "1m", "1.5s". */
export function parseDuration(text: string): number {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    "µs": 1e-3,
    ms: 1,
    s: 1000,
    m: 60000,
    h: 3600000,
  };
  const match = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(text);
  if (!match || Number(match[1]) <= 0) {
    throw new TsruncError(`--interval: invalid duration "${text}" (e.g. 5s, 500ms)`);
  }
  return Number(match[1]) * units[match[2]];
}

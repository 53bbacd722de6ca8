/**
 * scripts/bench --short as a smoke test (root): it exits 0, prints a row with a tsrunc
 * number for every benchmark and footprint, and leaves no temporary directory and no
 * container cgroup behind. Timings are not checked: --short only proves the bench works.
 *
 * The runtime is $TSRUNC (default /usr/local/sbin/tsrunc, as the bench itself); runc and
 * crun take part when installed and working, as in the bench.
 */
import { assert, assertEquals } from "./_assert.ts";
import { exists, hasCommand, IS_ROOT, runToFiles } from "./_helpers.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const TSRUNC = Deno.env.get("TSRUNC") || "/usr/local/sbin/tsrunc";

const TIMES = [
  "run",
  "lifecycle",
  "state",
  "exec",
  "list",
  "kill",
  "run50x10",
  "mounts1000",
  "seccomp10k",
];
const FOOTPRINTS = ["rss-run", "rss-mounts1000", "rss-seccomp10k", "pss-created"];

/** The container ids the bench uses (its cgroups are named after them). */
const BENCH_ID = /^b-(smoke|run|life|state|exec|kill|mnt|sec|rss|pss|list-\d+|par-\d+)$/;

/** Entries of a directory whose names match, as a set (empty when it cannot be read). */
function entries(dir: string, match: (name: string) => boolean): Set<string> {
  const found = new Set<string>();
  try {
    for (const e of Deno.readDirSync(dir)) if (match(e.name)) found.add(`${dir}/${e.name}`);
  } catch {
    // no such directory
  }
  return found;
}

/** What the bench could leave: its temporary directories and its containers' cgroups. */
function leftovers(): Set<string> {
  const cgroupDir = exists("/sys/fs/cgroup/pids", { follow: true })
    ? "/sys/fs/cgroup/pids"
    : "/sys/fs/cgroup";
  return new Set([
    ...entries("/tmp", (n) => n.startsWith("tsrunc-bench.")),
    ...entries(cgroupDir, (n) => BENCH_ID.test(n)),
  ]);
}

/**
 * The value of a table's row in the tsrunc column. The header reads
 * `TITLE  NAME (UNIT)...  tsrunc/OTHER...`; a row `ROW  VALUE...  RATIO...`.
 */
function tsruncCell(output: string, title: string, row: string): string {
  const lines = output.split("\n");
  const at = lines.findIndex((l) => l.startsWith(`${title} `));
  assert(at >= 0, `no table headed "${title}" in:\n${output}`);
  const runtimes = [...lines[at].matchAll(/(\S+) \((?:ms|KiB)\)/g)].map((m) => m[1]);
  const column = runtimes.indexOf("tsrunc");
  assert(column >= 0, `no tsrunc column in: ${lines[at]}`);
  const line = lines.slice(at + 1).find((l) => l.startsWith(`${row} `));
  assert(line !== undefined, `no row "${row}" under "${title}" in:\n${output}`);
  return line.trim().split(/\s+/)[1 + column];
}

Deno.test({
  name: "bench --short measures every benchmark for tsrunc and leaves nothing behind",
  ignore: !IS_ROOT || !exists(TSRUNC, { follow: true }) || !hasCommand("hyperfine"),
  fn: async () => {
    const before = leftovers();
    // Output through files: a container the bench starts must not hold a pipe open.
    const { code, stdout, stderr } = await runToFiles([`${REPO}scripts/bench`, "--short"], {
      env: { TSRUNC },
    });
    const output = stdout + stderr;
    assertEquals(code, 0, `bench exited ${code}:\n${output}`);
    for (const [title, rows] of [["benchmark", TIMES], ["footprint", FOOTPRINTS]] as const) {
      for (const row of rows) {
        const cell = tsruncCell(output, title, row);
        assert(
          /^\d+(\.\d+)?$/.test(cell) && Number(cell) > 0,
          `${row}: tsrunc has "${cell}", not a number:\n${output}`,
        );
      }
    }
    const left = [...leftovers()].filter((p) => !before.has(p));
    assertEquals(left, [], `left behind by the bench:\n${output}`);
  },
});

/**
 * applyWrites() against temporary directories laid out like cgroupfs: the files exist (empty)
 * before, and hold the values after. Kernel refusals (EINVAL, EBUSY) are simulated with a
 * writer that throws Deno's errors, since a plain file accepts anything.
 */
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { applyWrites } from "../../../../core/cgroups/apply.ts";
import type { CgroupWrite } from "../../../../core/cgroups/write.ts";
import { v1Writes } from "../../../../core/cgroups/v1/mod.ts";
import { v2Writes } from "../../../../core/cgroups/v2/mod.ts";
import { TsruncError } from "../../../../base/errors.ts";

/** A temporary directory with one empty file per name (and sub-directories for v1). */
function cgroupDir(files: string[]): string {
  const dir = Deno.makeTempDirSync({ prefix: "tsrunc-cgroup-" });
  for (const file of files) {
    const slash = file.lastIndexOf("/");
    if (slash > 0) Deno.mkdirSync(`${dir}/${file.slice(0, slash)}`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/${file}`, "");
  }
  return dir;
}

function read(dir: string, file: string): string {
  return Deno.readTextFileSync(`${dir}/${file}`);
}

/** A Deno-like error for errno name code. */
function kernelError(code: string, errno: number, text: string): Error {
  const error = new TypeError(`${text} (os error ${errno}): writefile 'x'`);
  (error as Error & { code: string }).code = code;
  return error;
}

/** fn must throw a TsruncError whose message matches pattern. */
function assertTsruncError(fn: () => unknown, pattern: RegExp | string): TsruncError {
  const error = assertThrows(fn, pattern);
  assert(error instanceof TsruncError, `expected a TsruncError, got ${error}`);
  return error as TsruncError;
}

Deno.test("applyWrites() writes v2 values into the container's cgroup files", () => {
  const dir = cgroupDir([
    "pids.max",
    "memory.swap.max",
    "memory.max",
    "memory.low",
    "cpu.weight",
    "cpu.max",
    "cpuset.cpus",
    "io.weight",
    "hugetlb.2MB.max",
  ]);
  try {
    const writes = v2Writes({
      pids: { limit: 64 },
      memory: { limit: 2 ** 30, swap: 2 ** 31, reservation: 2 ** 29 },
      cpu: { shares: 1024, quota: 50000, cpus: "0-1" },
      blockIO: { weight: 500 },
      hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
    }, []);
    applyWrites((c) => c === "" ? dir : undefined, writes);
    assertEquals(read(dir, "pids.max"), "64");
    assertEquals(read(dir, "memory.swap.max"), "1073741824");
    assertEquals(read(dir, "memory.max"), "1073741824");
    assertEquals(read(dir, "memory.low"), "536870912");
    assertEquals(read(dir, "cpu.weight"), "39");
    assertEquals(read(dir, "cpu.max"), "50000 100000");
    assertEquals(read(dir, "cpuset.cpus"), "0-1");
    // No io.bfq.weight here: the converted io.weight is written instead.
    assertEquals(read(dir, "io.weight"), "4950");
    // No hugetlb.2MB.rsvd.max (an older kernel): skipped.
    assertEquals(read(dir, "hugetlb.2MB.max"), "0");
    assertEquals([...Deno.readDirSync(dir)].length, 9, "no file was created");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("applyWrites() writes v1 values into each controller's directory", () => {
  const root = cgroupDir([
    "memory/c1/memory.limit_in_bytes",
    "memory/c1/memory.memsw.limit_in_bytes",
    "cpu/c1/cpu.shares",
    "cpu/c1/cpu.cfs_period_us",
    "cpu/c1/cpu.cfs_quota_us",
    "blkio/c1/blkio.bfq.weight",
    "hugetlb/c1/hugetlb.2MB.limit_in_bytes",
    "hugetlb/c1/hugetlb.2MB.rsvd.limit_in_bytes",
  ]);
  try {
    const writes = v1Writes({
      memory: { limit: 2 ** 30, swap: -1 },
      cpu: { shares: 512, period: 100000, quota: 20000, burst: 1000 },
      blockIO: { weight: 700 },
      hugepageLimits: [{ pageSize: "2MB", limit: 2097152 }],
    }, []);
    const dirs: Record<string, string> = {
      memory: `${root}/memory/c1`,
      cpu: `${root}/cpu/c1`,
      blkio: `${root}/blkio/c1`,
      hugetlb: `${root}/hugetlb/c1`,
    };
    applyWrites((c) => dirs[c], writes);
    assertEquals(read(root, "memory/c1/memory.limit_in_bytes"), "1073741824");
    assertEquals(read(root, "memory/c1/memory.memsw.limit_in_bytes"), "-1");
    assertEquals(read(root, "cpu/c1/cpu.shares"), "512");
    assertEquals(read(root, "cpu/c1/cpu.cfs_period_us"), "100000");
    assertEquals(read(root, "cpu/c1/cpu.cfs_quota_us"), "20000");
    // The BFQ file, since blkio.weight does not exist; no cpu.cfs_burst_us: skipped.
    assertEquals(read(root, "blkio/c1/blkio.bfq.weight"), "700");
    assertEquals(read(root, "hugetlb/c1/hugetlb.2MB.limit_in_bytes"), "2097152");
    assertEquals(read(root, "hugetlb/c1/hugetlb.2MB.rsvd.limit_in_bytes"), "2097152");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("applyWrites() fails on a missing file, naming it, and never creates it", () => {
  const dir = cgroupDir(["memory.max"]);
  try {
    const error = assertTsruncError(
      () => applyWrites(() => dir, [{ controller: "", file: "pids.max", value: "10" }]),
      `cgroup file ${dir}/pids.max does not exist (is the controller enabled?)`,
    );
    assertEquals(error.errno, 2);
    assertTsruncError(
      () =>
        applyWrites(() => dir, [{
          controller: "",
          file: "memory.swap.max",
          value: "1024",
        }]),
      `cgroup file ${dir}/memory.swap.max does not exist (is swap accounting enabled?)`,
    );
    assertTsruncError(
      () =>
        applyWrites(() => dir, [{
          controller: "",
          file: "io.bfq.weight",
          value: "100",
          fallback: { file: "io.weight", value: "910" },
        }]),
      `cgroup file ${dir}/io.bfq.weight does not exist, nor io.weight (is the controller enabled?)`,
    );
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["memory.max"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("applyWrites() fails when a controller has no directory", () => {
  const writes: CgroupWrite[] = [{
    controller: "hugetlb",
    file: "hugetlb.2MB.limit_in_bytes",
    value: "0",
  }];
  assertTsruncError(
    () => applyWrites(() => undefined, writes),
    "cgroup controller hugetlb is not available",
  );
  assertTsruncError(
    () => applyWrites(() => undefined, [{ controller: "", file: "pids.max", value: "1" }]),
    "cgroup directory is not available",
  );
  assertTsruncError(
    () => applyWrites(() => "/nonexistent", [{ controller: "", file: "../x", value: "1" }]),
    `invalid cgroup file name "../x"`,
  );
});

Deno.test("applyWrites() names the file and value the kernel refuses", () => {
  const writeFile = () => {
    throw kernelError("EINVAL", 22, "Invalid argument");
  };
  const error = assertTsruncError(
    () =>
      applyWrites(() => "/cg", [{ controller: "", file: "cpu.max", value: "x 100000" }], {
        writeFile,
      }),
    `cannot write "x 100000" to /cg/cpu.max: invalid argument`,
  );
  assertEquals(error.errno, 22);
});

Deno.test("applyWrites() defers a refused period and writes it again after the quota", () => {
  const done: string[] = [];
  let refused = false;
  const writeFile = (path: string, data: string) => {
    // The kernel refuses the new period while the old quota is in place, once.
    if (path.endsWith("cpu.cfs_period_us") && !refused) {
      refused = true;
      throw kernelError("EINVAL", 22, "Invalid argument");
    }
    done.push(`${path}=${data}`);
  };
  const writes = v1Writes({ cpu: { period: 50000, quota: 25000 } }, []);
  applyWrites(() => "/cg", writes, { writeFile });
  assertEquals(done, ["/cg/cpu.cfs_quota_us=25000", "/cg/cpu.cfs_period_us=50000"]);

  // Accepted at once: no second write.
  done.length = 0;
  refused = true;
  applyWrites(() => "/cg", writes, { writeFile });
  assertEquals(done, ["/cg/cpu.cfs_period_us=50000", "/cg/cpu.cfs_quota_us=25000"]);

  // Refused twice: the retry's error is reported.
  const always = () => {
    throw kernelError("EINVAL", 22, "Invalid argument");
  };
  assertTsruncError(
    () =>
      applyWrites(() => "/cg", [
        { controller: "cpu", file: "cpu.rt_period_us", value: "1", deferOnEinval: true },
        { controller: "cpu", file: "cpu.rt_period_us", value: "1", retry: true },
      ], { writeFile: always }),
    `cannot write "1" to /cg/cpu.rt_period_us: invalid argument`,
  );
});

Deno.test("applyWrites() explains a memory limit below the usage as runc does", () => {
  const dir = cgroupDir([
    "memory.limit_in_bytes",
    "memory.usage_in_bytes",
    "memory.max_usage_in_bytes",
  ]);
  try {
    Deno.writeTextFileSync(`${dir}/memory.usage_in_bytes`, "104857600\n");
    Deno.writeTextFileSync(`${dir}/memory.max_usage_in_bytes`, "209715200\n");
    const writeFile = () => {
      throw kernelError("EBUSY", 16, "Device or resource busy");
    };
    const error = assertTsruncError(
      () =>
        applyWrites(() => dir, [{
          controller: "memory",
          file: "memory.limit_in_bytes",
          value: "1024",
        }], {
          writeFile,
        }),
      "unable to set memory limit to 1024 (current usage: 104857600, peak usage: 209715200)",
    );
    assertEquals(error.errno, 16);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("applyWrites() writes each line of a multi-value file separately", () => {
  const dir = cgroupDir(["io.max", "rdma.max"]);
  const seen: string[] = [];
  try {
    const writes = v2Writes({
      blockIO: {
        throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }, { major: 8, minor: 16, rate: 2 }],
      },
      rdma: { mlx4_0: { hcaHandles: 1 } },
    }, []);
    applyWrites(() => dir, writes, {
      writeFile: (path, data) => {
        Deno.writeTextFileSync(path, data, { create: false });
        seen.push(`${path.slice(dir.length + 1)}=${data}`);
      },
    });
    assertEquals(seen, ["io.max=8:0 rbps=1", "io.max=8:16 rbps=2", "rdma.max=mlx4_0 hca_handle=1"]);
    // A plain file keeps the last write; cgroupfs applies each.
    assertEquals(read(dir, "io.max"), "8:16 rbps=2");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

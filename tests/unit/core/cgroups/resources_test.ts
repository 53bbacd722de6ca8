/**
 * The mapping from linux.resources to cgroup files is pure: these tests compare the writes
 * planned for given resources (core/cgroups/v1/mod.ts, v2/mod.ts, convert.ts) with the files
 * and values runc 1.1 writes (libcontainer/cgroups/fs for v1, fs2 for v2), in runc's order.
 */
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import {
  convertBlkioWeightToIoWeight,
  convertCpuSharesToWeight,
  convertMemorySwapToV2,
} from "../../../../core/cgroups/convert.ts";
import type { CgroupWrite } from "../../../../core/cgroups/write.ts";
import { type V1WriteOptions, v1Writes } from "../../../../core/cgroups/v1/mod.ts";
import { v2Controllers, v2Writes } from "../../../../core/cgroups/v2/mod.ts";
import type { LinuxResources } from "../../../../core/spec/types.ts";
import { assertTsruncError, c1, c2, G, M } from "./_helpers.ts";

function v1(r: LinuxResources, options?: V1WriteOptions): { w: CgroupWrite[]; warnings: string[] } {
  const warnings: string[] = [];
  return { w: v1Writes(r, warnings, options), warnings };
}

function v2(r: LinuxResources): { w: CgroupWrite[]; warnings: string[] } {
  const warnings: string[] = [];
  return { w: v2Writes(r, warnings), warnings };
}

// ---------------------------------------------------------------------------------------
// Nothing set

Deno.test("v1Writes() and v2Writes() write nothing for empty or unset resources", () => {
  for (
    const r of [
      {},
      { memory: {}, cpu: {}, blockIO: {}, network: {}, rdma: {}, hugepageLimits: [] },
      { memory: { limit: 0, reservation: 0, swap: 0 }, cpu: { shares: 0, quota: 0, period: 0 } },
      { pids: { limit: 0 }, blockIO: { weight: 0 }, network: { classID: 0 }, unified: {} },
    ] as LinuxResources[]
  ) {
    assertEquals(v1(r), { w: [], warnings: [] });
    assertEquals(v2(r), { w: [], warnings: [] });
  }
});

// ---------------------------------------------------------------------------------------
// Memory, v1

Deno.test("v1Writes() maps memory limit, reservation, oom killer and swappiness", () => {
  assertEquals(
    v1({
      memory: { limit: G, reservation: 512 * M, disableOOMKiller: true, swappiness: 60 },
    }).w,
    [
      c1("memory", "memory.limit_in_bytes", "1073741824"),
      c1("memory", "memory.soft_limit_in_bytes", "536870912"),
      c1("memory", "memory.oom_control", "1"),
      c1("memory", "memory.swappiness", "60"),
    ],
  );
  assertEquals(v1({ memory: { swappiness: 0 } }).w, [c1("memory", "memory.swappiness", "0")]);
  assertEquals(v1({ memory: { swappiness: 100 } }).w, [
    c1("memory", "memory.swappiness", "100"),
  ]);
  assertEquals(v1({ memory: { disableOOMKiller: false } }).w, []);
  assertEquals(v1({ memory: { limit: -1, reservation: -1 } }).w, [
    c1("memory", "memory.memsw.limit_in_bytes", "-1", { ifExists: true }),
    c1("memory", "memory.limit_in_bytes", "-1"),
    c1("memory", "memory.soft_limit_in_bytes", "-1"),
  ]);
});

Deno.test("v1Writes() refuses a swappiness above 100 as runc does", () => {
  assertTsruncError(
    () => v1({ memory: { swappiness: 101 } }),
    "linux.resources.memory.swappiness: invalid value 101, valid memory swappiness range is 0-100",
  );
});

Deno.test("v1Writes() writes memsw after the limit on a new cgroup, before it when raising", () => {
  // A new cgroup: limits are unlimited, the limit goes first (memsw >= limit always holds).
  assertEquals(v1({ memory: { limit: G, swap: 2 * G } }).w, [
    c1("memory", "memory.limit_in_bytes", "1073741824"),
    c1("memory", "memory.memsw.limit_in_bytes", "2147483648"),
  ]);
  // update, raising: the current limit is below the new memsw, which must go first.
  assertEquals(v1({ memory: { limit: 2 * G, swap: 4 * G } }, { current: { limit: G } }).w, [
    c1("memory", "memory.memsw.limit_in_bytes", "4294967296"),
    c1("memory", "memory.limit_in_bytes", "2147483648"),
  ]);
  // update, lowering: the current limit is above the new memsw, the limit goes first.
  assertEquals(v1({ memory: { limit: G / 2, swap: G } }, { current: { limit: 2 * G } }).w, [
    c1("memory", "memory.limit_in_bytes", "536870912"),
    c1("memory", "memory.memsw.limit_in_bytes", "1073741824"),
  ]);
  // Unlimited memsw always goes first.
  assertEquals(v1({ memory: { limit: G, swap: -1 } }).w, [
    c1("memory", "memory.memsw.limit_in_bytes", "-1"),
    c1("memory", "memory.limit_in_bytes", "1073741824"),
  ]);
  // Only swap: only memsw.
  assertEquals(v1({ memory: { swap: G } }).w, [
    c1("memory", "memory.memsw.limit_in_bytes", "1073741824"),
  ]);
});

Deno.test("v1Writes() ignores kernel memory with runc's warning", () => {
  const { w, warnings } = v1({ memory: { kernel: G, kernelTCP: M } });
  assertEquals(w, []);
  assertEquals(warnings, [
    "linux.resources.memory.kernel/kernelTCP: kernel memory settings are ignored and will be removed",
  ]);
  assertEquals(v2({ memory: { kernel: G } }).warnings.length, 1);
});

Deno.test("v1Writes() and v2Writes() refuse memory values below -1 and fractions", () => {
  for (const write of [v1, v2]) {
    assertTsruncError(
      () => write({ memory: { limit: -2 } }),
      "linux.resources.memory.limit: must be -1 (unlimited) or a number of bytes, got -2",
    );
    assertTsruncError(() => write({ memory: { reservation: 1.5 } }), /memory\.reservation:/);
  }
});

// ---------------------------------------------------------------------------------------
// Memory, v2

Deno.test("v2Writes() maps memory to memory.swap.max, memory.max and memory.low in that order", () => {
  assertEquals(v2({ memory: { limit: G, swap: 3 * G, reservation: 512 * M } }).w, [
    c2("memory.swap.max", "2147483648"),
    c2("memory.max", "1073741824"),
    c2("memory.low", "536870912"),
  ]);
  assertEquals(v2({ memory: { limit: G } }).w, [c2("memory.max", "1073741824")]);
  assertEquals(v2({ memory: { reservation: -1 } }).w, [c2("memory.low", "max")]);
});

Deno.test("v2Writes() converts swap as runc: memory+swap minus memory, -1 is max", () => {
  // memory+swap equal to memory: no swap.
  assertEquals(v2({ memory: { limit: G, swap: G } }).w, [
    c2("memory.swap.max", "0", { ifExists: true }),
    c2("memory.max", "1073741824"),
  ]);
  // Unlimited swap.
  assertEquals(v2({ memory: { limit: G, swap: -1 } }).w, [
    c2("memory.swap.max", "max", { ifExists: true }),
    c2("memory.max", "1073741824"),
  ]);
  // Unlimited memory and no swap given: both unlimited (v1 compatibility).
  assertEquals(v2({ memory: { limit: -1 } }).w, [
    c2("memory.swap.max", "max", { ifExists: true }),
    c2("memory.max", "max"),
  ]);
  // Unlimited memory with a swap limit: the swap as it is (runc 1.2.1).
  assertEquals(v2({ memory: { limit: -1, swap: G } }).w, [
    c2("memory.swap.max", "1073741824"),
    c2("memory.max", "max"),
  ]);
  assertTsruncError(
    () => v2({ memory: { swap: G } }),
    "linux.resources.memory.swap: unable to set swap limit without memory limit",
  );
  assertTsruncError(
    () => v2({ memory: { limit: 2 * G, swap: G } }),
    "linux.resources.memory.swap: memory+swap limit should be >= memory limit",
  );
});

Deno.test("convertMemorySwapToV2() follows runc's ConvertMemorySwapToCgroupV2Value", () => {
  assertEquals(convertMemorySwapToV2(0, 0), 0);
  assertEquals(convertMemorySwapToV2(0, G), 0);
  assertEquals(convertMemorySwapToV2(-1, G), -1);
  assertEquals(convertMemorySwapToV2(0, -1), -1);
  assertEquals(convertMemorySwapToV2(-1, -1), -1);
  assertEquals(convertMemorySwapToV2(G, -1), G);
  assertEquals(convertMemorySwapToV2(3 * G, G), 2 * G);
  assertEquals(convertMemorySwapToV2(G, G), 0);
  assertThrows(() => convertMemorySwapToV2(G, 0), /without memory limit/);
  assertThrows(() => convertMemorySwapToV2(G, -5), /invalid memory value: -5/);
  assertThrows(() => convertMemorySwapToV2(G, 2 * G), /should be >= memory limit/);
});

Deno.test("v2Writes() ignores v1-only memory settings with a warning", () => {
  const { w, warnings } = v2({ memory: { swappiness: 10, disableOOMKiller: true } });
  assertEquals(w, []);
  assertEquals(warnings, [
    "linux.resources.memory.disableOOMKiller: not supported on cgroup v2 (ignored)",
    "linux.resources.memory.swappiness: not supported on cgroup v2 (ignored)",
  ]);
});

// ---------------------------------------------------------------------------------------
// CPU

Deno.test("v1Writes() maps cpu shares, period before quota with runc's retries, burst, idle", () => {
  assertEquals(v1({ cpu: { shares: 1024, period: 100000, quota: 50000 } }).w, [
    c1("cpu", "cpu.shares", "1024"),
    c1("cpu", "cpu.cfs_period_us", "100000", { deferOnEinval: true }),
    c1("cpu", "cpu.cfs_quota_us", "50000"),
    c1("cpu", "cpu.cfs_period_us", "100000", { retry: true }),
  ]);
  assertEquals(v1({ cpu: { period: 50000 } }).w, [c1("cpu", "cpu.cfs_period_us", "50000")]);
  assertEquals(v1({ cpu: { quota: -1 } }).w, [c1("cpu", "cpu.cfs_quota_us", "-1")]);
  assertEquals(v1({ cpu: { quota: 20000, burst: 10000, idle: 1 } }).w, [
    c1("cpu", "cpu.cfs_burst_us", "10000", { ifExists: true, deferOnEinval: true }),
    c1("cpu", "cpu.cfs_quota_us", "20000"),
    c1("cpu", "cpu.cfs_burst_us", "10000", { retry: true }),
    c1("cpu", "cpu.idle", "1"),
  ]);
  assertEquals(v1({ cpu: { burst: 0, idle: 0 } }).w, [
    c1("cpu", "cpu.cfs_burst_us", "0", { ifExists: true }),
    c1("cpu", "cpu.idle", "0"),
  ]);
});

Deno.test("v1Writes() maps realtime period and runtime with runc 1.1.13's retry", () => {
  assertEquals(v1({ cpu: { realtimePeriod: 1000000, realtimeRuntime: 950000 } }).w, [
    c1("cpu", "cpu.rt_period_us", "1000000", { deferOnEinval: true }),
    c1("cpu", "cpu.rt_runtime_us", "950000"),
    c1("cpu", "cpu.rt_period_us", "1000000", { retry: true }),
  ]);
  assertEquals(v1({ cpu: { realtimePeriod: 1000000 } }).w, [
    c1("cpu", "cpu.rt_period_us", "1000000"),
  ]);
  assertEquals(v1({ cpu: { realtimeRuntime: -1 } }).w, [c1("cpu", "cpu.rt_runtime_us", "-1")]);
});

Deno.test("v1Writes() refuses cpu shares the kernel would clamp, with runc's messages", () => {
  assertTsruncError(
    () => v1({ cpu: { shares: 1 } }),
    "linux.resources.cpu.shares: the minimum allowed cpu-shares is 2",
  );
  assertTsruncError(
    () => v1({ cpu: { shares: 262145 } }),
    "linux.resources.cpu.shares: the maximum allowed cpu-shares is 262144",
  );
  assertEquals(v1({ cpu: { shares: 2 } }).w, [c1("cpu", "cpu.shares", "2")]);
  assertEquals(v1({ cpu: { shares: 262144 } }).w, [c1("cpu", "cpu.shares", "262144")]);
});

Deno.test("v1Writes() and v2Writes() map cpus and mems to cpuset", () => {
  assertEquals(v1({ cpu: { cpus: "0-3", mems: "0" } }).w, [
    c1("cpuset", "cpuset.cpus", "0-3"),
    c1("cpuset", "cpuset.mems", "0"),
  ]);
  assertEquals(v2({ cpu: { cpus: "0-3", mems: "0" } }).w, [
    c2("cpuset.cpus", "0-3"),
    c2("cpuset.mems", "0"),
  ]);
  assertEquals(v1({ cpu: { cpus: "", mems: "" } }).w, []);
});

Deno.test("v2Writes() maps idle, shares to cpu.weight, burst and quota/period to cpu.max", () => {
  assertEquals(
    v2({ cpu: { idle: 1, shares: 1024, burst: 1000, quota: 50000, period: 200000 } }).w,
    [
      c2("cpu.idle", "1"),
      c2("cpu.weight", "39"),
      c2("cpu.max.burst", "1000", { deferOnEinval: true }),
      c2("cpu.max", "50000 200000"),
      c2("cpu.max.burst", "1000", { retry: true }),
    ],
  );
  // The period defaults to 100000; a quota of -1 (or none) is "max".
  assertEquals(v2({ cpu: { quota: 50000 } }).w, [c2("cpu.max", "50000 100000")]);
  assertEquals(v2({ cpu: { quota: -1 } }).w, [c2("cpu.max", "max 100000")]);
  assertEquals(v2({ cpu: { period: 250000 } }).w, [c2("cpu.max", "max 250000")]);
  assertEquals(v2({ cpu: { burst: 0 } }).w, [c2("cpu.max.burst", "0")]);
  assertEquals(v2({ cpu: { idle: 0 } }).w, [c2("cpu.idle", "0")]);
});

Deno.test("convertCpuSharesToWeight() is runc's linear map of 2..262144 onto 1..10000", () => {
  const table: [number, number][] = [
    [0, 0],
    [2, 1],
    [3, 1],
    [100, 4],
    [512, 20],
    [1024, 39],
    [2048, 79],
    [262143, 9999],
    [262144, 10000],
  ];
  for (const [shares, weight] of table) assertEquals(convertCpuSharesToWeight(shares), weight);
  for (let s = 2; s <= 262144; s += 997) {
    const w = convertCpuSharesToWeight(s);
    assert(w >= 1 && w <= 10000, `shares ${s} gave weight ${w}`);
  }
});

Deno.test("v2Writes() refuses shares out of 2..262144 and warns about realtime settings", () => {
  assertTsruncError(
    () => v2({ cpu: { shares: 1 } }),
    "linux.resources.cpu.shares: must be between 2 and 262144, got 1",
  );
  assertTsruncError(() => v2({ cpu: { shares: 300000 } }), /cpu\.shares: must be between/);
  const { w, warnings } = v2({ cpu: { realtimePeriod: 1000000, realtimeRuntime: 950000 } });
  assertEquals(w, []);
  assertEquals(warnings, [
    "linux.resources.cpu.realtimePeriod/realtimeRuntime: ignored on cgroup v2 (no realtime group scheduling)",
  ]);
});

// ---------------------------------------------------------------------------------------
// Pids

Deno.test("v1Writes() and v2Writes() map pids.limit: 0 leaves pids.max alone, negative is max", () => {
  assertEquals(v1({ pids: { limit: 100 } }).w, [c1("pids", "pids.max", "100")]);
  assertEquals(v1({ pids: { limit: -1 } }).w, [c1("pids", "pids.max", "max")]);
  assertEquals(v1({ pids: { limit: -5 } }).w, [c1("pids", "pids.max", "max")]);
  assertEquals(v1({ pids: { limit: 0 } }).w, []);
  assertEquals(v2({ pids: { limit: 100 } }).w, [c2("pids.max", "100")]);
  assertEquals(v2({ pids: { limit: -1 } }).w, [c2("pids.max", "max")]);
  assertEquals(v2({ pids: { limit: 0 } }).w, []);
});

// ---------------------------------------------------------------------------------------
// Block I/O

const BLOCK_IO: LinuxResources = {
  blockIO: {
    weight: 500,
    leafWeight: 300,
    weightDevice: [
      { major: 8, minor: 0, weight: 600, leafWeight: 200 },
      { major: 8, minor: 16, weight: 700 },
      { major: 8, minor: 32, leafWeight: 100 },
    ],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
    throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2097152 }],
    throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }, { major: 8, minor: 16 }],
    throttleWriteIOPSDevice: [{ major: 253, minor: 1, rate: 200 }],
  },
};

Deno.test("v1Writes() maps blockIO to blkio files, BFQ's names as the fallback", () => {
  assertEquals(v1(BLOCK_IO).w, [
    c1("blkio", "blkio.weight", "500", { fallback: { file: "blkio.bfq.weight", value: "500" } }),
    c1("blkio", "blkio.leaf_weight", "300"),
    c1("blkio", "blkio.weight_device", "8:0 600", {
      fallback: { file: "blkio.bfq.weight_device", value: "8:0 600" },
    }),
    c1("blkio", "blkio.leaf_weight_device", "8:0 200"),
    c1("blkio", "blkio.weight_device", "8:16 700", {
      fallback: { file: "blkio.bfq.weight_device", value: "8:16 700" },
    }),
    c1("blkio", "blkio.leaf_weight_device", "8:32 100"),
    c1("blkio", "blkio.throttle.read_bps_device", "8:0 1048576"),
    c1("blkio", "blkio.throttle.write_bps_device", "8:0 2097152"),
    c1("blkio", "blkio.throttle.read_iops_device", "8:0 100"),
    c1("blkio", "blkio.throttle.read_iops_device", "8:16 0"),
    c1("blkio", "blkio.throttle.write_iops_device", "253:1 200"),
  ]);
});

Deno.test("v2Writes() maps blockIO to io.bfq.weight (io.weight converted) and io.max", () => {
  const { w, warnings } = v2(BLOCK_IO);
  assertEquals(w, [
    c2("io.bfq.weight", "500", { fallback: { file: "io.weight", value: "4950" } }),
    c2("io.bfq.weight", "8:0 600", { ifExists: true }),
    c2("io.bfq.weight", "8:16 700", { ifExists: true }),
    c2("io.max", "8:0 rbps=1048576"),
    c2("io.max", "8:0 wbps=2097152"),
    c2("io.max", "8:0 riops=100"),
    c2("io.max", "8:16 riops=0"),
    c2("io.max", "253:1 wiops=200"),
  ]);
  assertEquals(warnings, [
    "linux.resources.blockIO.leafWeight: ignored on cgroup v2",
    "linux.resources.blockIO.weightDevice[0].leafWeight: ignored on cgroup v2",
    "linux.resources.blockIO.weightDevice[2].leafWeight: ignored on cgroup v2",
  ]);
});

Deno.test("convertBlkioWeightToIoWeight() is runc's linear map of 10..1000 onto 1..10000", () => {
  const table: [number, number][] = [
    [0, 0],
    [10, 1],
    [11, 11],
    [100, 910],
    [500, 4950],
    [999, 9989],
    [1000, 10000],
  ];
  for (const [weight, io] of table) assertEquals(convertBlkioWeightToIoWeight(weight), io);
});

Deno.test("v1Writes() and v2Writes() refuse blkio weights out of the spec's 10..1000", () => {
  for (const write of [v1, v2]) {
    assertTsruncError(
      () => write({ blockIO: { weight: 5 } }),
      "linux.resources.blockIO.weight: must be between 10 and 1000, got 5",
    );
    assertTsruncError(
      () => write({ blockIO: { weightDevice: [{ major: 8, minor: 0, weight: 1001 }] } }),
      "linux.resources.blockIO.weightDevice[0].weight: must be between 10 and 1000, got 1001",
    );
    assertTsruncError(
      () => write({ blockIO: { throttleReadBpsDevice: [{ major: -1, minor: 0, rate: 1 }] } }),
      "linux.resources.blockIO.throttleReadBpsDevice[0].major: invalid -1",
    );
  }
});

// ---------------------------------------------------------------------------------------
// hugetlb, network, rdma

Deno.test("v1Writes() and v2Writes() map hugepage limits, with the rsvd limit when it exists", () => {
  const r: LinuxResources = {
    hugepageLimits: [{ pageSize: "2MB", limit: 4 * M }, { pageSize: "1GB", limit: 0 }],
  };
  assertEquals(v1(r).w, [
    c1("hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304"),
    c1("hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes", "4194304", { ifExists: true }),
    c1("hugetlb", "hugetlb.1GB.limit_in_bytes", "0"),
    c1("hugetlb", "hugetlb.1GB.rsvd.limit_in_bytes", "0", { ifExists: true }),
  ]);
  assertEquals(v2(r).w, [
    c2("hugetlb.2MB.max", "4194304"),
    c2("hugetlb.2MB.rsvd.max", "4194304", { ifExists: true }),
    c2("hugetlb.1GB.max", "0"),
    c2("hugetlb.1GB.rsvd.max", "0", { ifExists: true }),
  ]);
  for (const pageSize of ["2mb", "../2MB", "2MB/x", ""]) {
    assertTsruncError(
      () => v2({ hugepageLimits: [{ pageSize, limit: 1 }] }),
      /^linux\.resources\.hugepageLimits\[0\]\.pageSize: invalid page size/,
    );
  }
});

Deno.test("v1Writes() maps network to net_cls.classid and net_prio.ifpriomap; v2 warns", () => {
  const r: LinuxResources = {
    network: {
      classID: 0x100001,
      priorities: [{ name: "eth0", priority: 5 }, { name: "lo", priority: 0 }],
    },
  };
  assertEquals(v1(r).w, [
    c1("net_cls", "net_cls.classid", "1048577"),
    c1("net_prio", "net_prio.ifpriomap", "eth0 5"),
    c1("net_prio", "net_prio.ifpriomap", "lo 0"),
  ]);
  assertEquals(v2(r), {
    w: [],
    warnings: [
      "linux.resources.network: ignored on cgroup v2 (net_cls and net_prio are v1 only)",
    ],
  });
  assertTsruncError(
    () => v1({ network: { priorities: [{ name: "eth0 1\nlo", priority: 1 }] } }),
    /network\.priorities\[0\]\.name: invalid name/,
  );
});

Deno.test("v1Writes() and v2Writes() map rdma limits to rdma.max lines", () => {
  const r: LinuxResources = {
    rdma: {
      mlx4_0: { hcaHandles: 2, hcaObjects: 2000 },
      mlx5_1: { hcaHandles: 0 },
      mlx5_2: { hcaObjects: 10 },
    },
  };
  assertEquals(v1(r).w, [
    c1("rdma", "rdma.max", "mlx4_0 hca_handle=2 hca_object=2000"),
    c1("rdma", "rdma.max", "mlx5_1 hca_handle=0"),
    c1("rdma", "rdma.max", "mlx5_2 hca_object=10"),
  ]);
  assertEquals(v2(r).w, [
    c2("rdma.max", "mlx4_0 hca_handle=2 hca_object=2000"),
    c2("rdma.max", "mlx5_1 hca_handle=0"),
    c2("rdma.max", "mlx5_2 hca_object=10"),
  ]);
  assertTsruncError(
    () => v2({ rdma: { "a b": { hcaHandles: 1 } } }),
    /rdma\["a b"\]: invalid name/,
  );
});

// ---------------------------------------------------------------------------------------
// unified

Deno.test("v1Writes() refuses linux.resources.unified: it requires cgroup v2", () => {
  assertTsruncError(
    () => v1({ unified: { "memory.high": "1G" } }),
    "linux.resources.unified: invalid configuration: unified resources need cgroup v2 (this host has its controllers on cgroup v1)",
  );
});

Deno.test("v2Writes() writes unified files last, as given, so that they take precedence", () => {
  assertEquals(
    v2({
      memory: { limit: G },
      unified: {
        "memory.max": "max",
        "memory.high": "512M",
        "io.max": "8:0 rbps=1\n8:16 wbps=2\n",
        "cgroup.freeze": "0",
        "cpuset.cpus": "",
      },
    }).w,
    [
      c2("memory.max", "1073741824"),
      c2("memory.max", "max"),
      c2("memory.high", "512M"),
      c2("io.max", "8:0 rbps=1"),
      c2("io.max", "8:16 wbps=2"),
      c2("cgroup.freeze", "0"),
      c2("cpuset.cpus", ""),
    ],
  );
});

Deno.test("v2Writes() refuses unified keys that are paths or not CONTROLLER.PARAMETER", () => {
  for (const key of ["../memory.max", "memory.max/x", "/etc/passwd", "..", "a..b"]) {
    assertTsruncError(
      () => v2({ unified: { [key]: "1" } }),
      `linux.resources.unified[${JSON.stringify(key)}]: must be a file name (no slashes)`,
    );
  }
  for (const key of ["memory", "memory.", ".max", "Memory.max", "memory max", ""]) {
    assertTsruncError(
      () => v2({ unified: { [key]: "1" } }),
      `linux.resources.unified[${JSON.stringify(key)}]: must be in the form CONTROLLER.PARAMETER`,
    );
  }
});

Deno.test("v2Controllers() lists the controllers the writes need, in cgroup.controllers order", () => {
  assertEquals(v2Controllers({}), []);
  assertEquals(
    v2Controllers({
      unified: { "misc.max": "res_a 1", "cgroup.freeze": "0" },
      rdma: { mlx4_0: { hcaHandles: 1 } },
      pids: { limit: 10 },
      hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
      memory: { limit: G },
      blockIO: { weight: 100 },
      cpu: { shares: 512, cpus: "0" },
    }),
    ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"],
  );
  assertEquals(v2Controllers({ cpu: { quota: 1000 }, network: { classID: 1 } }), ["cpu"]);
  assertEquals(v2Controllers({ cpu: { mems: "0" } }), ["cpuset"]);
});

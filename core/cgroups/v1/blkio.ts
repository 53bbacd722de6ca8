/**
 * cgroup v1 blkio (runc's fs/blkio.go): weights, per-device weights and throttles. With the
 * BFQ scheduler the kernel has blkio.bfq.weight(_device) instead of the CFQ files (runc 1.0,
 * #3010): those are each write's fallback.
 */
import type { LinuxBlockIo } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { blkioWeight, device, throttles } from "../values.ts";

const THROTTLES = [
  ["throttleReadBpsDevice", "blkio.throttle.read_bps_device"],
  ["throttleWriteBpsDevice", "blkio.throttle.write_bps_device"],
  ["throttleReadIOPSDevice", "blkio.throttle.read_iops_device"],
  ["throttleWriteIOPSDevice", "blkio.throttle.write_iops_device"],
] as const;

/** The blkio writes of io, in runc's order. */
export function blkioWrites(io: LinuxBlockIo | undefined): CgroupWrite[] {
  const out = new WriteList("blkio");
  if (!io) return out.writes;
  const weight = blkioWeight("blockIO.weight", io.weight);
  if (weight) {
    out.add("blkio.weight", weight, { fallback: { file: "blkio.bfq.weight", value: weight } });
  }
  const leaf = blkioWeight("blockIO.leafWeight", io.leafWeight);
  if (leaf) out.add("blkio.leaf_weight", leaf);
  (io.weightDevice ?? []).forEach((wd, i) => {
    const at = `blockIO.weightDevice[${i}]`;
    const dev = device(at, wd);
    const w = blkioWeight(`${at}.weight`, wd.weight);
    if (w) {
      out.add("blkio.weight_device", `${dev} ${w}`, {
        fallback: { file: "blkio.bfq.weight_device", value: `${dev} ${w}` },
      });
    }
    const lw = blkioWeight(`${at}.leafWeight`, wd.leafWeight);
    if (lw) out.add("blkio.leaf_weight_device", `${dev} ${lw}`);
  });
  for (const [key, file] of THROTTLES) {
    throttles(key, io[key]).forEach(([dev, rate]) => out.add(file, `${dev} ${rate}`));
  }
  return out.writes;
}

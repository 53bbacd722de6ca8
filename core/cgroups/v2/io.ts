/**
 * cgroup v2 io (runc's fs2/io.go): the blkio settings of the spec as io.bfq.weight (BFQ takes
 * the v1 weight as it is) or io.weight (converted: a wider range), and io.max throttles.
 * Leaf weights have no v2 files: ignored with a warning.
 */
import type { LinuxBlockIo } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { convertBlkioWeightToIoWeight } from "../convert.ts";
import { blkioWeight, device, throttles, warning } from "../values.ts";

const THROTTLES = [
  ["throttleReadBpsDevice", "rbps"],
  ["throttleWriteBpsDevice", "wbps"],
  ["throttleReadIOPSDevice", "riops"],
  ["throttleWriteIOPSDevice", "wiops"],
] as const;

/**
 * The io writes of io, in runc's order.
 * @param io the blockIO settings
 * @param warnings receives one line per ignored setting
 */
export function ioWrites(io: LinuxBlockIo | undefined, warnings: string[]): CgroupWrite[] {
  const out = new WriteList("");
  if (!io) return out.writes;
  const weight = blkioWeight("blockIO.weight", io.weight);
  if (weight) {
    out.add("io.bfq.weight", weight, {
      fallback: { file: "io.weight", value: String(convertBlkioWeightToIoWeight(io.weight!)) },
    });
  }
  if (io.leafWeight) warnings.push(warning("blockIO.leafWeight", "ignored on cgroup v2"));
  (io.weightDevice ?? []).forEach((wd, i) => {
    const at = `blockIO.weightDevice[${i}]`;
    const dev = device(at, wd);
    const w = blkioWeight(`${at}.weight`, wd.weight);
    // Per-device weights exist only with BFQ (io.bfq.weight, Linux 5.4+): runc skips them
    // without it.
    if (w) out.add("io.bfq.weight", `${dev} ${w}`, { ifExists: true });
    if (wd.leafWeight) warnings.push(warning(`${at}.leafWeight`, "ignored on cgroup v2"));
  });
  for (const [key, name] of THROTTLES) {
    throttles(key, io[key]).forEach(([dev, rate]) => out.add("io.max", `${dev} ${name}=${rate}`));
  }
  return out.writes;
}

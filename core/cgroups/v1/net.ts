/** cgroup v1 net_cls and net_prio (runc's fs/net_cls.go, fs/net_prio.go); v2 has neither. */
import type { LinuxNetwork } from "../../spec/types.ts";
import { type CgroupWrite, WriteList } from "../write.ts";
import { int, integer, word } from "../values.ts";

/** net_cls.classid, then one net_prio.ifpriomap line per interface. */
export function netWrites(net: LinuxNetwork | undefined): CgroupWrite[] {
  const cls = new WriteList("net_cls");
  const classId = int("network.classID", net?.classID);
  if (classId) cls.add("net_cls.classid", classId);
  const prio = new WriteList("net_prio");
  for (const [i, p] of (net?.priorities ?? []).entries()) {
    const name = word(`network.priorities[${i}].name`, p.name);
    const priority = integer(`network.priorities[${i}].priority`, p.priority);
    prio.add("net_prio.ifpriomap", `${name} ${priority}`);
  }
  return [...cls.writes, ...prio.writes];
}

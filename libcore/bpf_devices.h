/* The cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program built from
 * OCI device rules (linux.resources.devices), attached to a cgroup v2 directory. */
#ifndef TSRUNC_BPF_DEVICES_H
#define TSRUNC_BPF_DEVICES_H
#include <stdint.h>

/* One rule, as packed by ffi/libcore.ts (five int32 each). */
struct tsr_dev_rule {
  int32_t type;         /* 'a', 'b' or 'c' */
  int32_t major, minor; /* -1 = wildcard (*) */
  int32_t access;       /* BPF_DEVCG_ACC_MKNOD 1 | BPF_DEVCG_ACC_READ 2 | BPF_DEVCG_ACC_WRITE 4 */
  int32_t allow;        /* 0 = deny, else allow */
};

/* Replaces the device filter of the cgroup v2 directory cgroup_dirfd with one built
 * from rules[0..count), evaluated as runc does (cgroup v1 semantics: see bpf_devices.c).
 * 0, or -errno: -EINVAL for a malformed rule, -EOPNOTSUPP for a rule that would punch a
 * hole in a wildcard rule (runc refuses those too), else the failing bpf(2) call's. */
int tsr_bpf_devices(int cgroup_dirfd, const struct tsr_dev_rule *rules, int32_t count);

#endif

/* The plan as the executor sees it; the encoding is described in core/plan/encode.ts
 * and the op codes must match OP_CODES in core/plan/ops.ts. */
#ifndef TSRUNC_PLAN_H
#define TSRUNC_PLAN_H
#include <stddef.h>
#include <stdint.h>

enum op_code {
  OP_JOIN_NS = 1, OP_TIME_OFFSETS, OP_OPEN_FIFO, OP_CLONE, OP_SYNC, OP_BECOME_ROOT,
  OP_SETSID, OP_HOSTNAME, OP_DOMAINNAME, OP_KEYRING, OP_PROPAGATION, OP_OPEN_ROOT,
  OP_MOUNT, OP_REMOUNT, OP_MOUNT_SETATTR, OP_COPY_UP, OP_MKDIR, OP_MKNOD, OP_SYMLINK,
  OP_HOOK, OP_PIVOT_ROOT, OP_CHROOT, OP_MASK, OP_READONLY_PATH, OP_READONLY_ROOT,
  OP_WRITE_FILE, OP_RLIMIT, OP_PERSONALITY, OP_SCHEDULER, OP_IO_PRIORITY, OP_CPU_AFFINITY,
  OP_CLOSE_SYNC, OP_WAIT_START, OP_RESOLVE_EXEC, OP_CHDIR, OP_UMASK, OP_CAP_BOUNDING,
  OP_SET_USER, OP_CAP_SET, OP_NO_NEW_PRIVS, OP_CLOSE_FDS, OP_EXEC, OP_ENTER_CONTAINER,
  OP_OPEN_PTY, OP_KEEP_AFTER_PARENT, OP_UNSHARE, OP_JOIN_CGROUP, OP_SECCOMP, OP_SECCOMP_LOAD,
  OP_DUMPABLE, OP_DETACH_MOUNT,
};

enum phase_code { PHASE_READY = 1, PHASE_PRESTART = 2, PHASE_CREATED = 3 };

/* TARGET_REAL_DIR: a directory reached through no symlink at all */
enum target_kind { TARGET_DIR = 0, TARGET_FILE = 1, TARGET_NONE = 2, TARGET_REAL_DIR = 3 };

struct op {
  uint16_t code;
  uint32_t nints, nstrs;
  const int64_t *ints; /* unaligned-safe: copied on decode */
  const char **strs;
};

struct plan {
  uint32_t count;
  struct op *ops;
};

/* Decodes the wire form in buf (kept alive by the caller); 0 or -errno. */
int plan_decode(const uint8_t *buf, size_t len, struct plan *out);

#endif

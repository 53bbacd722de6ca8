#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int read_u32(const uint8_t *buf, size_t len, size_t *at, uint32_t *out) {
  if (*at + 4 > len) return -EPROTO;
  memcpy(out, buf + *at, 4);
  *at += 4;
  return 0;
}

/* The fixed part of each op, as core/plan/encode.ts writes it (a unit test compares the
 * two): an op with fewer ints or strings is a protocol error, never a read past them.
 * Ops with lists (exec, hook, setUser, seccomp...) check their counts where they read. */
static const struct {
  uint32_t ints, strs;
} ARITY[] = {
    [OP_JOIN_NS] = {1, 1},
    [OP_TIME_OFFSETS] = {4, 0},
    [OP_OPEN_FIFO] = {0, 1},
    [OP_CLONE] = {2, 0},
    [OP_SYNC] = {2, 0},
    [OP_BECOME_ROOT] = {0, 0},
    [OP_SETSID] = {0, 0},
    [OP_HOSTNAME] = {0, 1},
    [OP_DOMAINNAME] = {0, 1},
    [OP_KEYRING] = {1, 1},
    [OP_PROPAGATION] = {1, 1},
    [OP_OPEN_ROOT] = {0, 1},
    [OP_MOUNT] = {4, 4},
    [OP_REMOUNT] = {1, 1},
    [OP_MOUNT_SETATTR] = {3, 1},
    [OP_COPY_UP] = {0, 1},
    [OP_MKDIR] = {1, 2},
    [OP_MKNOD] = {5, 1},
    [OP_SYMLINK] = {0, 2},
    [OP_HOOK] = {5, 1},
    [OP_PIVOT_ROOT] = {0, 0},
    [OP_CHROOT] = {1, 0},
    [OP_MASK] = {1, 1},
    [OP_READONLY_PATH] = {1, 1},
    [OP_READONLY_ROOT] = {0, 0},
    [OP_WRITE_FILE] = {1, 2},
    [OP_RLIMIT] = {3, 0},
    [OP_PERSONALITY] = {1, 0},
    [OP_SCHEDULER] = {7, 0},
    [OP_IO_PRIORITY] = {1, 0},
    [OP_CPU_AFFINITY] = {0, 0},
    [OP_CLOSE_SYNC] = {0, 0},
    [OP_WAIT_START] = {0, 0},
    [OP_RESOLVE_EXEC] = {0, 3},
    [OP_CHDIR] = {0, 1},
    [OP_UMASK] = {1, 0},
    [OP_CAP_BOUNDING] = {1, 0},
    [OP_SET_USER] = {3, 0},
    [OP_CAP_SET] = {4, 0},
    [OP_NO_NEW_PRIVS] = {0, 0},
    [OP_CLOSE_FDS] = {1, 0},
    [OP_EXEC] = {2, 0},
    [OP_ENTER_CONTAINER] = {3, 0},
    [OP_OPEN_PTY] = {4, 0},
    [OP_KEEP_AFTER_PARENT] = {0, 0},
    [OP_UNSHARE] = {1, 0},
    [OP_JOIN_CGROUP] = {1, 0},
    [OP_SECCOMP] = {7, 0},
    [OP_SECCOMP_LOAD] = {0, 0},
    [OP_DUMPABLE] = {1, 0},
    [OP_DETACH_MOUNT] = {0, 1},

};

int plan_decode(const uint8_t *buf, size_t len, struct plan *out) {
  size_t at = 4;
  if (len < 8 || memcmp(buf, "TSP1", 4) != 0) return -EPROTO;
  if (read_u32(buf, len, &at, &out->count) < 0) return -EPROTO;
  out->ops = calloc(out->count ? out->count : 1, sizeof *out->ops);
  if (!out->ops) return -ENOMEM;
  for (uint32_t i = 0; i < out->count; i++) {
    struct op *op = &out->ops[i];
    if (at + 12 > len) return -EPROTO;
    memcpy(&op->code, buf + at, 2);
    memcpy(&op->nints, buf + at + 4, 4);
    memcpy(&op->nstrs, buf + at + 8, 4);
    at += 12;
    if (op->nints > len / 8 || op->nstrs > len / 5 || at + 8 * (size_t)op->nints > len) return -EPROTO;
    int64_t *ints = calloc(op->nints + 1, sizeof *ints);
    const char **strs = calloc(op->nstrs + 1, sizeof *strs);
    if (!ints || !strs) return -ENOMEM;
    memcpy(ints, buf + at, 8 * (size_t)op->nints);
    at += 8 * (size_t)op->nints;
    for (uint32_t s = 0; s < op->nstrs; s++) {
      uint32_t n;
      if (read_u32(buf, len, &at, &n) < 0 || at + n + 1 > len || buf[at + n] != 0) return -EPROTO;
      strs[s] = (const char *)buf + at;
      at += n + 1;
    }
    op->ints = ints;
    op->strs = strs;
    if (op->code >= sizeof ARITY / sizeof *ARITY || op->code == 0 ||
        op->nints < ARITY[op->code].ints || op->nstrs < ARITY[op->code].strs)
      return -EPROTO;
  }
  return at == len ? 0 : -EPROTO;
}

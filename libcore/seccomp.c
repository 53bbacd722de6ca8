/* The seccomp filter of the container's process, built with libseccomp from the plan's
 * rules (core/plan/seccomp.ts decided every value). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "executor.h"
#include "sync.h"

enum { FLAG_TSYNC = 1, FLAG_LOG = 2, FLAG_SPEC_ALLOW = 4, FLAG_WAIT_KILLABLE_RECV = 8 };

static int load(struct ctx *c, scmp_filter_ctx filter, int notify);

/* The ENOSYS stub's bound and the filter's flags, for load(). */
static long stub_above = -1;
static int filter_flags;

/* ints: default action, flags, notify, #arches, #rules, load now, then per rule: action,
 * #names, #args, per arg: index, op, value, valueTwo, then #names the profile knows;
 * strs: arches, every rule's names, the known names. Without "load now" the filter is
 * kept for op_seccomp_load. */
int op_seccomp(struct ctx *c, const struct op *op) {
  const int64_t *in = op->ints;
  uint32_t default_action = (uint32_t)in[0];
  int flags = (int)in[1], notify = (int)in[2], narches = (int)in[3], nrules = (int)in[4];
  int load_now = (int)in[5];
  int at = 6, s = 0;
  scmp_filter_ctx filter = seccomp_init(default_action);
  if (!filter) return explain(c, -EINVAL, "seccomp: cannot make a filter with default action 0x%x", default_action);
  int r = 0;
  /* tsrunc sets no_new_privs itself, only when the config asks for it */
  seccomp_attr_set(filter, SCMP_FLTATR_CTL_NNP, 0);
  if ((flags & FLAG_TSYNC) && (r = seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) {
    fail(c, r, "seccomp: flag SECCOMP_FILTER_FLAG_TSYNC");
    goto out;
  }
  if ((flags & FLAG_LOG) && (r = seccomp_attr_set(filter, SCMP_FLTATR_CTL_LOG, 1)) < 0) {
    fail(c, r, "seccomp: flag SECCOMP_FILTER_FLAG_LOG");
    goto out;
  }
  if ((flags & FLAG_SPEC_ALLOW) && (r = seccomp_attr_set(filter, SCMP_FLTATR_CTL_SSB, 1)) < 0) {
    fail(c, r, "seccomp: flag SECCOMP_FILTER_FLAG_SPEC_ALLOW");
    goto out;
  }
  if (flags & FLAG_WAIT_KILLABLE_RECV) {
    r = explain(c, -EOPNOTSUPP,
                "seccomp: flag SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs libseccomp 2.6 (this is %d.%d.%d)",
                SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
    goto out;
  }
  /* The counts come from the plan: each list is checked to be there before it is read. */
#define NEED(n_ints, n_strs)                                                                 \
  if ((uint64_t)at + (uint64_t)(n_ints) > op->nints || (uint64_t)s + (uint64_t)(n_strs) > op->nstrs) { \
    r = fail(c, -EPROTO, "seccomp: the plan's lists are shorter than their counts");          \
    goto out;                                                                                \
  }
  NEED(0, narches < 0 ? op->nstrs + 1 : (uint32_t)narches);
  for (int i = 0; i < narches; i++, s++) {
    uint32_t arch = seccomp_arch_resolve_name(op->strs[s]);
    if (arch == 0) {
      r = explain(c, -EINVAL, "seccomp: unknown architecture %s", op->strs[s]);
      goto out;
    }
    r = seccomp_arch_add(filter, arch);
    if (r < 0 && r != -EEXIST) {
      fail(c, r, "seccomp: add architecture %s", op->strs[s]);
      goto out;
    }
    r = 0;
  }
  for (int i = 0; i < nrules; i++) {
    NEED(3, 0);
    uint32_t action = (uint32_t)in[at];
    int nnames = (int)in[at + 1], nargs = (int)in[at + 2];
    at += 3;
    NEED(nargs < 0 || nargs > 6 ? op->nints + 1 : 4 * (uint32_t)nargs,
         nnames < 0 ? op->nstrs + 1 : (uint32_t)nnames);
    struct scmp_arg_cmp args[6];
    for (int j = 0; j < nargs && j < 6; j++, at += 4) {
      args[j] = (struct scmp_arg_cmp){.arg = (unsigned)in[at], .op = (enum scmp_compare)in[at + 1],
                                      .datum_a = (scmp_datum_t)in[at + 2],
                                      .datum_b = (scmp_datum_t)in[at + 3]};
    }
    for (int j = 0; j < nnames; j++, s++) {
      int nr = seccomp_syscall_resolve_name(op->strs[s]);
      if (nr == __NR_SCMP_ERROR) continue; /* unknown here: skipped, as runc does */
      r = seccomp_rule_add_array(filter, action, nr, (unsigned)(nargs < 6 ? nargs : 6), args);
      if (r < 0) {
        fail(c, r, "seccomp: rule for %s", op->strs[s]);
        goto out;
      }
    }
  }
  /* runc's ENOSYS stub: syscalls (of the native arch) numbered above every one the
   * profile knows are newer than it, and get ENOSYS so that programs fall back. */
  NEED(1, 0);
  int nknown = (int)in[at++];
  NEED(0, nknown < 0 ? op->nstrs + 1 : (uint32_t)nknown);
#undef NEED
  stub_above = -1;
  for (int j = 0; j < nknown; j++, s++) {
    int nr = seccomp_syscall_resolve_name(op->strs[s]);
    if (nr > stub_above) stub_above = nr;
  }
  filter_flags = flags & (FLAG_TSYNC | FLAG_LOG | FLAG_SPEC_ALLOW);
  if (!load_now) {
    c->seccomp = filter;
    return 0;
  }
  r = load(c, filter, notify);
out:
  seccomp_release(filter);
  return r;
}

/* Loads libseccomp's program behind the stub: on the native arch, a syscall numbered above
 * `above` (and not an x32 one) returns ENOSYS; everything else goes on to the program.
 * The notify fd, when asked for, comes back in *notify_fd. */
static int load_with_stub(scmp_filter_ctx filter, long above, int flags, int notify,
                          int *notify_fd) {
  int mfd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
  if (mfd < 0) return -errno;
  int r = seccomp_export_bpf(filter, mfd);
  off_t size = r < 0 ? 0 : lseek(mfd, 0, SEEK_END);
  if (r == 0 && size <= 0) r = -EIO;
  enum { STUB = 6 };
  size_t n = r < 0 ? 0 : (size_t)size / sizeof(struct sock_filter);
  struct sock_filter *code = r < 0 ? NULL : calloc(n + STUB, sizeof *code);
  if (r == 0 && !code) r = -ENOMEM;
  if (r == 0 && pread(mfd, code + STUB, (size_t)size, 0) != size) r = -EIO;
  close(mfd);
  if (r < 0) {
    free(code);
    return r;
  }
  struct sock_filter stub[STUB] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* __X32_SYSCALL_BIT */, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)above, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  };
  memcpy(code, stub, sizeof stub);
  struct sock_fprog prog = {.len = (unsigned short)(n + STUB), .filter = code};
  unsigned int kflags = (unsigned int)flags | (notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, kflags, &prog);
  int err = errno;
  free(code);
  if (fd < 0) return err == EINVAL ? -ECANCELED : -err;
  if (notify) *notify_fd = (int)fd;
  return 0;
}

static int load(struct ctx *c, scmp_filter_ctx filter, int notify) {
  int stub_fd = -1;
  int r = stub_above >= 0 && seccomp_arch_native() == SCMP_ARCH_X86_64
              ? load_with_stub(filter, stub_above, filter_flags, notify, &stub_fd)
              : seccomp_load(filter);
  /* libseccomp says ECANCELED for any refusal by the kernel; with rules it could build,
   * that is in practice a program past the kernel's 4096 BPF instructions */
  if (r == -ECANCELED || r == -EINVAL)
    return explain(c, r, "seccomp: the kernel refused the filter: a filter may have at most 4096 "
                         "BPF instructions (too many rules or conditions?)");
  if (r < 0) return fail(c, r, "seccomp: load the filter");
  if (!notify) return 0;
  int fd = stub_fd >= 0 ? stub_fd : seccomp_notify_fd(filter);
  if (fd < 0) return fail(c, fd, "seccomp: notify fd");
  r = sync_send_fd(c->sync_fd, MSG_SECCOMP, 0, "seccompFd", 9, fd);
  close(fd);
  return r < 0 ? fail(c, r, "seccomp: send the notify fd to tsrunc") : 0;
}

/* Loads the filter op_seccomp built (no notify: those load at once). */
int op_seccomp_load(struct ctx *c) {
  if (!c->seccomp) return explain(c, -EINVAL, "seccomp: no filter was built");
  int r = load(c, c->seccomp, 0);
  seccomp_release(c->seccomp);
  c->seccomp = NULL;
  return r;
}

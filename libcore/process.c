/* The process: limits, scheduling, credentials, capabilities, and the final execve. */
#include <grp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "executor.h"
#include "syscalls.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static rlim_t rlim(int64_t v) { return v < 0 ? RLIM_INFINITY : (rlim_t)v; }

int op_rlimit(struct ctx *c, const struct op *op) {
  struct rlimit l = {rlim(op->ints[1]), rlim(op->ints[2])};
  if (setrlimit((int)op->ints[0], &l) < 0)
    return fail(c, -errno, "setrlimit resource %d to %lld/%lld", (int)op->ints[0],
                (long long)op->ints[1], (long long)op->ints[2]);
  return 0;
}

/* ints: policy, nice, priority, flags, runtime, deadline, period */
int op_scheduler(struct ctx *c, const struct op *op) {
  struct tsr_sched_attr a = {
      .size = sizeof a,
      .sched_policy = (uint32_t)op->ints[0],
      .sched_nice = (int32_t)op->ints[1],
      .sched_priority = (uint32_t)op->ints[2],
      .sched_flags = (uint64_t)op->ints[3],
      .sched_runtime = (uint64_t)op->ints[4],
      .sched_deadline = (uint64_t)op->ints[5],
      .sched_period = (uint64_t)op->ints[6],
  };
  if (sys_sched_setattr(&a) < 0) return fail(c, -errno, "sched_setattr policy %u", a.sched_policy);
  return 0;
}

int op_cpu_affinity(struct ctx *c, const struct op *op) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < op->nints; i++) CPU_SET((int)op->ints[i], &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0) return fail(c, -errno, "sched_setaffinity");
  return 0;
}

/* ints: uid, gid, setGroups, groups... */
int op_set_user(struct ctx *c, const struct op *op) {
  uid_t uid = (uid_t)op->ints[0];
  gid_t gid = (gid_t)op->ints[1];
  if (op->ints[2]) {
    int n = op->nints - 3;
    gid_t *groups = calloc((size_t)n + 1, sizeof *groups);
    if (!groups) return -ENOMEM;
    for (int i = 0; i < n; i++) groups[i] = (gid_t)op->ints[3 + i];
    int r = setgroups((size_t)n, groups);
    free(groups);
    if (r < 0) return fail(c, -errno, "setgroups");
  }
  /* Keep the permitted set across the uid change; capSet then sets what stays. */
  if (prctl(PR_SET_KEEPCAPS, 1) < 0) return fail(c, -errno, "prctl(PR_SET_KEEPCAPS)");
  if (setresgid(gid, gid, gid) < 0) return fail(c, -errno, "setresgid(%u)", gid);
  if (setresuid(uid, uid, uid) < 0) return fail(c, -errno, "setresuid(%u)", uid);
  return 0;
}

int op_cap_bounding(struct ctx *c, const struct op *op) {
  uint64_t keep = (uint64_t)op->ints[0];
  for (int cap = 0; cap < 64; cap++) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability */
      return fail(c, -errno, "drop capability %d from the bounding set", cap);
    }
  }
  return 0;
}

/* ints: effective, permitted, inheritable, ambient (64-bit masks) */
int op_cap_set(struct ctx *c, const struct op *op) {
  uint64_t eff = (uint64_t)op->ints[0], prm = (uint64_t)op->ints[1];
  uint64_t inh = (uint64_t)op->ints[2], amb = (uint64_t)op->ints[3];
  struct tsr_cap_header h = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
  struct tsr_cap_data d[2] = {
      {(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
      {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)},
  };
  if (sys_capset(&h, d) < 0) return fail(c, -errno, "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return fail(c, -errno, "clear ambient capabilities");
  for (int cap = 0; cap < 64; cap++) {
    if (!(amb & (1ULL << cap))) continue;
    /* runc ignores ambient capabilities the kernel refuses (not in permitted+inheritable) */
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  prctl(PR_SET_KEEPCAPS, 0);
  return 0;
}

/* ints: nargs, nenv; strs: args..., env... */
int op_exec(struct ctx *c, const struct op *op) {
  int nargs = (int)op->ints[0], nenv = (int)op->ints[1];
  if (nargs < 1 || nenv < 0 || (uint32_t)nargs + (uint32_t)nenv > op->nstrs)
    return fail(c, -EPROTO, "exec: %d args and %d env entries in %u strings", nargs, nenv, op->nstrs);
  char **argv = calloc((size_t)nargs + 1, sizeof *argv);
  char **envp = calloc((size_t)nenv + 1, sizeof *envp);
  if (!argv || !envp) return -ENOMEM;
  for (int i = 0; i < nargs; i++) argv[i] = (char *)op->strs[i];
  for (int i = 0; i < nenv; i++) envp[i] = (char *)op->strs[nargs + i];
  execve(c->exec_path, argv, envp);
  return fail(c, -errno, "exec %s", c->exec_path);
}

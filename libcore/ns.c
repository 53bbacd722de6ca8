/* Namespaces: join by path, time offsets, the clone of the init, root in a user ns. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "executor.h"
#include "syscalls.h"

/* The spec's name of a namespace, for messages. */
static const char *ns_name(int64_t flag) {
  switch (flag) {
  case CLONE_NEWPID: return "pid";
  case CLONE_NEWNET: return "network";
  case CLONE_NEWNS: return "mount";
  case CLONE_NEWIPC: return "ipc";
  case CLONE_NEWUTS: return "uts";
  case CLONE_NEWUSER: return "user";
  case CLONE_NEWCGROUP: return "cgroup";
  case CLONE_NEWTIME: return "time";
  default: return "unknown";
  }
}

/* ints: CLONE_NEW* flag; strs: path */
int op_join_ns(struct ctx *c, const struct op *op) {
  const char *name = ns_name(op->ints[0]);
  int fd = open(op->strs[0], O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(c, -errno, "open %s namespace %s", name, op->strs[0]);
  int r = setns(fd, (int)op->ints[0]);
  int err = errno;
  close(fd);
  if (r < 0) return fail(c, -err, "join %s namespace %s", name, op->strs[0]);
  return 0;
}

int op_time_offsets(struct ctx *c, const struct op *op) {
  /* A new time namespace applies to children only, and its offsets can be written
   * only until a process has entered it: so unshare here, write, then clone. */
  if (unshare(CLONE_NEWTIME) < 0) return fail(c, -errno, "unshare time namespace");
  int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(c, -errno, "open /proc/self/timens_offsets");
  char buf[256];
  int n = snprintf(buf, sizeof buf, "monotonic %lld %lld\nboottime %lld %lld\n",
                   (long long)op->ints[0], (long long)op->ints[1], (long long)op->ints[2],
                   (long long)op->ints[3]);
  ssize_t w = write(fd, buf, (size_t)n);
  int err = errno;
  close(fd);
  if (w != n) return fail(c, -err, "write time namespace offsets");
  return 0;
}

int op_clone(struct ctx *c, const struct op *op, int *is_child) {
  /* The init must not speak on the sync socket before the executor has reported its
   * pid there: it waits for EOF on this pipe, which the executor's exit closes. */
  int order[2];
  if (pipe2(order, O_CLOEXEC) < 0) return fail(c, -errno, "pipe");
  struct tsr_clone_args args = {
      /* exit_signal must be 0: with CLONE_PARENT it is inherited (SIGCHLD from spawn). */
      .flags = (uint64_t)op->ints[0] | CLONE_PARENT,
  };
  long pid = sys_clone3(&args);
  if (pid < 0) {
    close(order[0]);
    close(order[1]);
    return fail(c, -errno, "clone the container process");
  }
  *is_child = pid == 0;
  if (pid > 0) {
    close(order[0]);
    c->order_fd = order[1];
    return (int)pid;
  }
  /* Until created, the init must not outlive the tsrunc that is setting it up. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, "tsrunc:init");
  close(order[1]);
  char b;
  while (read(order[0], &b, 1) < 0 && errno == EINTR) {}
  close(order[0]);
  return 0;
}

int op_become_root(struct ctx *c) {
  if (setresgid(0, 0, 0) < 0) return fail(c, -errno, "setresgid(0) in the user namespace");
  if (setresuid(0, 0, 0) < 0) return fail(c, -errno, "setresuid(0) in the user namespace");
  return 0;
}

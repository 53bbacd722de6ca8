/* Shared state of the executor while it walks the plan, and the op handlers by concern. */
#ifndef TSRUNC_EXECUTOR_H
#define TSRUNC_EXECUTOR_H
#include <limits.h>
#include <stddef.h>

#include "plan.h"

struct ctx {
  int sync_fd;        /* -1 once closed */
  int root_fd;        /* O_PATH fd of the rootfs (of "/" after pivot_root) */
  int fifo_fd;        /* O_PATH fd of the exec fifo */
  int copy_up_fd;     /* lower directory saved by copyUp for the next mount */
  int order_fd;       /* executor side of the pipe that orders pid report and init */
  const char *root_path;
  char *state_json[2]; /* state as "creating" and as "created", given to hooks on stdin */
  void *seccomp;       /* a filter built by op_seccomp, loaded by op_seccomp_load */
  int *mount_fds;      /* bind sources the executor opened for the init (CloneOp) */
  int n_mount_fds;
  char exec_path[PATH_MAX];
  char detail[1024];  /* what failed, for the error message */
  int explained;      /* detail already says why: no errno text after it */
};

/* Sets ctx->detail (printf-style) and returns err, so handlers can `return fail(...)`. */
int fail(struct ctx *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like fail(), for messages that are complete without the errno's text. */
int explain(struct ctx *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ns.c */
int op_join_ns(struct ctx *c, const struct op *op);
int op_time_offsets(struct ctx *c, const struct op *op);
int op_clone(struct ctx *c, const struct op *op, int *is_child);
int op_become_root(struct ctx *c);
int op_enter_container(struct ctx *c, const struct op *op);
int op_open_pty(struct ctx *c, const struct op *op);

/* fs.c: paths inside the rootfs */
int open_in_root(struct ctx *c, const char *path, int flags);
int op_open_root(struct ctx *c, const struct op *op);
int op_mount(struct ctx *c, const struct op *op);
int op_remount(struct ctx *c, const struct op *op);
int op_mount_setattr(struct ctx *c, const struct op *op);
int op_copy_up(struct ctx *c, const struct op *op);
int op_mkdir(struct ctx *c, const struct op *op);
int op_mknod(struct ctx *c, const struct op *op);
int op_symlink(struct ctx *c, const struct op *op);
int op_pivot_root(struct ctx *c);
int op_chroot(struct ctx *c, const struct op *op);
int op_detach_mount(struct ctx *c, const struct op *op);
int op_mask(struct ctx *c, const struct op *op);
int op_readonly_path(struct ctx *c, const struct op *op);
int op_readonly_root(struct ctx *c);
int op_write_file(struct ctx *c, const struct op *op);
int op_propagation(struct ctx *c, const struct op *op);

/* process.c */
int op_rlimit(struct ctx *c, const struct op *op);
int op_scheduler(struct ctx *c, const struct op *op);
int op_cpu_affinity(struct ctx *c, const struct op *op);
int op_set_user(struct ctx *c, const struct op *op);
int op_cap_bounding(struct ctx *c, const struct op *op);
int op_cap_set(struct ctx *c, const struct op *op);
int op_exec(struct ctx *c, const struct op *op);

/* resolve.c */
int op_resolve_exec(struct ctx *c, const struct op *op);

/* seccomp.c */
int op_seccomp(struct ctx *c, const struct op *op);
int op_seccomp_load(struct ctx *c);

/* hooks.c */
int op_hook(struct ctx *c, const struct op *op);

#endif

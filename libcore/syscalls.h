/* Raw syscalls glibc 2.36 does not wrap, in one place (crun's syscalls.h idea). */
#ifndef TSRUNC_SYSCALLS_H
#define TSRUNC_SYSCALLS_H


#include <errno.h>
#include <linux/openat2.h>
#include <linux/mount.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct tsr_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static inline long sys_clone3(struct tsr_clone_args *args) {
  return syscall(SYS_clone3, args, sizeof *args);
}
static inline int sys_openat2(int dirfd, const char *path, struct open_how *how) {
  return (int)syscall(SYS_openat2, dirfd, path, how, sizeof *how);
}
static inline int sys_pivot_root(const char *new_root, const char *put_old) {
  return (int)syscall(SYS_pivot_root, new_root, put_old);
}
static inline int sys_mount_setattr(int dirfd, const char *path, unsigned flags,
                                    struct mount_attr *attr) {
  return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, sizeof *attr);
}
static inline int sys_close_range(unsigned first, unsigned last, unsigned flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}
static inline int sys_pidfd_open(pid_t pid, unsigned flags) {
  return (int)syscall(SYS_pidfd_open, pid, flags);
}
static inline int sys_pidfd_send_signal(int pidfd, int sig) {
  return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}
static inline long sys_keyctl_join(const char *name) {
  return syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name, 0, 0, 0);
}
static inline int sys_ioprio_set(int value) {
  return (int)syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, value);
}

struct tsr_sched_attr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};
static inline int sys_sched_setattr(struct tsr_sched_attr *attr) {
  return (int)syscall(SYS_sched_setattr, 0, attr, 0);
}

struct tsr_cap_header { uint32_t version; int pid; };
struct tsr_cap_data { uint32_t effective, permitted, inheritable; };
static inline int sys_capset(struct tsr_cap_header *h, struct tsr_cap_data *d) {
  return (int)syscall(SYS_capset, h, d);
}

/* -errno of the last failed call, for the "return 0 or -errno" convention. */
#define NEG_ERRNO (errno ? -errno : -EIO)

#endif

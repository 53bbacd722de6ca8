/* The executor: reads a plan and performs its ops in order. It makes no decisions.
 *
 *   executor SYNC_FD PLAN_FD
 *
 * It is started by libcore's spawn from a sealed memfd copy, with exactly the fds
 * tsrunc mapped. Ops up to `clone` run here; the clone (the container's init) runs the
 * rest. A failing op is reported on the sync socket as (op index, errno, detail). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "executor.h"
#include "sync.h"
#include "syscalls.h"

/* The failing op's detail: `explained` when it is a whole sentence, else tsrunc adds the
 * errno's words. Returns the -errno to pass up (-EIO when err is none). */
static int set_detail(struct ctx *c, int err, int explained, const char *fmt, va_list ap) {
  vsnprintf(c->detail, sizeof c->detail, fmt, ap);
  c->explained = explained;
  return err < 0 ? err : -EIO;
}

int fail(struct ctx *c, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int result = set_detail(c, err, 0, fmt, ap);
  va_end(ap);
  return result;
}

int explain(struct ctx *c, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int result = set_detail(c, err, 1, fmt, ap);
  va_end(ap);
  return result;
}

static int read_whole(int fd, uint8_t **out, size_t *len);

static int op_sync(struct ctx *c, const struct op *op) {
  int r = sync_send(c->sync_fd, MSG_PHASE, (int32_t)op->ints[0], 0, NULL, 0);
  if (r < 0) return fail(c, r, "report phase %d", (int)op->ints[0]);
  if (!op->ints[1]) return 0;
  char buf[64];
  struct msg_header h;
  int states = -1;
  r = sync_recv(c->sync_fd, &h, buf, sizeof buf, -1, &states);
  if (r < 0 || h.type != MSG_GO) _exit(1); /* tsrunc gave up: it cleans up */
  if (states < 0) return 0;
  /* The hooks' states come in a memfd, whatever their size (a 50 MB annotation would not
   * fit in one message): "creating" state, NUL, "created" state. */
  uint8_t *text = NULL;
  size_t len = 0;
  r = read_whole(states, &text, &len);
  close(states);
  if (r < 0) return fail(c, r, "read the container state for hooks");
  text[len] = 0;
  size_t first = strlen((char *)text);
  for (int i = 0; i < 2; i++) free(c->state_json[i]);
  c->state_json[0] = strndup((char *)text, first);
  c->state_json[1] = strdup(len > first + 1 ? (char *)text + first + 1 : (char *)text);
  free(text);
  return 0;
}

/* ints: permission bits to add; strs: name */
static int op_keyring(struct ctx *c, const struct op *op) {
  long id = sys_keyctl_join(op->strs[0]);
  if (id < 0) return fail(c, -errno, "join session keyring %s", op->strs[0]);
  char desc[512];
  long n = syscall(SYS_keyctl, 6 /* KEYCTL_DESCRIBE */, id, desc, sizeof desc - 1, 0);
  if (n < 0) return fail(c, -errno, "describe session keyring %s", op->strs[0]);
  desc[n < (long)sizeof desc ? n : (long)sizeof desc - 1] = 0;
  /* "type;uid;gid;perm;description" */
  char *field = desc;
  for (int i = 0; i < 3 && field; i++) field = strchr(field, ';') ? strchr(field, ';') + 1 : NULL;
  if (!field) return fail(c, -EPROTO, "describe session keyring %s", op->strs[0]);
  unsigned long perm = strtoul(field, NULL, 16) | (unsigned long)op->ints[0];
  if (syscall(SYS_keyctl, 5 /* KEYCTL_SETPERM */, id, perm, 0, 0) < 0)
    return fail(c, -errno, "set permissions of session keyring %s", op->strs[0]);
  return 0;
}

static int op_wait_start(struct ctx *c) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", c->fifo_fd);
  /* `create` returns now and its tsrunc exits: that must no longer kill us. */
  prctl(PR_SET_PDEATHSIG, 0);
  /* Blocks until `tsrunc start` opens the fifo for reading. The write end stays open
   * (close-on-exec): `start` sees EOF once execve has happened, and only then runs the
   * poststart hooks, as runtime-spec asks. */
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(c, -errno, "open exec fifo");
  ssize_t n = write(fd, "0", 1);
  int err = errno;
  close(c->fifo_fd);
  c->fifo_fd = -1;
  if (n != 1) return fail(c, -err, "write exec fifo");
  return 0;
}

static int run_op(struct ctx *c, const struct op *op, int *is_child) {
  const char *s0 = op->nstrs > 0 ? op->strs[0] : "";
  switch (op->code) {
  case OP_JOIN_NS: return op_join_ns(c, op);
  case OP_TIME_OFFSETS: return op_time_offsets(c, op);
  case OP_OPEN_FIFO:
    c->fifo_fd = open(s0, O_PATH | O_CLOEXEC);
    return c->fifo_fd < 0 ? fail(c, -errno, "open exec fifo %s", s0) : 0;
  case OP_CLONE: return op_clone(c, op, is_child);
  case OP_SYNC: return op_sync(c, op);
  case OP_BECOME_ROOT: return op_become_root(c);
  case OP_SETSID: return setsid() < 0 ? fail(c, -errno, "setsid") : 0;
  case OP_HOSTNAME:
    return sethostname(s0, strlen(s0)) < 0 ? fail(c, -errno, "set hostname %s", s0) : 0;
  case OP_DOMAINNAME:
    return setdomainname(s0, strlen(s0)) < 0 ? fail(c, -errno, "set domainname %s", s0) : 0;
  case OP_KEYRING: return op_keyring(c, op);
  case OP_PROPAGATION: return op_propagation(c, op);
  case OP_OPEN_ROOT: return op_open_root(c, op);
  case OP_MOUNT: return op_mount(c, op);
  case OP_REMOUNT: return op_remount(c, op);
  case OP_MOUNT_SETATTR: return op_mount_setattr(c, op);
  case OP_COPY_UP: return op_copy_up(c, op);
  case OP_MKDIR: return op_mkdir(c, op);
  case OP_MKNOD: return op_mknod(c, op);
  case OP_SYMLINK: return op_symlink(c, op);
  case OP_HOOK: return op_hook(c, op);
  case OP_PIVOT_ROOT: return op_pivot_root(c);
  case OP_CHROOT: return op_chroot(c, op);
  case OP_DETACH_MOUNT: return op_detach_mount(c, op);
  case OP_MASK: return op_mask(c, op);
  case OP_READONLY_PATH: return op_readonly_path(c, op);
  case OP_READONLY_ROOT: return op_readonly_root(c);
  case OP_WRITE_FILE: return op_write_file(c, op);
  case OP_RLIMIT: return op_rlimit(c, op);
  case OP_PERSONALITY:
    return personality((unsigned long)op->ints[0]) < 0 ? fail(c, -errno, "personality") : 0;
  case OP_SCHEDULER: return op_scheduler(c, op);
  case OP_IO_PRIORITY:
    return sys_ioprio_set((int)op->ints[0]) < 0 ? fail(c, -errno, "ioprio_set") : 0;
  case OP_CPU_AFFINITY: return op_cpu_affinity(c, op);
  case OP_CLOSE_SYNC:
    close(c->sync_fd);
    c->sync_fd = -1;
    return 0;
  case OP_WAIT_START: return op_wait_start(c);
  case OP_RESOLVE_EXEC: return op_resolve_exec(c, op);
  case OP_CHDIR:
    return chdir(s0) < 0 ? fail(c, -errno, "cwd %s", s0) : 0;
  case OP_UMASK: umask((mode_t)op->ints[0]); return 0;
  case OP_CAP_BOUNDING: return op_cap_bounding(c, op);
  case OP_SET_USER: return op_set_user(c, op);
  case OP_CAP_SET: return op_cap_set(c, op);
  case OP_NO_NEW_PRIVS:
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? fail(c, -errno, "no_new_privs") : 0;
  case OP_CLOSE_FDS:
    return sys_close_range((unsigned)op->ints[0], ~0U, CLOSE_RANGE_CLOEXEC) < 0
               ? fail(c, -errno, "close_range")
               : 0;
  case OP_EXEC: return op_exec(c, op);
  case OP_ENTER_CONTAINER: return op_enter_container(c, op);
  case OP_OPEN_PTY: return op_open_pty(c, op);
  case OP_SECCOMP: return op_seccomp(c, op);
  case OP_SECCOMP_LOAD: return op_seccomp_load(c);
  case OP_JOIN_CGROUP: {
    /* "0": the writing process itself */
    ssize_t n = write((int)op->ints[0], "0", 1);
    int err = errno;
    close((int)op->ints[0]);
    return n == 1 ? 0 : fail(c, -err, "join the memory cgroup");
  }
  case OP_UNSHARE:
    return unshare((int)op->ints[0]) < 0 ? fail(c, -errno, "unshare namespaces 0x%x", (int)op->ints[0]) : 0;
  case OP_DUMPABLE:
    return prctl(PR_SET_DUMPABLE, (unsigned long)op->ints[0], 0, 0, 0) < 0
               ? fail(c, -errno, "set dumpable to %d", (int)op->ints[0])
               : 0;
  case OP_KEEP_AFTER_PARENT:
    /* An `exec -d` process outlives the tsrunc that started it. */
    return prctl(PR_SET_PDEATHSIG, 0) < 0 ? fail(c, -errno, "clear the parent-death signal") : 0;
  default: return fail(c, -ENOSYS, "unknown op code %u", op->code);
  }
}

/* The whole of a memfd (the plan, the hooks' states), NUL-terminated past *len. */
static int read_whole(int fd, uint8_t **out, size_t *len) {
  struct stat st;
  if (fstat(fd, &st) < 0) return -errno;
  uint8_t *buf = malloc((size_t)st.st_size + 1);
  if (!buf) return -ENOMEM;
  size_t at = 0;
  while (at < (size_t)st.st_size) {
    ssize_t n = pread(fd, buf + at, (size_t)st.st_size - at, (off_t)at);
    if (n <= 0) return n < 0 ? -errno : -EIO;
    at += (size_t)n;
  }
  *out = buf;
  *len = at;
  return 0;
}

static void report(struct ctx *c, uint32_t index, int err) {
  int32_t b = -err | (c->explained ? MSG_ERROR_EXPLAINED : 0);
  if (c->sync_fd < 0 ||
      sync_send(c->sync_fd, MSG_ERROR, (int32_t)index, b, c->detail, (int32_t)strlen(c->detail)) < 0) {
    /* Nobody listens on the socket after `create` returned (or a seccomp filter forbids
     * sendmsg): tell the container's stderr, with one plain write. */
    char line[sizeof c->detail + 128];
    int n = c->explained ? snprintf(line, sizeof line, "tsrunc: %s\n", c->detail)
                         : snprintf(line, sizeof line, "tsrunc: %s: %s\n", c->detail, strerror(-err));
    if (n > (int)sizeof line - 1) n = (int)sizeof line - 1;
    if (write(2, line, (size_t)n) < 0) {}
  }
}

int main(int argc, char **argv) {
  /* First of all: not dumpable until execve (which makes the program dumpable again), in
   * every role. No process of the container may ptrace the init or an exec helper, take
   * its descriptors (pidfd_getfd: the sync socket) or read its memory: they run with
   * rights, and without the seccomp filter, that the container's processes do not have
   * (the CVE-2016-9962 class). */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (argc < 3) {
    fprintf(stderr, "tsrunc-executor: started without a plan; it is run by tsrunc only\n");
    return 2;
  }
  struct ctx c = {.sync_fd = atoi(argv[1]), .root_fd = -1, .fifo_fd = -1, .copy_up_fd = -1};
  int plan_fd = atoi(argv[2]);
  /* The sync socket, the plan and what follows them (a cgroup.procs) are the executor's
   * own: no hook and no program may inherit them. */
  sys_close_range((unsigned)c.sync_fd, ~0U, CLOSE_RANGE_CLOEXEC);
  uint8_t *bytes = NULL;
  size_t len = 0;
  struct plan plan;
  int r = read_whole(plan_fd, &bytes, &len);
  close(plan_fd);
  if (r == 0) r = plan_decode(bytes, len, &plan);
  if (r < 0) {
    fail(&c, r, "decode the plan");
    report(&c, 0, r);
    return 1;
  }
  for (uint32_t i = 0; i < plan.count; i++) {
    int is_child = 1;
    r = run_op(&c, &plan.ops[i], &is_child);
    if (r < 0) {
      report(&c, i, r);
      _exit(c.sync_fd >= 0 ? 1 : (r == -ENOENT ? 127 : 126));
    }
    if (plan.ops[i].code == OP_CLONE && !is_child) {
      sync_send(c.sync_fd, MSG_PID, r, 0, NULL, 0);
      _exit(0);
    }
  }
  return 0;
}

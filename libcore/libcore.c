/* libcore.so: the syscalls the TypeScript side needs and Deno lacks. Thin: every
 * function returns 0 / a value on success and -errno on failure, and decides nothing.
 * ffi/libcore.ts holds the matching symbol table. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf_devices.h"
#include "hook_run.h"
#include "sync.h"
#include "syscalls.h"
#include "tty.h"


/* A sealed, close-on-exec memfd copy of the executable at path: what runs from it
 * cannot be rewritten through /proc/PID/exe (CVE-2019-5736). */
int tsr_sealed_copy(const char *path) {
  int in = open(path, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -errno;
  struct stat st;
  if (fstat(in, &st) < 0) {
    int e = errno;
    close(in);
    return -e;
  }
  int fd = memfd_create("tsrunc-executor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    int e = errno;
    close(in);
    return -e;
  }
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(fd, in, &off, (size_t)(st.st_size - off));
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(in);
      close(fd);
      return -e;
    }
  }
  close(in);
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

/* A memfd holding len bytes (the plan), for the executor to read. */
int tsr_memfd_bytes(const uint8_t *bytes, int64_t len) {
  int fd = memfd_create("tsrunc-plan", MFD_CLOEXEC);
  if (fd < 0) return -errno;
  int64_t at = 0;
  while (at < len) {
    ssize_t n = write(fd, bytes + at, (size_t)(len - at));
    if (n < 0) {
      int e = errno;
      close(fd);
      return -e;
    }
    at += n;
  }
  return fd;
}

/* Spawns the program in exe_fd (a sealed memfd) with argv "name arg1 arg2", fd map
 * pairs (target, source) and default signal handling; returns the pid. The child gets
 * exactly the mapped fds: everything above the highest target is closed (a descriptor
 * tsrunc's caller left open must never reach a container). */
int tsr_spawn(int exe_fd, const char *arg1, const char *arg2, const int32_t *fdmap, int32_t npairs) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t all, none;
  int tmp[64];
  if (npairs > 64) return -E2BIG;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  sigfillset(&all);
  sigemptyset(&none);
  /* Deno's signal handlers and masks must not reach the container. */
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  /* Move every source out of the way first, so targets and sources may overlap. */
  int r = 0;
  for (int i = 0; i < npairs; i++) {
    tmp[i] = fcntl(fdmap[2 * i + 1], F_DUPFD_CLOEXEC, 100);
    if (tmp[i] < 0) {
      r = -errno;
      npairs = i;
      goto out;
    }
    posix_spawn_file_actions_adddup2(&fa, tmp[i], fdmap[2 * i]);
  }
  int highest = 2;
  for (int i = 0; i < npairs; i++)
    if (fdmap[2 * i] > highest) highest = fdmap[2 * i];
  /* The executable goes just above the map (the executor marks it close-on-exec with
   * its other own fds), and everything above it is closed. */
  int exe_target = highest + 1;
  int exe_tmp = fcntl(exe_fd, F_DUPFD_CLOEXEC, 100);
  if (exe_tmp < 0) {
    r = -errno;
    goto out;
  }
  posix_spawn_file_actions_adddup2(&fa, exe_tmp, exe_target);
  posix_spawn_file_actions_addclosefrom_np(&fa, exe_target + 1);
  char exe[64];
  snprintf(exe, sizeof exe, "/proc/self/fd/%d", exe_target);
  char *argv[] = {"tsrunc-executor", (char *)arg1, (char *)arg2, NULL};
  /* No environment: the plan carries everything the executor needs, and a created
   * container's waiting init must not show tsrunc's variables in /proc/PID/environ. */
  char *envp[] = {NULL};
  pid_t pid;
  r = posix_spawn(&pid, exe, &fa, &attr, argv, envp);
  r = r ? -r : pid;
  close(exe_tmp);
out:
  for (int i = 0; i < npairs; i++) close(tmp[i]);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return r;
}

/* A SOCK_SEQPACKET pair for the sync protocol; fds in out[0], out[1]. */
int tsr_socketpair(int32_t *out) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) return -errno;
  out[0] = fds[0];
  out[1] = fds[1];
  return 0;
}

int tsr_close(int fd) { return close(fd) < 0 ? -errno : 0; }

/* One message; with pass_fd >= 0 that descriptor goes along (SCM_RIGHTS). */
int tsr_send(int fd, int32_t type, int32_t a, const uint8_t *payload, int32_t len, int pass_fd) {
  if (pass_fd >= 0) return sync_send_fd(fd, type, a, (const char *)payload, len, pass_fd);
  return sync_send(fd, type, a, 0, (const char *)payload, len);
}

/* Receives one message: header ints into out5 (type, a, b, len, passed fd or -1),
 * payload into buf. Returns the payload length, -ETIMEDOUT, or -EPIPE when the peer is
 * gone. */
int tsr_recv(int fd, int32_t *out5, uint8_t *buf, int32_t cap, int32_t timeout_ms) {
  struct msg_header h;
  int passed;
  int r = sync_recv(fd, &h, (char *)buf, cap, timeout_ms, &passed);
  if (r < 0) return r;
  out5[0] = h.type;
  out5[1] = h.a;
  out5[2] = h.b;
  out5[3] = r;
  out5[4] = passed;
  return r;
}

int tsr_mkfifo(const char *path, int32_t mode) { return mkfifo(path, (mode_t)mode) < 0 ? -errno : 0; }

/* Opens the exec fifo for reading and waits up to timeout_ms for the init's byte, then
 * for EOF: the init's end is close-on-exec, so EOF means it has exec'd the user's
 * program (or died). 0 on success, -ETIMEDOUT, -EPIPE when the init went away first. */
int tsr_fifo_handshake(const char *path, int32_t timeout_ms) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  do r = poll(&p, 1, timeout_ms); while (r < 0 && errno == EINTR);
  int result;
  if (r < 0) result = -errno;
  else if (r == 0) result = -ETIMEDOUT;
  else {
    char b;
    ssize_t n = read(fd, &b, 1);
    result = n == 1 ? 0 : -EPIPE;
  }
  /* startContainer hooks run before the exec and have their own time-outs. */
  while (result == 0) {
    do r = poll(&p, 1, -1); while (r < 0 && errno == EINTR);
    char b;
    ssize_t n = read(fd, &b, 1);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
  }
  close(fd);
  return result;
}

int tsr_pidfd_open(int32_t pid) {
  int fd = sys_pidfd_open(pid, 0);
  return fd < 0 ? -errno : fd;
}

int tsr_pidfd_signal(int32_t pidfd, int32_t sig) {
  return sys_pidfd_send_signal(pidfd, sig) < 0 ? -errno : 0;
}

int tsr_kill(int32_t pid, int32_t sig) { return kill(pid, sig) < 0 ? -errno : 0; }

/* Waits for a child to exit: its exit code, or 128+N when killed by signal N. */
int tsr_wait(int32_t pid) {
  int status;
  pid_t r;
  do r = waitpid(pid, &status, __WALL); while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

/* Waits until the process behind pidfd exits (it need not be our child): 0 or -errno. */
int tsr_pidfd_poll(int32_t pidfd, int32_t timeout_ms) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  int r;
  do r = poll(&p, 1, timeout_ms); while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  return r == 0 ? -ETIMEDOUT : 0;
}

/* A directory fd (a cgroup's, for tsr_bpf_devices). */
int tsr_open_dir(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

/* Opens an existing file for writing (close-on-exec), e.g. a cgroup.procs to hand on. */
int tsr_open_write(const char *path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

/* Detaches the mount on path (not following a last symlink) with all mounts below it. */
int tsr_detach_mount(const char *path) {
  return umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 ? -errno : 0;
}

/* Runs a hook for tsrunc (prestart, createRuntime, poststart, poststop): see hook_run();
 * argv[0] is the config's, which Deno's spawn cannot do. strs: path, args..., env...,
 * input. */
int tsr_run_hook(const char *strs, int32_t nargs, int32_t nenv, int32_t timeout_ms, uint8_t *out,
                 int32_t out_cap, int32_t *out_len) {
  const char *path = strs;
  const char *at = path + strlen(path) + 1;
  char **argv = calloc((size_t)nargs + 2, sizeof *argv);
  char **envp = calloc((size_t)nenv + 1, sizeof *envp);
  int r = -ENOMEM;
  if (argv && envp) {
    for (int i = 0; i < nargs; i++, at += strlen(at) + 1) argv[i] = (char *)at;
    if (nargs == 0) argv[0] = (char *)path;
    for (int i = 0; i < nenv; i++, at += strlen(at) + 1) envp[i] = (char *)at;
    ssize_t n;
    r = hook_run(path, argv, envp, at, timeout_ms, (char *)out, (size_t)out_cap, &n);
    *out_len = (int32_t)n;
  }
  free(argv);
  free(envp);
  return r;
}

/* The one FFI entry point. Deno compiles a trampoline for every symbol it binds
 * (~0.3 ms each, paid by every tsrunc command), so the functions above are reached
 * through this dispatcher: fn picks one, args[] carries integers in and out, b0/b1
 * are byte buffers. Keep the codes in step with ffi/libcore.ts. */
enum {
  FN_SEALED_COPY = 1, FN_MEMFD_BYTES, FN_SPAWN, FN_SOCKETPAIR, FN_CLOSE, FN_SEND, FN_RECV,
  FN_MKFIFO, FN_FIFO_HANDSHAKE, FN_PIDFD_OPEN, FN_PIDFD_SIGNAL, FN_KILL, FN_WAIT,
  FN_PIDFD_POLL, FN_SEND_FD_TO, FN_TERM_RAW, FN_TERM_RESTORE, FN_COPY_WINSIZE,
  FN_PTY_PROXY, FN_PIPE, FN_DGRAM_BIND, FN_DGRAM_RECV, FN_DGRAM_SEND,
  FN_BPF_DEVICES, FN_OPEN_DIR, FN_GET_WINSIZE, FN_OPEN_WRITE, FN_RUN_HOOK,
  FN_DETACH_MOUNT,
};

int tsr_call(int32_t fn, int64_t *a, uint8_t *b0, uint8_t *b1) {
  switch (fn) {
  case FN_SEALED_COPY: return tsr_sealed_copy((const char *)b0);
  case FN_MEMFD_BYTES: return tsr_memfd_bytes(b0, a[0]);
  case FN_SPAWN: {
    /* b0 holds "arg1\0arg2\0"; b1 the int32 (target, source) pairs */
    const char *arg1 = (const char *)b0;
    const char *arg2 = arg1 + strlen(arg1) + 1;
    return tsr_spawn((int)a[0], arg1, arg2, (const int32_t *)b1, (int32_t)a[1]);
  }
  case FN_SOCKETPAIR: {
    int32_t fds[2];
    int r = tsr_socketpair(fds);
    a[0] = fds[0];
    a[1] = fds[1];
    return r;
  }
  case FN_CLOSE: return tsr_close((int)a[0]);
  case FN_SEND:
    return tsr_send((int)a[0], (int32_t)a[1], (int32_t)a[2], b0, (int32_t)a[3], (int)a[4]);
  case FN_RECV: {
    int32_t h[5] = {0, 0, 0, 0, -1};
    int r = tsr_recv((int)a[0], h, b0, (int32_t)a[1], (int32_t)a[2]);
    for (int i = 0; i < 5; i++) a[i] = h[i];
    return r;
  }
  case FN_MKFIFO: return tsr_mkfifo((const char *)b0, (int32_t)a[0]);
  case FN_FIFO_HANDSHAKE: return tsr_fifo_handshake((const char *)b0, (int32_t)a[0]);
  case FN_PIDFD_OPEN: return tsr_pidfd_open((int32_t)a[0]);
  case FN_PIDFD_SIGNAL: return tsr_pidfd_signal((int32_t)a[0], (int32_t)a[1]);
  case FN_KILL: return tsr_kill((int32_t)a[0], (int32_t)a[1]);
  case FN_WAIT: return tsr_wait((int32_t)a[0]);
  case FN_PIDFD_POLL: return tsr_pidfd_poll((int32_t)a[0], (int32_t)a[1]);
  case FN_SEND_FD_TO: {
    /* b0 holds "path\0name\0" */
    const char *path = (const char *)b0;
    return tsr_send_fd_to(path, (int)a[0], path + strlen(path) + 1);
  }
  case FN_TERM_RAW: return tsr_term_raw((int)a[0], b0, (int32_t)a[1]);
  case FN_TERM_RESTORE: return tsr_term_restore((int)a[0], b0);
  case FN_COPY_WINSIZE: return tsr_copy_winsize((int)a[0], (int)a[1]);
  case FN_PTY_PROXY: return tsr_pty_proxy((int)a[0], (int)a[1], (int)a[2], (int)a[3]);
  case FN_PIPE: {
    int32_t fds[2];
    int r = tsr_pipe(fds);
    a[0] = fds[0];
    a[1] = fds[1];
    return r;
  }
  case FN_DGRAM_BIND: return tsr_dgram_bind((const char *)b0);
  case FN_DGRAM_RECV: return tsr_dgram_recv((int)a[0], b0, (int32_t)a[1], (int32_t)a[2]);
  case FN_DGRAM_SEND: return tsr_dgram_send((const char *)b0, b1, (int32_t)a[0]);
  case FN_BPF_DEVICES: return tsr_bpf_devices((int)a[0], (const struct tsr_dev_rule *)b0, (int32_t)a[1]);
  case FN_OPEN_DIR: return tsr_open_dir((const char *)b0);
  case FN_OPEN_WRITE: return tsr_open_write((const char *)b0);
  case FN_DETACH_MOUNT: return tsr_detach_mount((const char *)b0);
  case FN_RUN_HOOK: {
    int32_t len = 0;
    int r = tsr_run_hook((const char *)b0, (int32_t)a[0], (int32_t)a[1], (int32_t)a[2], b1,
                         (int32_t)a[3], &len);
    a[4] = len;
    return r;
  }
  case FN_GET_WINSIZE: {
    int32_t size[2];
    int r = tsr_get_winsize((int)a[0], size);
    a[0] = size[0];
    a[1] = size[1];
    return r;
  }
  default: return -ENOSYS;
  }
}

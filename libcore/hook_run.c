#include "hook_run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscalls.h"

int hook_run(const char *path, char *const argv[], char *const envp[], const char *input,
             int timeout_ms, char *out, size_t cap, ssize_t *out_len) {
  int state = -1, output = -1, pidfd = -1, r;
  *out_len = 0;
  /* The state on stdin from a memfd, not a pipe: it may be far larger than a pipe holds
   * (a 50 MB annotation), and a hook need not read it at all. */
  size_t len = strlen(input);
  if ((state = memfd_create("hook-state", MFD_CLOEXEC)) < 0 ||
      (output = memfd_create("hook-output", MFD_CLOEXEC)) < 0) {
    r = -errno;
    goto out;
  }
  for (size_t at = 0; at < len;) {
    ssize_t n = write(state, input + at, len - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      r = n < 0 ? -errno : -EIO;
      goto out;
    }
    at += (size_t)n;
  }
  lseek(state, 0, SEEK_SET);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, state, 0);
  posix_spawn_file_actions_adddup2(&fa, output, 1);
  posix_spawn_file_actions_adddup2(&fa, output, 2);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid;
  r = posix_spawn(&pid, path, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (r != 0) {
    r = -r;
    goto out;
  }
  pidfd = sys_pidfd_open(pid, 0);
  if (pidfd >= 0) {
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int ready;
    do ready = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1); while (ready < 0 && errno == EINTR);
    if (ready == 0) {
      kill(pid, SIGKILL);
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
      r = -ETIMEDOUT;
      goto out;
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  ssize_t n = pread(output, out, cap, 0);
  *out_len = n > 0 ? n : 0;
  r = status;
out:
  if (state >= 0) close(state);
  if (output >= 0) close(output);
  if (pidfd >= 0) close(pidfd);
  return r;
}

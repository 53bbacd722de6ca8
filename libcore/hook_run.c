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
  int in[2] = {-1, -1}, output = -1, pidfd = -1, r;
  *out_len = 0;
  if (pipe2(in, O_CLOEXEC) < 0 || (output = memfd_create("hook-output", MFD_CLOEXEC)) < 0) {
    r = -errno;
    goto out;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
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
  close(in[0]);
  in[0] = -1;
  /* The state is far below a pipe's capacity; a hook need not read it. */
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  if (write(in[1], input, strlen(input)) < 0) {}
  close(in[1]);
  in[1] = -1;
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
  if (in[0] >= 0) close(in[0]);
  if (in[1] >= 0) close(in[1]);
  if (output >= 0) close(output);
  if (pidfd >= 0) close(pidfd);
  return r;
}

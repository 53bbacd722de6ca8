/* Hooks run by the executor inside the container's namespaces (createContainer,
 * startContainer): the state JSON on stdin, a time-out, output kept for the error. */
#include <fcntl.h>
#include <stdio.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "executor.h"
#include "syscalls.h"

/* ints: timeout, nargs, nenv, state (0 creating, 1 created); strs: path, args..., env... */
int op_hook(struct ctx *c, const struct op *op) {
  int timeout = (int)op->ints[0], nargs = (int)op->ints[1], nenv = (int)op->ints[2];
  const char *path = op->strs[0];
  char **argv = calloc((size_t)nargs + 2, sizeof *argv);
  char **envp = calloc((size_t)nenv + 1, sizeof *envp);
  if (!argv || !envp) return -ENOMEM;
  for (int i = 0; i < nargs; i++) argv[i] = (char *)op->strs[1 + i];
  if (nargs == 0) argv[0] = (char *)path;
  for (int i = 0; i < nenv; i++) envp[i] = (char *)op->strs[1 + nargs + i];

  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0) return explain(c, -errno, "hook %s: pipe", path);
  int out = memfd_create("hook-output", MFD_CLOEXEC);
  if (out < 0) return explain(c, -errno, "hook %s: memfd", path);
  pid_t pid = fork();
  if (pid < 0) return explain(c, -errno, "hook %s: fork", path);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out, 1);
    dup2(out, 2);
    execve(path, argv, envp);
    dprintf(2, "exec %s: %s", path, strerror(errno));
    _exit(127);
  }
  close(in[0]);
  const char *state = c->state_json[op->ints[3] ? 1 : 0];
  if (!state) state = "";
  size_t len = strlen(state);
  /* The state is far below the pipe's capacity; a hook that does not read is fine. */
  if (write(in[1], state, len) < 0) {}
  close(in[1]);

  int pidfd = sys_pidfd_open(pid, 0);
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  int ready = pidfd < 0 ? 1 : poll(&p, 1, timeout > 0 ? timeout * 1000 : -1);
  if (ready == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(pidfd);
    close(out);
    return explain(c, -ETIMEDOUT, "hook %s did not finish within %d s", path, timeout);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (pidfd >= 0) close(pidfd);
  char text[512] = "";
  ssize_t n = pread(out, text, sizeof text - 1, 0);
  close(out);
  if (n > 0) {
    text[n] = 0;
    for (char *s = text; *s; s++)
      if (*s == '\n') *s = ' ';
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFSIGNALED(status))
    return explain(c, -ECHILD, "hook %s killed by signal %d%s%s", path, WTERMSIG(status),
                n > 0 ? ": " : "", n > 0 ? text : "");
  return explain(c, -ECHILD, "hook %s exited with status %d%s%s", path, WEXITSTATUS(status),
              n > 0 ? ": " : "", n > 0 ? text : "");
}

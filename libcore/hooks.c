/* Hooks run by the executor inside the container's namespaces (createContainer,
 * startContainer): the state JSON on stdin, a time-out, output kept for the error. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "executor.h"
#include "hook_run.h"

/* ints: timeout, nargs, nenv, state (0 creating, 1 created), run in the rootfs directory;
 * strs: path, args..., env... */
int op_hook(struct ctx *c, const struct op *op) {
  if (op->ints[4] && fchdir(c->root_fd) < 0) return fail(c, -errno, "chdir into the rootfs for hook %s", op->strs[0]);
  int timeout = (int)op->ints[0], nargs = (int)op->ints[1], nenv = (int)op->ints[2];
  if (nargs < 0 || nenv < 0 || 1 + (uint32_t)nargs + (uint32_t)nenv > op->nstrs)
    return fail(c, -EPROTO, "hook: %d args and %d env entries in %u strings", nargs, nenv, op->nstrs);
  const char *path = op->strs[0];
  char **argv = calloc((size_t)nargs + 2, sizeof *argv);
  char **envp = calloc((size_t)nenv + 1, sizeof *envp);
  if (!argv || !envp) return -ENOMEM;
  for (int i = 0; i < nargs; i++) argv[i] = (char *)op->strs[1 + i];
  if (nargs == 0) argv[0] = (char *)path;
  for (int i = 0; i < nenv; i++) envp[i] = (char *)op->strs[1 + nargs + i];

  const char *state = c->state_json[op->ints[3] ? 1 : 0];
  const char *kind = op->ints[3] ? "startContainer" : "createContainer";
  char text[512] = "";
  ssize_t n;
  int status = hook_run(path, argv, envp, state ? state : "", timeout * 1000, text,
                        sizeof text - 1, &n);
  free(argv);
  free(envp);
  if (status == -ETIMEDOUT)
    return explain(c, -ETIMEDOUT, "%s hook %s did not finish within %d s", kind, path, timeout);
  if (status < 0) return fail(c, status, "%s hook %s", kind, path);
  for (char *s = text; *s; s++)
    if (*s == '\n') *s = ' ';
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  if (WIFSIGNALED(status)) {
    /* e.g. SIGSYS from the container's seccomp filter, under which startContainer hooks
     * run: named in words, as runc's "bad system call" */
    char name[64];
    snprintf(name, sizeof name, "%s", strsignal(WTERMSIG(status)));
    name[0] = (char)tolower((unsigned char)name[0]);
    return explain(c, -ECHILD, "error running hook %s (%s): killed by signal %d (%s)%s%s", path, kind,
                   WTERMSIG(status), name, n > 0 ? ": " : "", n > 0 ? text : "");
  }
  return explain(c, -ECHILD, "error running hook %s (%s): exited with status %d%s%s", path, kind,
                 WEXITSTATUS(status), n > 0 ? ": " : "", n > 0 ? text : "");
}

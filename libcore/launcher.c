/* /usr/local/sbin/tsrunc: starts Deno on the installed bundle with fixed flags. A C
 * launcher costs well under a millisecond, a shell wrapper several. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LIBDIR
#define LIBDIR "/usr/local/lib/tsrunc"
#endif

static const char *const FIXED[] = {
    LIBDIR "/deno", "run", "--allow-all", "--no-config", "--no-prompt", "--quiet",
    "--no-lock", "--cached-only", LIBDIR "/tsrunc.js",
};

int main(int argc, char **argv) {
  size_t nfixed = sizeof FIXED / sizeof *FIXED;
  char **args = calloc(nfixed + (size_t)argc + 1, sizeof *args);
  if (!args) return 1;
  for (size_t i = 0; i < nfixed; i++) args[i] = (char *)FIXED[i];
  for (int i = 1; i < argc; i++) args[nfixed + (size_t)i - 1] = argv[i];
  setenv("DENO_NO_UPDATE_CHECK", "1", 1);
  /* How many descriptors from 3 up the caller really passed (for --preserve-fds and
   * LISTEN_FDS): beyond them Deno opens its own, which must not reach a container. */
  int passed = 0;
  while (passed < 4096 && fcntl(3 + passed, F_GETFD) >= 0) passed++;
  char count[16];
  snprintf(count, sizeof count, "%d", passed);
  setenv("TSRUNC_PASSED_FDS", count, 1);
  setenv("TSRUNC_LIBDIR", LIBDIR, 0);
  execv(args[0], args);
  fprintf(stderr, "tsrunc: cannot start %s: ", args[0]);
  perror(NULL);
  return 1;
}

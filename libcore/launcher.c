/* $PREFIX/sbin/tsrunc: starts Deno on the installed bundle with fixed flags. A C
 * launcher costs well under a millisecond, a shell wrapper several.
 *
 * The lib directory is found from the launcher's own location, <dir>/../lib/tsrunc
 * (readlink of /proc/self/exe, so symlinks to the launcher work too): an installed
 * tree can be moved or unpacked anywhere (make dist) without rebuilding. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Deno's permissions. scripts/compile.sh reads the lines between the markers for
 * `deno compile`, so both stay the same. It has to be --allow-all: Deno 2.9 refuses any
 * path under /proc or /sys ("Requires all access") unless every permission is granted,
 * and even -A with --deny-net counts as less than all. A runtime lives in /proc and
 * /sys, and FFI (libcore) is full native power anyway: the boundary is libcore and the
 * kernel, see SECURITY.md "Deno permissions". */
static const char *const FLAGS[] = {
    "run", "--no-config", "--no-prompt", "--quiet", "--no-lock", "--cached-only",
    /* permissions: begin */
    "--allow-all",
    /* permissions: end */
};

/* <dir of the launcher>/../lib/tsrunc into libdir; 0 on success. */
static int find_libdir(char *libdir, size_t size) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return -1;
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (!slash) return -1;
  *slash = '\0';
  int len = snprintf(libdir, size, "%s/../lib/tsrunc", self);
  return len > 0 && (size_t)len < size ? 0 : -1;
}

int main(int argc, char **argv) {
  if (getenv("TSRUNC_TIMING")) { /* phase timing (core/timing.ts) counts from here */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char t0[32];
    snprintf(t0, sizeof t0, "%lld", (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
    setenv("TSRUNC_T0", t0, 1);
  }
  char libdir[PATH_MAX], deno[PATH_MAX + 8], entry[PATH_MAX + 16];
  if (find_libdir(libdir, sizeof libdir) != 0) {
    fprintf(stderr, "tsrunc: cannot find the lib directory beside %s\n", argv[0]);
    return 1;
  }
  snprintf(deno, sizeof deno, "%s/deno", libdir);
  snprintf(entry, sizeof entry, "%s/tsrunc.js", libdir);

  size_t nflags = sizeof FLAGS / sizeof *FLAGS;
  char **args = calloc(nflags + (size_t)argc + 2, sizeof *args);
  if (!args) return 1;
  size_t at = 0;
  args[at++] = deno;
  for (size_t i = 0; i < nflags; i++) args[at++] = (char *)FLAGS[i];
  args[at++] = entry;
  for (int i = 1; i < argc; i++) args[at++] = argv[i];
  setenv("DENO_NO_UPDATE_CHECK", "1", 1);
  /* How many descriptors from 3 up the caller really passed (for --preserve-fds and
   * LISTEN_FDS): beyond them Deno opens its own, which must not reach a container. */
  int passed = 0;
  while (passed < 4096 && fcntl(3 + passed, F_GETFD) >= 0) passed++;
  char count[16];
  snprintf(count, sizeof count, "%d", passed);
  setenv("TSRUNC_PASSED_FDS", count, 1);
  setenv("TSRUNC_LIBDIR", libdir, 1);
  execv(deno, args);
  fprintf(stderr, "tsrunc: cannot start %s: ", deno);
  perror(NULL);
  return 1;
}

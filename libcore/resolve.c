/* Finds the program as execvp would, inside the container, before the container is
 * reported created, and says exactly why it cannot run: not in PATH (naming the PATH),
 * not a regular file, not executable, a #! interpreter or an ELF loader that is missing. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "executor.h"

/* Reads the ELF PT_INTERP of fd into out; 1 when found, 0 when none or unreadable. The
 * two ELF classes differ only in their header types: one body, instantiated per class. */
#define ELF_INTERP_OF_CLASS(BITS)                                                            \
  static int elf##BITS##_interp(int fd, char *out, size_t cap) {                             \
    Elf##BITS##_Ehdr eh;                                                                    \
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh) return 0;                       \
    for (int i = 0; i < eh.e_phnum; i++) {                                                  \
      Elf##BITS##_Phdr ph;                                                                  \
      off_t at = (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize);                        \
      if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph) return 0;                    \
      if (ph.p_type != PT_INTERP || ph.p_filesz >= cap) continue;                           \
      if (pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz) return 0; \
      out[ph.p_filesz] = 0;                                                                 \
      return 1;                                                                             \
    }                                                                                       \
    return 0;                                                                               \
  }
ELF_INTERP_OF_CLASS(32)
ELF_INTERP_OF_CLASS(64)

static int elf_interp(int fd, char *out, size_t cap) {
  unsigned char ident[EI_NIDENT];
  if (pread(fd, ident, sizeof ident, 0) != (ssize_t)sizeof ident) return 0;
  if (ident[EI_CLASS] == ELFCLASS64) return elf64_interp(fd, out, cap);
  if (ident[EI_CLASS] == ELFCLASS32) return elf32_interp(fd, out, cap);
  return 0;
}

/* Checks that path can be executed; the reason in c->detail when not. */
static int check_program(struct ctx *c, const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return explain(c, -errno, "program %s cannot be found: no such file or directory", path);
  if (S_ISDIR(st.st_mode)) return explain(c, -EISDIR, "program %s is a directory", path);
  if (!S_ISREG(st.st_mode)) return explain(c, -EACCES, "program %s is not a regular file", path);
  if (!(st.st_mode & 0111))
    return explain(c, -EACCES, "program %s is not executable (mode %04o): permission denied", path,
                (unsigned)(st.st_mode & 07777));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0; /* unreadable but executable: let execve decide */
  char head[256] = {0};
  ssize_t n = pread(fd, head, sizeof head - 1, 0);
  int r = 0;
  if (n > 2 && head[0] == '#' && head[1] == '!') {
    char *interp = head + 2;
    while (*interp == ' ' || *interp == '\t') interp++;
    interp[strcspn(interp, " \t\r\n")] = 0;
    struct stat ist;
    if (!*interp) r = explain(c, -ENOEXEC, "script %s has an empty #! line", path);
    else if (stat(interp, &ist) < 0)
      r = explain(c, -ENOENT, "interpreter %s of script %s cannot be found", interp, path);
    else if (!S_ISREG(ist.st_mode) || !(ist.st_mode & 0111))
      r = explain(c, -EACCES, "interpreter %s of script %s is not executable", interp, path);
  } else if (n > 4 && memcmp(head, ELFMAG, SELFMAG) == 0) {
    char loader[PATH_MAX];
    if (elf_interp(fd, loader, sizeof loader) == 1 && access(loader, F_OK) < 0)
      r = explain(c, -ENOENT, "dynamic loader %s of program %s cannot be found", loader, path);
  }
  close(fd);
  return r;
}

/* strs: program, PATH, cwd (for the message) */
int op_resolve_exec(struct ctx *c, const struct op *op) {
  const char *prog = op->strs[0], *search = op->strs[1];
  if (strchr(prog, '/')) {
    snprintf(c->exec_path, sizeof c->exec_path, "%s", prog);
    return check_program(c, prog);
  }
  /* execvp's rule: the first match that is an executable regular file wins; remember a
   * match that is not executable to name it if nothing better turns up. */
  char seen[PATH_MAX] = "";
  const char *dir = search;
  while (dir) {
    const char *end = strchr(dir, ':');
    size_t len = end ? (size_t)(end - dir) : strlen(dir);
    char candidate[PATH_MAX];
    snprintf(candidate, sizeof candidate, "%.*s%s%s", (int)len, len ? dir : ".",
             "/", prog);
    struct stat st;
    if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
      if (st.st_mode & 0111) {
        snprintf(c->exec_path, sizeof c->exec_path, "%s", candidate);
        return check_program(c, candidate);
      }
      if (!*seen) snprintf(seen, sizeof seen, "%s", candidate);
    }
    dir = end ? end + 1 : NULL;
  }
  if (*seen) return check_program(c, seen);
  return explain(c, -ENOENT, "program \"%s\" not found in PATH (%s): executable file not found in $PATH",
                 prog, *search ? search : "empty");
}

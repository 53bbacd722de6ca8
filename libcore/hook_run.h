/* Running one hook program: shared by libcore.so (prestart, createRuntime, poststart,
 * poststop, for tsrunc) and the executor (createContainer, startContainer). */
#ifndef TSRUNC_HOOK_RUN_H
#define TSRUNC_HOOK_RUN_H
#include <stddef.h>
#include <sys/types.h>

/* Runs path with argv (argv[0] as the config gives it) and envp: input on its stdin,
 * stdout and stderr into one buffer, no other descriptor, default signal handling; it is
 * killed after timeout_ms (0: no limit). Returns its wait status, -ETIMEDOUT, or -errno
 * (it could not be started). Up to cap bytes of its output go to out, *out_len says how
 * many. */
int hook_run(const char *path, char *const argv[], char *const envp[], const char *input,
             int timeout_ms, char *out, size_t cap, ssize_t *out_len);

#endif

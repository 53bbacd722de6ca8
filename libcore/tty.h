/* libcore.so's terminal and unix-socket functions (tty.c); each returns 0 / a value, or
 * -errno. */
#ifndef TSRUNC_TTY_H
#define TSRUNC_TTY_H
#include <stdint.h>

int tsr_send_fd_to(const char *path, int fd, const char *name);
int tsr_term_raw(int fd, uint8_t *saved, int32_t cap);
int tsr_term_restore(int fd, const uint8_t *saved);
int tsr_copy_winsize(int from, int to);
int tsr_get_winsize(int fd, int32_t *out);
int tsr_pty_proxy(int master, int input, int output, int stop_fd);
int tsr_pipe(int32_t *out);
int tsr_dgram_bind(const char *path);
int tsr_dgram_recv(int fd, uint8_t *buf, int32_t cap, int32_t timeout_ms);
int tsr_dgram_send(const char *path, const uint8_t *buf, int32_t len);

#endif

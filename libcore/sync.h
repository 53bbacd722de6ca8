/* Messages on the sync socket (SOCK_SEQPACKET) between tsrunc and the executor.
 * Keep in step with ffi/messages.ts. */
#ifndef TSRUNC_SYNC_H
#define TSRUNC_SYNC_H
#include <stdint.h>

enum {
  MSG_PID = 1,   /* a = pid of the container's init */
  MSG_PHASE = 2, /* a = phase code (plan.h) */
  MSG_ERROR = 3, /* a = op index, b = errno | MSG_ERROR_EXPLAINED?, payload = message */
  MSG_GO = 4,    /* from tsrunc: go on; payload = state JSON for hooks */
  MSG_CONSOLE = 5, /* carries the pty master (SCM_RIGHTS) */
  MSG_SECCOMP = 6, /* carries the seccomp notify fd (SCM_RIGHTS) */
};

/* Set in an error's b when the message needs no errno text after it. */
#define MSG_ERROR_EXPLAINED 0x10000

struct msg_header {
  int32_t type, a, b, len;
};

#define MSG_MAX (256 * 1024)

int sync_send(int fd, int32_t type, int32_t a, int32_t b, const char *payload, int32_t len);
/* The same, passing file descriptor pass_fd along (SCM_RIGHTS). */
int sync_send_fd(int fd, int32_t type, int32_t a, const char *payload, int32_t len, int pass_fd);
/* Receives one message into buf (NUL-terminated payload); returns payload length or -errno,
 * -EPIPE when the peer is gone. A descriptor passed along lands in *fd_out (close-on-exec;
 * -1 when none); fd_out may be NULL when none is expected (one that comes is closed). */
int sync_recv(int fd, struct msg_header *header, char *buf, int32_t cap, int timeout_ms,
              int *fd_out);

#endif

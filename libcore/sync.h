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
};

/* Set in an error's b when the message needs no errno text after it. */
#define MSG_ERROR_EXPLAINED 0x10000

struct msg_header {
  int32_t type, a, b, len;
};

#define MSG_MAX (256 * 1024)

int sync_send(int fd, int32_t type, int32_t a, int32_t b, const char *payload, int32_t len);
/* Receives one message into buf (NUL-terminated payload); returns payload length or -errno,
 * -EPIPE when the peer is gone. */
int sync_recv(int fd, struct msg_header *header, char *buf, int32_t cap, int timeout_ms);

#endif

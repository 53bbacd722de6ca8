#include "sync.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

int sync_send(int fd, int32_t type, int32_t a, int32_t b, const char *payload, int32_t len) {
  struct msg_header h = {type, a, b, len};
  struct iovec iov[2] = {{&h, sizeof h}, {(void *)payload, (size_t)len}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1};
  if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0) return -errno;
  return 0;
}

int sync_recv(int fd, struct msg_header *header, char *buf, int32_t cap, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  do r = poll(&p, 1, timeout_ms); while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  if (r == 0) return -ETIMEDOUT;
  struct iovec iov[2] = {{header, sizeof *header}, {buf, (size_t)cap - 1}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
  ssize_t n;
  do n = recvmsg(fd, &m, 0); while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  if (n == 0) return -EPIPE;
  if ((size_t)n < sizeof *header) return -EPROTO;
  int32_t len = (int32_t)(n - (ssize_t)sizeof *header);
  buf[len] = 0;
  return len;
}

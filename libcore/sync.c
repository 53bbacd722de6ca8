#include "sync.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int sync_send(int fd, int32_t type, int32_t a, int32_t b, const char *payload, int32_t len) {
  struct msg_header h = {type, a, b, len};
  struct iovec iov[2] = {{&h, sizeof h}, {(void *)payload, (size_t)len}};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1};
  if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0) return -errno;
  return 0;
}

int sync_send_fd(int fd, int32_t type, int32_t a, const char *payload, int32_t len, int pass_fd) {
  struct msg_header h = {type, a, 0, len};
  struct iovec iov[2] = {{&h, sizeof h}, {(void *)payload, (size_t)len}};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control = {0};
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = len > 0 ? 2 : 1,
                     .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
  if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0) return -errno;
  return 0;
}

int sync_recv(int fd, struct msg_header *header, char *buf, int32_t cap, int timeout_ms,
              int *fd_out) {
  if (fd_out) *fd_out = -1;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  do r = poll(&p, 1, timeout_ms); while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  if (r == 0) return -ETIMEDOUT;
  struct iovec iov[2] = {{header, sizeof *header}, {buf, (size_t)cap - 1}};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2,
                     .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  ssize_t n;
  do n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    int passed;
    memcpy(&passed, CMSG_DATA(cm), sizeof passed);
    if (fd_out && *fd_out < 0) *fd_out = passed;
    else close(passed);
  }
  if (n == 0) return -EPIPE;
  if ((size_t)n < sizeof *header) return -EPROTO;
  int32_t len = (int32_t)(n - (ssize_t)sizeof *header);
  buf[len] = 0;
  return len;
}

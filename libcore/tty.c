/* libcore.so, terminals and unix sockets: console sockets, raw mode, window sizes, the
 * copy loop between tsrunc's terminal and a container's pty, notify datagrams. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "tty.h"

/* The address of a unix socket path ("@name": abstract, as systemd writes them) and
 * its length, or -ENAMETOOLONG. */
static int unix_address(const char *path, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof addr->sun_path) return -ENAMETOOLONG;
  memcpy(addr->sun_path, path, len);
  if (path[0] == '@') addr->sun_path[0] = 0;
  return (int)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
}

/* Connects to the stream socket at path and sends fd with SCM_RIGHTS, the payload
 * naming it, as runc sends a console to its --console-socket. */
int tsr_send_fd_to(const char *path, int fd, const char *name) {
  struct sockaddr_un addr;
  int addrlen = unix_address(path, &addr);
  if (addrlen < 0) return addrlen;
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  int r;
  if (connect(s, (struct sockaddr *)&addr, (socklen_t)addrlen) < 0) {
    r = -errno;
    close(s);
    return r;
  }
  struct iovec iov = {(void *)name, strlen(name)};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control = {0};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
                     .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  r = sendmsg(s, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
  close(s);
  return r;
}

/* Puts the terminal on fd in raw mode; its previous settings go to saved (a struct
 * termios, for tsr_term_restore). */
int tsr_term_raw(int fd, uint8_t *saved, int32_t cap) {
  struct termios t;
  if ((size_t)cap < sizeof t) return -EINVAL;
  if (tcgetattr(fd, &t) < 0) return -errno;
  memcpy(saved, &t, sizeof t);
  /* Output processing stays on (as runc's console.SetRaw): the container's pty does no
   * NL→CRNL, this terminal does. */
  tcflag_t oflag = t.c_oflag;
  cfmakeraw(&t);
  t.c_oflag = oflag;
  return tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
}

int tsr_term_restore(int fd, const uint8_t *saved) {
  struct termios t;
  memcpy(&t, saved, sizeof t);
  return tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
}

/* The window size of the terminal on fd: rows, columns. */
int tsr_get_winsize(int fd, int32_t *out) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return -errno;
  out[0] = ws.ws_row;
  out[1] = ws.ws_col;
  return 0;
}

/* Gives the terminal on `to` the window size of the terminal on `from`. */
int tsr_copy_winsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) < 0) return -errno;
  if (ws.ws_row == 0 && ws.ws_col == 0) return 0;
  return ioctl(to, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

/* Writes all of buf to fd (which may be non-blocking): 0, or -errno. */
static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        poll(&p, 1, -1);
        continue;
      }
      return -errno;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Copies input → master and master → output until the pty's other side is closed by
 * everyone (read gives EIO) or stop_fd becomes readable (its writer closed it); on stop
 * it first drains what the master still holds. Runs on a worker thread. */
int tsr_pty_proxy(int master, int input, int output, int stop_fd) {
  char buf[16384];
  int input_open = input >= 0;
  for (;;) {
    struct pollfd p[3] = {
        {.fd = master, .events = POLLIN},
        {.fd = stop_fd, .events = POLLIN},
        {.fd = input_open ? input : -1, .events = POLLIN},
    };
    int r = poll(p, 3, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) {
        if (write_all(output, buf, (size_t)n) < 0) return 0;
        continue; /* drain output before looking at anything else */
      }
      if (n == 0 || (errno != EINTR && errno != EAGAIN)) return 0;
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(input, buf, sizeof buf);
      if (n > 0) {
        if (write_all(master, buf, (size_t)n) < 0) return 0;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        input_open = 0;
      }
    }
    if (p[1].revents) {
      /* Whatever the container wrote before it exited is still in the master. */
      int flags = fcntl(master, F_GETFL);
      fcntl(master, F_SETFL, flags | O_NONBLOCK);
      ssize_t n;
      while ((n = read(master, buf, sizeof buf)) > 0) write_all(output, buf, (size_t)n);
      fcntl(master, F_SETFL, flags);
      return 0;
    }
  }
}

int tsr_pipe(int32_t *out) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
  out[0] = fds[0];
  out[1] = fds[1];
  return 0;
}

/* A datagram socket bound at path (an sd_notify receiver). */
int tsr_dgram_bind(const char *path) {
  struct sockaddr_un addr;
  int addrlen = unix_address(path, &addr);
  if (addrlen < 0) return addrlen;
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  int r;
  if (path[0] != '@') unlink(path);
  if (bind(s, (struct sockaddr *)&addr, (socklen_t)addrlen) < 0) {
    r = -errno;
    close(s);
    return r;
  }
  return s;
}

/* Receives one datagram into buf, waiting up to timeout_ms (-1: forever); its length,
 * -ETIMEDOUT, or -errno. */
int tsr_dgram_recv(int fd, uint8_t *buf, int32_t cap, int32_t timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  do r = poll(&p, 1, timeout_ms); while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  if (r == 0) return -ETIMEDOUT;
  ssize_t n = recv(fd, buf, (size_t)cap, 0);
  return n < 0 ? -errno : (int)n;
}

/* Sends one datagram to the socket at path. */
int tsr_dgram_send(const char *path, const uint8_t *buf, int32_t len) {
  struct sockaddr_un addr;
  int addrlen = unix_address(path, &addr);
  if (addrlen < 0) return addrlen;
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  int r = sendto(s, buf, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&addr, (socklen_t)addrlen) < 0
          ? -errno
          : 0;
  close(s);
  return r;
}

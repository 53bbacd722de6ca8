/* A seccomp notify agent for seccomp_test.ts (SCMP_ACT_NOTIFY round trip).
 *
 *   agent SOCKET LOG ANSWER
 *
 * Listens on the unix stream socket SOCKET (mode 0600); for every connection the runtime
 * makes it receives the listener fd (SCM_RIGHTS) and the containerProcessState JSON that
 * comes with it, and appends to LOG one line "payload <json>" (the bytes as received, read
 * until the runtime closes the connection or sends nothing more for 200 ms) and "connection
 * closed" or "connection still open". It then answers every notification of every
 * fd it holds: mkdir and mkdirat get ANSWER ("ok": success without doing anything, a
 * number N: fail with errno N); anything else continues as if there were no filter
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Each notification adds "notify <syscall> <pid>
 * <answer>" to LOG. "ready" is written to LOG once the socket listens.
 *
 * It exits on SIGTERM (what the test sends) and, to never outlive a broken test, after 60 s.
 * Built at test time: gcc -O2 -o agent _seccomp_agent.c .../libseccomp.a
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

enum { MAX_FDS = 32 };

static FILE *logf;

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logline(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(logf, fmt, ap);
  va_end(ap);
  fputc('\n', logf);
  fflush(logf);
}

/* Receive the fd and the whole payload of one connection; returns the fd or -1. */
static int take_connection(int conn) {
  char buf[65536];
  size_t len = 0;
  int fd = -1, eof = 0;
  for (;;) {
    char control[CMSG_SPACE(sizeof(int) * 4)];
    struct iovec iov = {.iov_base = buf + len, .iov_len = sizeof buf - 1 - len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                         .msg_controllen = sizeof control};
    if (iov.iov_len == 0) break;
    ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      logline("error recvmsg: %s", strerror(errno));
      break;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *fds = (int *)CMSG_DATA(c);
        for (int i = 0; i < nfds; i++) {
          if (fd < 0) fd = fds[i];
          else close(fds[i]);
        }
      }
    }
    if (n == 0) {
      eof = 1;
      break;
    }
    len += (size_t)n;
    /* runc 1.1.5 sends the payload in one message but keeps the connection open while
     * its container runs: take what else comes within 200 ms, then stop reading */
    struct pollfd p = {.fd = conn, .events = POLLIN};
    if (poll(&p, 1, 200) <= 0) break;
  }
  buf[len] = 0;
  /* one line per payload: newlines (there should be none) become spaces */
  for (size_t i = 0; i < len; i++)
    if (buf[i] == '\n') buf[i] = ' ';
  logline("payload %s", buf);
  logline("connection %s", eof ? "closed" : "still open");
  if (fd < 0) logline("error no fd");
  return fd;
}

static void answer(int fd, const char *how) {
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;
  if (seccomp_notify_alloc(&req, &resp) < 0) {
    logline("error seccomp_notify_alloc");
    return;
  }
  int r = seccomp_notify_receive(fd, req);
  if (r < 0) {
    /* the process went away between poll and receive */
    seccomp_notify_free(req, resp);
    return;
  }
  char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
  int target = name && (strcmp(name, "mkdir") == 0 || strcmp(name, "mkdirat") == 0);
  resp->id = req->id;
  resp->val = 0;
  resp->error = 0;
  resp->flags = 0;
  if (!target) {
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else if (strcmp(how, "ok") != 0) {
    resp->error = -atoi(how);
  }
  r = seccomp_notify_respond(fd, resp);
  logline("notify %s %u %s%s", name ? name : "?", req->pid, target ? how : "continue",
          r < 0 ? " (respond failed)" : "");
  free(name);
  seccomp_notify_free(req, resp);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s SOCKET LOG ANSWER\n", argv[0]);
    return 2;
  }
  logf = fopen(argv[2], "a");
  if (!logf) {
    perror(argv[2]);
    return 1;
  }
  alarm(60);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (lfd < 0 || strlen(argv[1]) >= sizeof addr.sun_path) {
    fprintf(stderr, "socket: %s\n", strerror(errno));
    return 1;
  }
  strcpy(addr.sun_path, argv[1]);
  unlink(argv[1]);
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || chmod(argv[1], 0600) < 0 ||
      listen(lfd, 8) < 0) {
    fprintf(stderr, "bind/listen %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  logline("ready");
  struct pollfd pfds[1 + MAX_FDS];
  int n = 1;
  pfds[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
  for (;;) {
    if (poll(pfds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (pfds[0].revents & POLLIN) {
      int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      if (conn >= 0) {
        int fd = take_connection(conn);
        close(conn);
        if (fd >= 0 && n < 1 + MAX_FDS) pfds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
        else if (fd >= 0) close(fd);
      }
    }
    for (int i = 1; i < n; i++) {
      if (pfds[i].revents & POLLIN) {
        answer(pfds[i].fd, argv[3]);
      } else if (pfds[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
        /* every process of that filter is gone */
        close(pfds[i].fd);
        pfds[i] = pfds[--n];
        i--;
      }
    }
  }
}

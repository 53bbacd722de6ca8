/*
 * A minimal sd_notify(3) for tests: sends its arguments, joined with newlines, as one
 * datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a leading '@' names an
 * abstract socket). busybox has no unix datagram sender.
 *
 *   notify_sender READY=1 [STATUS=...]...
 *
 * Prints "sent <bytes> to <path>" and exits 0, or prints why it failed and exits 1.
 * Built by the integration tests with `gcc -static -O2 -o notify_sender _notify_sender.c`.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (path == NULL || path[0] == '\0') {
    fprintf(stderr, "notify_sender: NOTIFY_SOCKET is not set\n");
    return 1;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof addr.sun_path) {
    fprintf(stderr, "notify_sender: NOTIFY_SOCKET is too long\n");
    return 1;
  }
  memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                                  (path[0] == '@' ? 0 : 1));

  char msg[4096];
  size_t n = 0;
  for (int i = 1; i < argc; i++) {
    size_t l = strlen(argv[i]);
    if (n + l + 1 >= sizeof msg) {
      fprintf(stderr, "notify_sender: message too long\n");
      return 1;
    }
    if (i > 1) msg[n++] = '\n';
    memcpy(msg + n, argv[i], l);
    n += l;
  }

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fprintf(stderr, "notify_sender: socket: %s\n", strerror(errno));
    return 1;
  }
  ssize_t sent = sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&addr, addrlen);
  if (sent < 0) {
    fprintf(stderr, "notify_sender: sendto %s: %s\n", path, strerror(errno));
    return 1;
  }
  close(fd);
  printf("sent %zd to %s\n", sent, path);
  return 0;
}

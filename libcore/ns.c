/* Namespaces: join by path, time offsets, the clone of the init, root in a user ns. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "executor.h"
#include "sync.h"
#include "syscalls.h"

/* The spec's name of a namespace, for messages. */
static const char *ns_name(int64_t flag) {
  switch (flag) {
  case CLONE_NEWPID: return "pid";
  case CLONE_NEWNET: return "network";
  case CLONE_NEWNS: return "mount";
  case CLONE_NEWIPC: return "ipc";
  case CLONE_NEWUTS: return "uts";
  case CLONE_NEWUSER: return "user";
  case CLONE_NEWCGROUP: return "cgroup";
  case CLONE_NEWTIME: return "time";
  default: return "unknown";
  }
}

/* ints: CLONE_NEW* flag; strs: path */
int op_join_ns(struct ctx *c, const struct op *op) {
  const char *name = ns_name(op->ints[0]);
  int fd = open(op->strs[0], O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(c, -errno, "open %s namespace %s", name, op->strs[0]);
  int r = setns(fd, (int)op->ints[0]);
  int err = errno;
  close(fd);
  if (r < 0) return fail(c, -err, "join %s namespace %s", name, op->strs[0]);
  return 0;
}

int op_time_offsets(struct ctx *c, const struct op *op) {
  /* A new time namespace applies to children only, and its offsets can be written
   * only until a process has entered it: so unshare here, write, then clone. */
  if (unshare(CLONE_NEWTIME) < 0) return fail(c, -errno, "unshare time namespace");
  int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail(c, -errno, "open /proc/self/timens_offsets");
  char buf[256];
  int n = snprintf(buf, sizeof buf, "monotonic %lld %lld\nboottime %lld %lld\n",
                   (long long)op->ints[0], (long long)op->ints[1], (long long)op->ints[2],
                   (long long)op->ints[3]);
  ssize_t w = write(fd, buf, (size_t)n);
  int err = errno;
  close(fd);
  if (w != n) return fail(c, -err, "write time namespace offsets");
  return 0;
}

/* In the init's mount namespace (which the executor joins: a bind of an fd must come from
 * the namespace it is made in) but with the executor's credentials, opens each source and
 * sends it on sock (no fd where it cannot be opened: the mount then names the path). */
static void send_mount_sources(pid_t child, const struct op *op, int sock) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)child);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  int joined = ns >= 0 && setns(ns, CLONE_NEWNS) == 0;
  if (ns >= 0) close(ns);
  for (uint32_t i = 0; i < op->nstrs; i++) {
    int fd = joined ? open(op->strs[i], O_PATH | O_CLOEXEC) : -1;
    if (fd >= 0) {
      sync_send_fd(sock, MSG_PHASE, (int32_t)i, NULL, 0, fd);
      close(fd);
    } else {
      sync_send(sock, MSG_PHASE, (int32_t)i, 0, NULL, 0);
    }
  }
}

/* The init's side of send_mount_sources. */
static void receive_mount_sources(struct ctx *c, const struct op *op, int sock) {
  c->n_mount_fds = (int)op->nstrs;
  c->mount_fds = calloc(op->nstrs, sizeof *c->mount_fds);
  for (uint32_t i = 0; i < op->nstrs; i++) {
    struct msg_header h;
    char buf[8];
    int fd = -1;
    if (sync_recv(sock, &h, buf, sizeof buf, 10000, &fd) < 0) fd = -1;
    if (c->mount_fds) c->mount_fds[i] = fd;
    else if (fd >= 0) close(fd);
  }
}

/* ints: CLONE_NEW* flags, kind (0 the init, 1 a process for `exec`); strs: bind sources
 * to open for the init */
int op_clone(struct ctx *c, const struct op *op, int *is_child) {
  /* The init must not speak on the sync socket before the executor has reported its
   * pid there: it waits for EOF on this pipe, which the executor's exit closes. */
  int order[2], sources[2] = {-1, -1};
  if (pipe2(order, O_CLOEXEC) < 0) return fail(c, -errno, "pipe");
  if (op->nstrs > 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sources) < 0) {
    int err = errno;
    close(order[0]);
    close(order[1]);
    return fail(c, -err, "socketpair for the mount sources");
  }
  struct tsr_clone_args args = {
      /* exit_signal must be 0: with CLONE_PARENT it is inherited (SIGCHLD from spawn). */
      .flags = (uint64_t)op->ints[0] | CLONE_PARENT,
  };
  long pid = sys_clone3(&args);
  if (pid < 0) {
    close(order[0]);
    close(order[1]);
    return fail(c, -errno, "clone the container process");
  }
  *is_child = pid == 0;
  if (pid > 0) {
    close(order[0]);
    c->order_fd = order[1];
    if (sources[0] >= 0) {
      close(sources[1]);
      send_mount_sources((pid_t)pid, op, sources[0]);
      close(sources[0]);
    }
    return (int)pid;
  }
  /* Until set up, the process must not outlive the tsrunc that is setting it up. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, op->ints[1] ? "tsrunc:exec" : "tsrunc:init");
  close(order[1]);
  /* The sources first, while the executor sends them (so that many do not fill the
   * socket with nobody reading), then the wait for its exit. */
  if (sources[1] >= 0) {
    close(sources[0]);
    receive_mount_sources(c, op, sources[1]);
    close(sources[1]);
  }
  char b;
  while (read(order[0], &b, 1) < 0 && errno == EINTR) {}
  close(order[0]);
  return 0;
}

int op_become_root(struct ctx *c) {
  if (setresgid(0, 0, 0) < 0) return fail(c, -errno, "setresgid(0) in the user namespace");
  if (setresuid(0, 0, 0) < 0) return fail(c, -errno, "setresuid(0) in the user namespace");
  return 0;
}

/* `exec`: joins the namespaces of the container's init and takes its root as ours.
 * ints: pidfd of the init (an fd tsrunc passed), its pid, CLONE_NEW* flags to join. */
int op_enter_container(struct ctx *c, const struct op *op) {
  int pidfd = (int)op->ints[0], flags = (int)op->ints[2];
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/root", (int)op->ints[1]);
  int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return explain(c, -ESRCH, "the container's init has exited");
  /* The pidfd pins the init: while it runs, /proc/PID above was the init, not a
   * process that got its pid after it exited. */
  if (sys_pidfd_send_signal(pidfd, 0) < 0) {
    close(root);
    return explain(c, -ESRCH, "the container's init has exited");
  }
  /* One setns for all: the kernel joins the user namespace first. */
  if (flags && setns(pidfd, flags) < 0) {
    int err = errno;
    close(root);
    return fail(c, -err, "join the namespaces of the container's init");
  }
  close(pidfd);
  if (fchdir(root) < 0 || chroot(".") < 0) {
    int err = errno;
    close(root);
    return fail(c, -err, "enter the root of the container");
  }
  /* Paths of later ops (writeFile: oom_score_adj...) resolve inside this root. */
  if (c->root_fd >= 0) close(c->root_fd);
  c->root_fd = root;
  return 0;
}

/* Opens a pty in the container's devpts, sends the master to tsrunc, and makes the
 * other side our controlling terminal and stdio (after setsid). ints: rows, columns
 * (0, 0: leave the size), clear ONLCR, the owner's uid. */
int op_open_pty(struct ctx *c, const struct op *op) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return fail(c, -errno, "open /dev/ptmx in the container");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) {
    int err = errno;
    close(master);
    return fail(c, -err, "unlock the pty (is /dev/ptmx a pty multiplexer?)");
  }
  /* TIOCGPTPEER: the peer of this very master, never a path lookup in /dev/pts. */
  int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
  if (peer < 0) {
    int err = errno;
    close(master);
    return fail(c, -err, "open the pty's peer");
  }
  /* The process's own, as with runc; the group is what devpts gave it (gid=5: tty). */
  if (fchown(peer, (uid_t)op->ints[3], (gid_t)-1) < 0) {
    int err = errno;
    close(peer);
    close(master);
    return fail(c, -err, "give the pty to uid %d", (int)op->ints[3]);
  }
  if (op->ints[2]) {
    /* tsrunc copies it to its own terminal, which adds the CR (as runc) */
    struct termios t;
    if (tcgetattr(peer, &t) == 0) {
      t.c_oflag &= ~(tcflag_t)ONLCR;
      tcsetattr(peer, TCSANOW, &t);
    }
  }
  if (op->ints[0] || op->ints[1]) {
    struct winsize ws = {.ws_row = (unsigned short)op->ints[0],
                         .ws_col = (unsigned short)op->ints[1]};
    ioctl(master, TIOCSWINSZ, &ws);
  }
  int r = sync_send_fd(c->sync_fd, MSG_CONSOLE, 0, "/dev/ptmx", 9, master);
  close(master);
  if (r < 0) {
    close(peer);
    return fail(c, r, "send the console to tsrunc");
  }
  if (ioctl(peer, TIOCSCTTY, 0) < 0) {
    int err = errno;
    close(peer);
    return fail(c, -err, "make the pty the controlling terminal");
  }
  for (int fd = 0; fd < 3; fd++) {
    if (dup2(peer, fd) < 0) {
      int err = errno;
      close(peer);
      return fail(c, -err, "use the pty as stdio");
    }
  }
  if (peer > 2) close(peer);
  return 0;
}

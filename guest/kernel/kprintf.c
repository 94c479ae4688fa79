/*
 * Kernel console output and the few string routines the kernel needs.
 * Output goes through pv->console_write, so it works in every mode.
 */
#include "kernel.h"

struct line {
  char buf[160];
  u32 len;
};

static void line_put(void *ctx, char c) {
  struct line *l = ctx;
  if (l->len == sizeof(l->buf)) {
    pv->console_write(l->buf, l->len);
    l->len = 0;
  }
  l->buf[l->len++] = c;
}

static void vkprintf(const char *fmt, va_list ap) {
  struct line l;
  l.len = 0;
  vfmt(line_put, &l, fmt, ap);
  pv->console_write(l.buf, l.len);
}

void kprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vkprintf(fmt, ap);
  va_end(ap);
}

void panic(const char *fmt, ...) {
  va_list ap;
  kprintf("panic: ");
  va_start(ap, fmt);
  vkprintf(fmt, ap);
  va_end(ap);
  kprintf("\ndone status=255\n");
  pv->machine_exit(255);
}

void *memset(void *dst, int c, u32 n) {
  u8 *d = dst;
  while (n--)
    *d++ = (u8)c;
  return dst;
}

void *memcpy(void *dst, const void *src, u32 n) {
  u8 *d = dst;
  const u8 *s = src;
  while (n--)
    *d++ = *s++;
  return dst;
}

u32 strlen(const char *s) {
  u32 n = 0;
  while (s[n])
    n++;
  return n;
}

int strcmp(const char *a, const char *b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, u32 n) {
  for (; n > 0; n--, a++, b++) {
    if (*a != *b || !*a)
      return (u8)*a - (u8)*b;
  }
  return 0;
}

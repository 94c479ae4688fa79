/*
 * Kernel console output and the few string routines the kernel needs.
 * Output goes through pv->console_write, so it works in every mode.
 */
#include "kernel.h"

struct line {
  char buf[160];
  u32 len;
};

static void line_put(void* ctx, char c) {
  struct line* l = ctx;
  if (l->len == sizeof(l->buf)) {
    pv->console_write(l->buf, l->len);
    l->len = 0;
  }
  l->buf[l->len++] = c;
}

static void vkprintf(const char* fmt, va_list ap) {
  struct line l;
  l.len = 0;
  vfmt(line_put, &l, fmt, ap);
  pv->console_write(l.buf, l.len);
}

void kprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vkprintf(fmt, ap);
  va_end(ap);
}

void panic(const char* fmt, ...) {
  va_list ap;
  kprintf("panic: ");
  va_start(ap, fmt);
  vkprintf(fmt, ap);
  va_end(ap);
  kprintf("\ndone status=255\n");
  pv->machine_exit(255);
}


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

/*
 * memset/memcpy with the string instructions: one REP STOS/MOVS per call is
 * far fewer instructions for a simulated CPU (or a BT translator) than a C byte
 * loop, and zeroing and copying pages is most of what fork and exec do.
 */
void* memset(void* dst, int c, u32 n) {
  void* d = dst;
  if ((((u32)dst | n) & 3) == 0) {
    u32 word = (u8)c * 0x01010101u;
    u32 count = n / 4;
    __asm__ volatile("rep stosl" : "+D"(d), "+c"(count) : "a"(word) : "memory");
  } else {
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
  }
  return dst;
}

void* memcpy(void* dst, const void* src, u32 n) {
  void* d = dst;
  if ((((u32)dst | (u32)src | n) & 3) == 0) {
    u32 count = n / 4;
    __asm__ volatile("rep movsl" : "+D"(d), "+S"(src), "+c"(count) : : "memory");
  } else {
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
  }
  return dst;
}

u32 strlen(const char* s) {
  u32 n = 0;
  while (s[n]) n++;
  return n;
}

int strcmp(const char* a, const char* b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (u8)*a - (u8)*b;
}

int strncmp(const char* a, const char* b, u32 n) {
  for (; n > 0; n--, a++, b++) {
    if (*a != *b || !*a) return (u8)*a - (u8)*b;
  }
  return 0;
}

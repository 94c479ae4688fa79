#include "fmt.h"

/*
 * Prints an unsigned 64-bit value in base 10 or 16. 64-bit division by 10 calls
 * libgcc's __udivdi3, which is integer code; that is why the guest links libgcc.
 */
static void put_unsigned(fmt_sink put, void* ctx, u64 v, unsigned base, int width, char pad) {
  char digits[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v != 0);
  while (width > n) {
    put(ctx, pad);
    width--;
  }
  while (n > 0) put(ctx, digits[--n]);
}

void vfmt(fmt_sink put, void* ctx, const char* fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(ctx, *fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0;
    int longs = 0;
    if (*fmt == '0') {
      pad = '0';
      fmt++;
    }
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') {
      longs++;
      fmt++;
    }
    switch (*fmt) {
      case 'c': put(ctx, (char)va_arg(ap, int)); break;
      case 's': {
        const char* s = va_arg(ap, const char*);
        if (!s) s = "(null)";
        int len = 0;
        while (s[len]) len++;
        for (; width > len; width--) put(ctx, ' ');
        while (*s) put(ctx, *s++);
        break;
      }
      case 'd': {
        i64 v = longs >= 2 ? va_arg(ap, i64) : (i64)va_arg(ap, i32);
        if (v < 0) {
          put(ctx, '-');
          v = -v;
          if (width > 0) width--;
        }
        put_unsigned(put, ctx, (u64)v, 10, width, pad);
        break;
      }
      case 'u':
      case 'x': {
        u64 v = longs >= 2 ? va_arg(ap, u64) : (u64)va_arg(ap, u32);
        put_unsigned(put, ctx, v, *fmt == 'u' ? 10 : 16, width, pad);
        break;
      }
      case 'p':
        put(ctx, '0');
        put(ctx, 'x');
        put_unsigned(put, ctx, (u64)(uintptr_t)va_arg(ap, void*), 16, 8, '0');
        break;
      case '%': put(ctx, '%'); break;
      case '\0': return;
      default:
        put(ctx, '%');
        put(ctx, *fmt);
        break;
    }
  }
}

struct buf_sink {
  char* buf;
  u32 size, len;
};

static void buf_put(void* ctx, char c) {
  struct buf_sink* b = ctx;
  if (b->len + 1 < b->size) b->buf[b->len++] = c;
}

int snfmt(char* buf, u32 size, const char* fmt, ...) {
  struct buf_sink b = {buf, size, 0};
  va_list ap;
  va_start(ap, fmt);
  vfmt(buf_put, &b, fmt, ap);
  va_end(ap);
  if (size > 0) buf[b.len] = '\0';
  return (int)b.len;
}

/*
 * A small printf-style formatter shared by the kernel (kprintf) and the user
 * library (printf). Integer only: %c %s %d %u %x %p, the length modifiers l and
 * ll, a field width and the 0 flag. No floating point exists in the guest.
 */
#ifndef VMLAB_GUEST_FMT_H
#define VMLAB_GUEST_FMT_H

#include "types.h"

typedef void (*fmt_sink)(void* ctx, char c);

void vfmt(fmt_sink put, void* ctx, const char* fmt, va_list ap);

/* Formats into buf (always NUL-terminated); returns the length written. */
int snfmt(char* buf, u32 size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
